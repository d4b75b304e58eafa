"""Activities, their occurrences and the sign-ups to each occurrence."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum


class ActivityCategory(LabelledEnum):
    """The kind of activity, shown with its pictogram."""

    MEAL = "meal", _l("Shared meal"), "soup"
    CRAFTS = "crafts", _l("Crafts and knitting"), "scissors"
    LEARNING = "learning", _l("Homework and learning"), "book-open"
    DIGITAL = "digital", _l("Tablet and computers"), "laptop"
    SPORT = "sport", _l("Walks and gentle exercise"), "footprints"
    GAMES = "games", _l("Games"), "dices"
    CULTURE = "culture", _l("Outings and culture"), "drama"
    OTHER = "other", _l("Other"), "sparkles"
    # A building meeting (café concertation): its agenda and decisions live in activities.voice.
    MEETING = "meeting", _l("Building meeting"), "messages-square"


class Audience(LabelledEnum):
    """Whom an activity is meant for."""

    EVERYONE = "everyone", _l("Everyone")
    SENIORS = "seniors", _l("Seniors")
    CHILDREN = "children", _l("Children with a parent")
    FAMILIES = "families", _l("Families")


class Recurrence(enum.StrEnum):
    """How an activity repeats."""

    NONE = "none"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class SignupStatus(enum.StrEnum):
    """Where a person stands for one occurrence."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Activity(TimestampMixin, Base):
    """What the coordinator plans: one-off or recurring."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[ActivityCategory] = mapped_column(
        enum_column(ActivityCategory, length=30, by_value=True), default=ActivityCategory.OTHER
    )
    place: Mapped[str] = mapped_column(String(200), default="")
    room_id: Mapped[int | None] = mapped_column(
        ForeignKey("common_rooms.id", ondelete="SET NULL"), index=True
    )
    capacity: Mapped[int | None]
    audience: Mapped[Audience] = mapped_column(
        enum_column(Audience, length=30, by_value=True), default=Audience.EVERYONE
    )
    recurrence: Mapped[Recurrence] = mapped_column(
        enum_column(Recurrence, length=20), default=Recurrence.NONE
    )
    repeat_until: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The resident whose proposal it was, shown as co-host.
    cohost_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    photo_name: Mapped[str | None] = mapped_column(String(80))
    cancelled_at: Mapped[datetime | None]

    occurrences: Mapped[list[Occurrence]] = relationship(
        back_populates="activity", order_by="Occurrence.starts_at"
    )

    @validates("category")
    def _as_category(self, _key: str, value: str) -> ActivityCategory:
        """A plain string becomes its member at once, so `.label` and `.icon` always work."""
        return ActivityCategory(value)

    @validates("audience")
    def _as_audience(self, _key: str, value: str) -> Audience:
        """A plain string becomes its member at once, so `.label` always works."""
        return Audience(value)


class Occurrence(TimestampMixin, Base):
    """One date of an activity, bookable with its own capacity."""

    __tablename__ = "activity_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int | None]
    cancelled_at: Mapped[datetime | None]

    activity: Mapped[Activity] = relationship(back_populates="occurrences")


class Signup(TimestampMixin, Base):
    """A person (and their guests) signed up to, or waiting for, an occurrence."""

    __tablename__ = "activity_signups"
    __table_args__ = (UniqueConstraint("occurrence_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("activity_occurrences.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    guests: Mapped[int] = mapped_column(default=0)
    status: Mapped[SignupStatus] = mapped_column(enum_column(SignupStatus, length=20))
    show_name: Mapped[bool] = mapped_column(default=True)
    # Waiting-list order: when the person (re)joined the list.
    queued_at: Mapped[datetime]
    promoted_at: Mapped[datetime | None]
    # Marked by the coordinator after the activity: None until then.
    attended: Mapped[bool | None]

    occurrence: Mapped[Occurrence] = relationship()


class ReminderPreference(Base):
    """Which reminders a person wants (both, when no row exists)."""

    __tablename__ = "activity_reminder_preferences"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    day_before: Mapped[bool] = mapped_column(default=True)
    hour_before: Mapped[bool] = mapped_column(default=True)


class ReminderSent(Base):
    """One row per reminder sent: the primary key makes a second one impossible, whichever
    process tries."""

    __tablename__ = "activity_reminders_sent"

    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("activity_occurrences.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent_at: Mapped[datetime]


class CalendarFeed(Base):
    """A person's private iCal feed; only the token's hash is kept, and a new one revokes it."""

    __tablename__ = "activity_calendar_feeds"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]


class ProposalStatus(enum.StrEnum):
    """Where a resident's proposal stands."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Proposal(TimestampMixin, Base):
    """An activity a resident proposes; the coordinator approves or declines it."""

    __tablename__ = "activity_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, length=20), default=ProposalStatus.PENDING
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decision_message: Mapped[str] = mapped_column(String(500), default="")
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("activities.id", ondelete="SET NULL")
    )


class Room(TimestampMixin, Base):
    """A common room of the building, configured by staff."""

    __tablename__ = "common_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(default=20)
    opens_at: Mapped[time]
    closes_at: Mapped[time]
    max_minutes: Mapped[int] = mapped_column(default=180)
    needs_approval: Mapped[bool] = mapped_column(default=False)


class BookingStatus(enum.StrEnum):
    """Where a room booking stands."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class Booking(TimestampMixin, Base):
    """A common room booked by a resident or staff."""

    __tablename__ = "room_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("common_rooms.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    purpose: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus, length=20))

    room: Mapped[Room] = relationship()


class ActivityPhoto(Base):
    """A photo in an activity's album, seen by its participants and the staff."""

    __tablename__ = "activity_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("activity_occurrences.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
