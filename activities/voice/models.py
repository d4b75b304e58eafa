"""Residents' voice: polls and their votes, the idea box, meetings and their decisions.

Anonymous votes: what the database holds, and what it allows.
- A vote is one row of `voice_poll_votes`: the poll, the answer and `voter_key`, an
  HMAC-SHA256 of the poll and the person's id with the app's SECRET_KEY
  (service.voter_key). It has no person id and no timestamp.
- Voting writes that row and nothing else: no table records who took part. (A second row
  naming the voter, written in the same transaction, would share the vote's transaction id
  on PostgreSQL (`xmin`) or follow it in insertion order on SQLite (rowid) and pair the two.)
  "You voted", the figures and the data export find a person's participation by computing
  their key again and looking for it among the votes.
- Those hidden columns still tell in which order the votes were written; someone who also
  knows when each person voted (from outside the database: server logs, being there) could
  use that order. The database alone does not say it.
- So, without the secret, nothing in the database links a voter to an anonymous answer.
  With both the database and SECRET_KEY, one can compute every resident's key for a poll
  and read what each answered: the secret must be kept apart from the data and its copies.
Named polls keep the voter's id (`voter_id`), for the staff's results.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum


class VoiceSettings(Base):
    """A building's choices: may residents ask the building a question (with approval)."""

    __tablename__ = "voice_settings"

    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )
    residents_may_ask: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None]


class PollStatus(LabelledEnum):
    """Where a poll stands; an open poll ends by itself at its end date."""

    PENDING = "pending", _l("Waiting for the coordinator")
    OPEN = "open", _l("Open")
    DECLINED = "declined", _l("Declined")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class Poll(TimestampMixin, Base):
    """One question to the building, with 2 to 6 answers, open until `closes_at`."""

    __tablename__ = "voice_polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    question: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(default=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[PollStatus] = mapped_column(
        enum_column(PollStatus, length=20, by_value=True), default=PollStatus.OPEN
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decision_message: Mapped[str] = mapped_column(String(500), default="")
    opened_at: Mapped[datetime | None]

    choices: Mapped[list[PollChoice]] = relationship(
        back_populates="poll", order_by="PollChoice.position", cascade="all, delete-orphan"
    )


class PollChoice(Base):
    """One answer of a poll: a pictogram and a short label."""

    __tablename__ = "voice_poll_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(
        ForeignKey("voice_polls.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(60))
    icon: Mapped[str] = mapped_column(String(40))

    poll: Mapped[Poll] = relationship(back_populates="choices")


class PollVote(Base):
    """One vote. `voter_key` is what makes it one per person: a keyed hash of the voter for
    an anonymous poll, "p:<id>" for a named one, which alone keeps `voter_id`."""

    __tablename__ = "voice_poll_votes"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("voice_polls.id", ondelete="CASCADE"), primary_key=True
    )
    voter_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    voter_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    choice_id: Mapped[int] = mapped_column(
        ForeignKey("voice_poll_choices.id", ondelete="CASCADE"), index=True
    )


class IdeaKind(LabelledEnum):
    """What a resident posts in the idea box."""

    IDEA = "idea", _l("An idea")
    OBSERVATION = "observation", _l("Something I noticed")


class IdeaStatus(LabelledEnum):
    """The coordinator's public answer to an idea."""

    RECEIVED = "received", _l("Received"), "inbox"
    STUDYING = "studying", _l("Under study"), "search"
    PLANNED = "planned", _l("Planned"), "calendar-check"
    DONE = "done", _l("Done"), "circle-check"
    NOT_KEPT = "not_kept", _l("Not kept"), "circle-x"


class Idea(TimestampMixin, Base):
    """An idea or an observation. One about a person (`private`) goes to the building's
    coordinators only, never to the board."""

    __tablename__ = "voice_ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[IdeaKind] = mapped_column(enum_column(IdeaKind, length=20, by_value=True))
    text: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(default=False)
    photo_name: Mapped[str | None] = mapped_column(String(80))
    thumb_name: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[IdeaStatus] = mapped_column(
        enum_column(IdeaStatus, length=20, by_value=True), default=IdeaStatus.RECEIVED
    )
    answer: Mapped[str] = mapped_column(String(500), default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]


class IdeaSupport(Base):
    """One resident supports one idea (once)."""

    __tablename__ = "voice_idea_supports"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("voice_ideas.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]


class Meeting(TimestampMixin, Base):
    """A building meeting (café concertation): an activity of kind "meeting", its agenda,
    and after it the minutes and the decisions."""

    __tablename__ = "voice_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), unique=True
    )
    minutes: Mapped[str] = mapped_column(Text, default="")
    minutes_at: Mapped[datetime | None]

    items: Mapped[list[AgendaItem]] = relationship(
        order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        order_by="Decision.id", cascade="all, delete-orphan", back_populates="meeting"
    )


class AgendaItem(Base):
    """One point of a meeting's agenda: an idea, a poll, or a few words."""

    __tablename__ = "voice_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("voice_meetings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("voice_ideas.id", ondelete="SET NULL"))
    poll_id: Mapped[int | None] = mapped_column(ForeignKey("voice_polls.id", ondelete="SET NULL"))


class Decision(TimestampMixin, Base):
    """What a meeting decided: who does what by when, and the ideas it answers."""

    __tablename__ = "voice_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("voice_meetings.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    who: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date | None]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    # Read with the decisions, for all of a list at once (no statement per decision).
    ideas: Mapped[list[Idea]] = relationship(
        secondary="voice_decision_ideas", order_by="Idea.id", lazy="selectin"
    )


class DecisionIdea(Base):
    """A decision answers this idea."""

    __tablename__ = "voice_decision_ideas"

    decision_id: Mapped[int] = mapped_column(
        ForeignKey("voice_decisions.id", ondelete="CASCADE"), primary_key=True
    )
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("voice_ideas.id", ondelete="CASCADE"), primary_key=True
    )
