"""Residents' voice: polls, the idea box and the building's meetings.

Services add, flush and publish; the request that calls them commits once (portal.transaction).
Who may do what, in one place:
- a poll is asked by the building's staff, or by a resident when the building allows it, and
  then published only once a coordinator (or a manager) approves it;
- residents of the building vote, once each (they may change their answer until the end);
  the results are shown to those who voted and to the staff;
- an idea is public on the board; an observation about a person is private: its author and
  the building's coordinators only;
- coordinators and managers answer ideas, plan meetings and record their decisions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Insert, delete, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from activities import service as activities
from activities.models import Activity, ActivityCategory, Occurrence, Signup, SignupStatus
from activities.rules import photo_max_bytes
from activities.voice.icons import is_answer_icon
from activities.voice.models import (
    AgendaItem,
    Decision,
    Idea,
    IdeaKind,
    IdeaStatus,
    IdeaSupport,
    Meeting,
    Poll,
    PollChoice,
    PollStatus,
    PollVote,
    VoiceSettings,
)
from portal import realtime
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import STAFF_ROLES, Person, Role
from portal.uploads import store_image
from portal.urls import path_for
from portal.validation import clean_text

EVENT_POLL_OPENED = "voice.poll_opened"
EVENT_POLL_VOTED = "voice.poll_voted"
EVENT_POLL_CLOSED = "voice.poll_closed"
EVENT_IDEA_CHANGED = "voice.idea_changed"
EVENT_DECISION_CHANGED = "voice.decision_changed"

MIN_CHOICES, MAX_CHOICES = 2, 6
MAX_QUESTION = 200
MAX_LABEL = 60
MAX_IDEA = 1000
MAX_ANSWER = 500
MAX_POLL_DAYS = 92
DECIDERS = frozenset({Role.COORDINATOR, Role.MANAGER})


# Who is who ------------------------------------------------------------------------------


def is_staff_of(person: Person, building_id: int) -> bool:
    """Staff (coordinator, concierge, manager) who work in or cover the building."""
    return person.role in STAFF_ROLES and building_id in people.building_ids_for(person)


def is_decider_of(person: Person, building_id: int) -> bool:
    """Coordinators and managers of the building: they approve, answer and decide."""
    return person.role in DECIDERS and building_id in people.building_ids_for(person)


def is_coordinator_of(person: Person, building_id: int) -> bool:
    """The building's coordinators: the only staff who read observations about a person."""
    return person.role == Role.COORDINATOR and building_id in people.building_ids_for(person)


def check_decider(person: Person, building_id: int) -> None:
    if not is_decider_of(person, building_id):
        raise Forbidden(_("Only the coordinator can do this."))


def _text(value: str | None, limit: int, message: str, code: str) -> str:
    """Text of 1 to `limit` characters, cleaned and without surrounding spaces."""
    text = clean_text(value or "").strip()
    if not text or len(text) > limit:
        raise Invalid(message, code)
    return text


# Settings --------------------------------------------------------------------------------


def residents_may_ask(building_id: int) -> bool:
    """The building lets residents ask a question (the coordinator approves each one)."""
    found = db.session.get(VoiceSettings, building_id)
    return bool(found and found.residents_may_ask)


def do_set_residents_may_ask(staff: Person, building_id: int, allowed: bool) -> VoiceSettings:
    check_decider(staff, building_id)
    found = db.session.get(VoiceSettings, building_id)
    if found is None:
        found = VoiceSettings(building_id=building_id)
        db.session.add(found)
    found.residents_may_ask = bool(allowed)
    found.updated_at = utcnow()
    db.session.flush()
    return found


# Polls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChoiceInput:
    label: str
    icon: str


def check_choices(choices: list[ChoiceInput]) -> list[ChoiceInput]:
    """2 to 6 answers, each a short label with one of the pictograms offered."""
    kept = [c for c in choices if (c.label or "").strip() or c.icon]
    if not MIN_CHOICES <= len(kept) <= MAX_CHOICES:
        raise Invalid(_("Give 2 to 6 answers."), "bad_choices")
    result = []
    for choice in kept:
        label = _text(
            choice.label,
            MAX_LABEL,
            _("Give each answer a few words (at most 60 letters)."),
            "bad_label",
        )
        if not is_answer_icon(choice.icon):
            raise Invalid(_("Choose a picture for each answer."), "bad_icon")
        result.append(ChoiceInput(label, choice.icon))
    if len({c.label.casefold() for c in result}) != len(result):
        raise Invalid(_("Give each answer different words."), "same_label")
    return result


def check_closes_at(closes_at: datetime, now: datetime) -> datetime:
    if closes_at.tzinfo is None:
        raise Invalid(_("The end date is not valid."), "bad_end")
    if closes_at <= now:
        raise Invalid(_("The end date must come later."), "end_past")
    if closes_at - now > timedelta(days=MAX_POLL_DAYS):
        raise Invalid(_("A question stays open for 3 months at most."), "end_far")
    return closes_at


def do_create_poll(
    author: Person,
    building_id: int,
    *,
    question: str,
    choices: list[ChoiceInput],
    closes_at: datetime,
    anonymous: bool = True,
) -> Poll:
    """Staff publish a question at once; a resident's waits for the coordinator."""
    now = utcnow()
    staff = is_staff_of(author, building_id)
    if not staff:
        if not (author.is_resident and author.building_id == building_id):
            raise people.not_found()
        if not residents_may_ask(building_id):
            raise Forbidden(_("In this building, the staff ask the questions."), "not_allowed")
    question = _text(
        question,
        MAX_QUESTION,
        _("Write the question in at most 200 letters."),
        "bad_question",
    )
    checked = check_choices(choices)
    check_closes_at(closes_at, now)
    poll = Poll(
        building_id=building_id,
        author_id=author.id,
        question=question,
        anonymous=bool(anonymous),
        closes_at=closes_at,
        status=PollStatus.OPEN if staff else PollStatus.PENDING,
        opened_at=now if staff else None,
        choices=[PollChoice(position=i, label=c.label, icon=c.icon) for i, c in enumerate(checked)],
    )
    db.session.add(poll)
    db.session.flush()
    if staff:
        _publish_poll(EVENT_POLL_OPENED, poll)
    else:
        name, url = author.first_name, path_for("voice.polls")
        for coordinator in people.list_staff(building_id, [Role.COORDINATOR]):
            notify(
                coordinator,
                "voice.poll_proposed",
                lambda: _("%(name)s asks a question: %(question)s", name=name, question=question),
                url,
            )
    return poll


def _publish_poll(name: str, poll: Poll) -> None:
    realtime.publish(name, {"poll_id": poll.id}, realtime.building_room(poll.building_id))


def _load_poll(poll_id: int, *, lock: bool = False) -> Poll | None:
    stmt = select(Poll).where(Poll.id == poll_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.session.scalars(stmt).first()


def may_see_poll(person: Person, poll: Poll) -> bool:
    """A published poll: the building; one waiting or declined: its author and the staff."""
    return _sees_poll(person, poll, people.building_ids_for(person))


def _sees_poll(person: Person, poll: Poll, buildings: set[int]) -> bool:
    """may_see_poll with the person's buildings read once (a list of polls)."""
    if poll.building_id not in buildings:
        return False
    if poll.status == PollStatus.OPEN:
        return True
    # Staff of one of their buildings (is_staff_of, without reading the buildings again).
    return person.id == poll.author_id or person.role in STAFF_ROLES


def access_poll(person: Person, poll_id: int, *, lock: bool = False) -> Poll:
    poll = _load_poll(poll_id, lock=lock)
    if poll is None or not may_see_poll(person, poll):
        raise NotFound(_("This question does not exist."))
    return poll


def is_open(poll: Poll, now: datetime | None = None) -> bool:
    return poll.status == PollStatus.OPEN and poll.closes_at > (now or utcnow())


def voter_key(poll: Poll, person: Person) -> str:
    """What makes a vote one per person. Anonymous: an HMAC-SHA256 of the poll and the
    person with the app's secret, so the stored vote names nobody; named: the person's id."""
    if not poll.anonymous:
        return f"p:{person.id}"
    return anonymous_keys(poll.id, [person.id])[person.id]


def anonymous_keys(poll_id: int, person_ids: Iterable[int]) -> dict[int, str]:
    """Each person's key for an anonymous poll (person id -> key). Only the holder of the
    app's secret can make them: the figures and the export find who took part this way,
    since nothing else in the database records it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return {
        pid: hmac.new(
            secret, f"bon-voisin/voice/poll:{poll_id}/person:{pid}".encode(), hashlib.sha256
        ).hexdigest()
        for pid in person_ids
    }


def _insert(model: type[Any]) -> Insert:
    """INSERT with ON CONFLICT for the database in use (SQLite and PostgreSQL have it)."""
    if db.session.connection().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(model)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(model)


def may_vote(person: Person, poll: Poll) -> bool:
    return person.is_resident and person.building_id == poll.building_id


def do_vote(person: Person, poll_id: int, choice_id: int) -> PollChoice:
    """One tap: record the answer, or change it. One row per person whatever the timing: an
    INSERT … ON CONFLICT (poll, voter) DO UPDATE, atomic on SQLite and PostgreSQL alike.

    The vote is the only row the transaction writes: a second row naming the person (who
    took part) would share the vote's transaction id (PostgreSQL `xmin`) or follow its
    insertion order (SQLite rowid), and pair an anonymous answer with its voter."""
    begin_write(db.session)
    poll = access_poll(person, poll_id)
    if not may_vote(person, poll):
        raise Forbidden(_("The residents of the building answer this question."), "not_voter")
    if not is_open(poll):
        raise Conflict(_("This question is closed."), "closed")
    choice = next((c for c in poll.choices if c.id == choice_id), None)
    if choice is None:
        raise Invalid(_("Choose one of the answers shown."), "bad_choice")
    vote = _insert(PollVote).values(
        poll_id=poll.id,
        voter_key=voter_key(poll, person),
        voter_id=None if poll.anonymous else person.id,
        choice_id=choice.id,
    )
    db.session.execute(
        vote.on_conflict_do_update(
            index_elements=[PollVote.poll_id, PollVote.voter_key],
            set_={"choice_id": choice.id},
        )
    )
    db.session.expire_all()
    _publish_poll(EVENT_POLL_VOTED, poll)
    return choice


def get_my_choice_id(person: Person, poll: Poll) -> int | None:
    """The answer the person gave (found again through their key), None before voting."""
    stmt = select(PollVote.choice_id).where(
        PollVote.poll_id == poll.id, PollVote.voter_key == voter_key(poll, person)
    )
    return db.session.scalar(stmt)


def has_voted(person: Person, poll: Poll) -> bool:
    """Whether the person answered: their key has a vote (one statement)."""
    return get_my_choice_id(person, poll) is not None


def may_see_results(person: Person, poll: Poll) -> bool:
    """Those who voted, and the staff of the building."""
    return is_staff_of(person, poll.building_id) or has_voted(person, poll)


@dataclass(frozen=True)
class ResultLine:
    choice: PollChoice
    votes: int
    percent: int
    names: tuple[str, ...]  # named polls only: who chose it (staff pages)


@dataclass(frozen=True)
class Results:
    poll: Poll
    lines: tuple[ResultLine, ...]
    total: int


def get_results(poll: Poll, *, with_names: bool = False) -> Results:
    """Votes per answer; for a named poll and when asked, the first names of the voters.
    An anonymous poll has no names to give: its votes name nobody."""
    counts = dict(
        db.session.execute(
            select(PollVote.choice_id, func.count())
            .where(PollVote.poll_id == poll.id)
            .group_by(PollVote.choice_id)
        ).all()
    )
    names: dict[int, list[str]] = {}
    if with_names and not poll.anonymous:
        rows = db.session.execute(
            select(PollVote.choice_id, Person.first_name, Person.last_name)
            .join(Person, Person.id == PollVote.voter_id)
            .where(PollVote.poll_id == poll.id)
            .order_by(Person.first_name, Person.last_name)
        )
        for choice_id, first, last in rows:
            names.setdefault(choice_id, []).append(f"{first} {last}")
    total = sum(int(n) for n in counts.values())
    lines = tuple(
        ResultLine(
            c,
            int(counts.get(c.id, 0)),
            round(100 * int(counts.get(c.id, 0)) / total) if total else 0,
            tuple(names.get(c.id, ())),
        )
        for c in poll.choices
    )
    return Results(poll, lines, total)


def do_decide_poll(staff: Person, poll_id: int, approve: bool, message: str = "") -> Poll:
    """A coordinator publishes a resident's question, or declines it with a few words."""
    begin_write(db.session)
    poll = access_poll(staff, poll_id, lock=True)
    check_decider(staff, poll.building_id)
    if poll.status != PollStatus.PENDING:
        raise Conflict(_("This question has already been answered."), "answered")
    poll.decided_by_id = staff.id
    author = db.session.get(Person, poll.author_id) if poll.author_id else None
    question, url = poll.question, path_for("voice.poll", poll_id=poll.id)
    if approve:
        check_closes_at(poll.closes_at, utcnow())
        poll.status, poll.opened_at = PollStatus.OPEN, utcnow()
        _publish_poll(EVENT_POLL_OPENED, poll)
        if author is not None:
            notify(
                author,
                "voice.poll_approved",
                lambda: _("Your question is open to the building: %(q)s", q=question),
                url,
            )
    else:
        said = _text(message, MAX_ANSWER, _("Please write a few words for the resident."), "empty")
        poll.status, poll.decision_message = PollStatus.DECLINED, said
        if author is not None:
            notify(
                author,
                "voice.poll_declined",
                lambda: _("About your question %(q)s: %(message)s", q=question, message=said),
                url,
            )
    db.session.flush()
    return poll


def do_close_poll(staff: Person, poll_id: int) -> Poll:
    """Staff end a question now (the results stay)."""
    begin_write(db.session)
    poll = access_poll(staff, poll_id, lock=True)
    if not is_staff_of(staff, poll.building_id):
        raise Forbidden()
    if not is_open(poll):
        raise Conflict(_("This question is closed."), "closed")
    poll.closes_at = utcnow()
    db.session.flush()
    _publish_poll(EVENT_POLL_CLOSED, poll)
    return poll


def get_question_of_the_week(person: Person) -> Poll | None:
    """The newest question open in the resident's building."""
    if person.building_id is None:
        return None
    stmt = (
        select(Poll)
        .options(joinedload(Poll.choices))  # the panel draws them: one statement for both
        .where(
            Poll.building_id == person.building_id,
            Poll.status == PollStatus.OPEN,
            Poll.closes_at > utcnow(),
        )
        .order_by(Poll.opened_at.desc(), Poll.id.desc())
        .limit(1)
    )
    return db.session.scalars(stmt).unique().first()


def list_polls(person: Person) -> dict[str, list[Poll]]:
    """Open, waiting (staff and their authors) and ended questions of the person's buildings."""
    buildings = people.building_ids_for(person)
    now = utcnow()
    polls = list(
        db.session.scalars(
            select(Poll)
            .where(Poll.building_id.in_(buildings))
            .order_by(Poll.closes_at.desc(), Poll.id.desc())
            .limit(200)
        )
    )
    visible = [p for p in polls if _sees_poll(person, p, buildings)]
    return {
        "open": [p for p in visible if is_open(p, now)],
        "pending": [p for p in visible if p.status == PollStatus.PENDING],
        "ended": [p for p in visible if p.status == PollStatus.OPEN and not is_open(p, now)],
        "declined": [p for p in visible if p.status == PollStatus.DECLINED],
    }


# Ideas and observations ------------------------------------------------------------------


def do_post_idea(
    author: Person,
    *,
    kind: IdeaKind | str,
    text: str,
    about_person: bool = False,
    photo: bytes | None = None,
) -> Idea:
    """A resident posts an idea or an observation; one about a person goes to the
    coordinators only."""
    if not author.is_resident or author.building_id is None:
        raise people.not_found()
    try:
        kind = IdeaKind(kind)
    except ValueError:
        raise Invalid(_("Choose an idea or something you noticed."), "bad_kind") from None
    body = _text(text, MAX_IDEA, _("Write your idea in at most 1000 letters."), "bad_text")
    idea = Idea(
        building_id=author.building_id,
        author_id=author.id,
        kind=kind,
        text=body,
        private=bool(about_person),
    )
    if photo:
        stored = store_image(photo, photo_max_bytes())
        idea.photo_name, idea.thumb_name = stored.file_name, stored.thumb_name
    db.session.add(idea)
    db.session.flush()
    url = path_for("voice.idea", idea_id=idea.id)
    for coordinator in people.list_staff(idea.building_id, [Role.COORDINATOR]):
        if idea.private:
            notify(
                coordinator,
                "voice.observation",
                lambda: _("A resident wrote to you about a person."),
                url,
            )
        else:
            notify(coordinator, "voice.idea", lambda: _("A new idea in the idea box."), url)
    _publish_idea(idea)
    return idea


def may_see_idea(person: Person, idea: Idea) -> bool:
    if idea.building_id not in people.building_ids_for(person):
        return False
    if not idea.private:
        return True
    return person.id == idea.author_id or is_coordinator_of(person, idea.building_id)


def access_idea(person: Person, idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or not may_see_idea(person, idea):
        raise NotFound(_("This idea does not exist."))
    return idea


def _publish_idea(idea: Idea) -> None:
    """Public ideas: the building; private ones: their author and the coordinators only."""
    payload = {"idea_id": idea.id}
    if idea.private:
        rooms = [
            realtime.user_room(c.id)
            for c in people.list_staff(idea.building_id, [Role.COORDINATOR])
        ]
        if idea.author_id:
            rooms.append(realtime.user_room(idea.author_id))
        for room in rooms:
            realtime.publish(EVENT_IDEA_CHANGED, payload, room)
        return
    realtime.publish(EVENT_IDEA_CHANGED, payload, realtime.building_room(idea.building_id))
    if idea.author_id:
        realtime.publish(EVENT_IDEA_CHANGED, payload, realtime.user_room(idea.author_id))


def may_support(person: Person, idea: Idea) -> bool:
    """The residents of the building support its public ideas."""
    return not idea.private and person.is_resident and person.building_id == idea.building_id


def do_support(person: Person, idea_id: int, support: bool = True) -> int:
    """One tap to support an idea (again: nothing more); `support=False` takes it back.
    Returns the number of supporters."""
    begin_write(db.session)
    idea = access_idea(person, idea_id)
    if not may_support(person, idea):
        raise Forbidden(_("The residents of the building support ideas."), "not_supporter")
    if support:
        stmt = _insert(IdeaSupport).values(
            idea_id=idea.id, person_id=person.id, created_at=utcnow()
        )
        db.session.execute(stmt.on_conflict_do_nothing())
    else:
        db.session.execute(
            delete(IdeaSupport).where(
                IdeaSupport.idea_id == idea.id, IdeaSupport.person_id == person.id
            )
        )
    _publish_idea(idea)
    return count_supporters(idea.id)


def count_supporters(idea_id: int) -> int:
    stmt = select(func.count()).select_from(IdeaSupport).where(IdeaSupport.idea_id == idea_id)
    return int(db.session.scalar(stmt) or 0)


def supports(person: Person, idea_id: int) -> bool:
    stmt = select(IdeaSupport.idea_id).where(
        IdeaSupport.idea_id == idea_id, IdeaSupport.person_id == person.id
    )
    return db.session.scalar(stmt) is not None


def do_answer_idea(staff: Person, idea_id: int, status: IdeaStatus | str, answer: str) -> Idea:
    """The coordinator's public answer; "not kept" says why. The author is told."""
    idea = access_idea(staff, idea_id)
    check_decider(staff, idea.building_id)
    try:
        status = IdeaStatus(status)
    except ValueError:
        raise Invalid(_("Choose one of the answers shown."), "bad_status") from None
    answer = clean_text(answer or "").strip()
    if len(answer) > MAX_ANSWER:
        raise Invalid(_("Write the answer in at most 500 letters."), "bad_answer")
    if status == IdeaStatus.NOT_KEPT and not answer:
        raise Invalid(_("Please say why the idea is not kept."), "reason_needed")
    idea.status, idea.answer = status, answer
    idea.answered_by_id, idea.answered_at = staff.id, utcnow()
    db.session.flush()
    author = db.session.get(Person, idea.author_id) if idea.author_id else None
    if author is not None:
        notify(
            author,
            "voice.idea_answered",
            lambda: _("Your idea has an answer: %(status)s", status=status.label),
            path_for("voice.idea", idea_id=idea.id),
        )
    _publish_idea(idea)
    return idea


@dataclass(frozen=True)
class IdeaView:
    idea: Idea
    supporters: int
    mine: bool  # the viewer supports it


def _views(person: Person, ideas: list[Idea]) -> list[IdeaView]:
    ids = [i.id for i in ideas]
    counts = dict(
        db.session.execute(
            select(IdeaSupport.idea_id, func.count())
            .where(IdeaSupport.idea_id.in_(ids))
            .group_by(IdeaSupport.idea_id)
        ).all()
    )
    mine = set(
        db.session.scalars(
            select(IdeaSupport.idea_id).where(
                IdeaSupport.idea_id.in_(ids), IdeaSupport.person_id == person.id
            )
        )
    )
    return [IdeaView(i, int(counts.get(i.id, 0)), i.id in mine) for i in ideas]


def list_board(person: Person, limit: int = 100) -> list[IdeaView]:
    """The public ideas of the person's buildings, newest first."""
    stmt = (
        select(Idea)
        .where(Idea.building_id.in_(people.building_ids_for(person)), Idea.private.is_(False))
        .order_by(Idea.id.desc())
        .limit(limit)
    )
    return _views(person, list(db.session.scalars(stmt)))


def list_private(person: Person, limit: int = 100) -> list[Idea]:
    """Observations about a person: a coordinator's buildings' ones, or the author's own."""
    buildings = [b for b in people.building_ids_for(person) if is_coordinator_of(person, b)]
    stmt = (
        select(Idea)
        .where(
            Idea.private.is_(True),
            or_(Idea.author_id == person.id, Idea.building_id.in_(buildings)),
        )
        .order_by(Idea.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def get_idea_view(person: Person, idea: Idea) -> IdeaView:
    return _views(person, [idea])[0]


def list_ideas_by_ids(building_id: int, ids: list[int]) -> list[Idea]:
    """Public ideas of the building among these ids (agenda, decisions)."""
    if not ids:
        return []
    stmt = select(Idea).where(
        Idea.id.in_(ids), Idea.building_id == building_id, Idea.private.is_(False)
    )
    return list(db.session.scalars(stmt.order_by(Idea.id)))


# Meetings and decisions ------------------------------------------------------------------


def do_create_meeting(
    staff: Person,
    building_id: int,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    capacity: int | None = None,
    idea_ids: list[int] | None = None,
    poll_ids: list[int] | None = None,
    notes: str = "",
) -> Meeting:
    """A meeting is an activity of kind "meeting" (sign-up as for any activity) with an
    agenda built from ideas and questions of the building."""
    check_decider(staff, building_id)
    activity = activities.do_create_activity(
        staff,
        building_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        description=clean_text(notes or ""),
        category=ActivityCategory.MEETING,
        place=place,
    )
    meeting = Meeting(building_id=building_id, activity_id=activity.id)
    position = 0
    for idea in list_ideas_by_ids(building_id, idea_ids or []):
        meeting.items.append(AgendaItem(position=position, title=idea.text[:200], idea_id=idea.id))
        position += 1
    if poll_ids:
        polls = db.session.scalars(
            select(Poll).where(
                Poll.id.in_(poll_ids),
                Poll.building_id == building_id,
                Poll.status == PollStatus.OPEN,
            )
        )
        for poll in polls:
            meeting.items.append(
                AgendaItem(position=position, title=poll.question, poll_id=poll.id)
            )
            position += 1
    db.session.add(meeting)
    db.session.flush()
    return meeting


def access_meeting(person: Person, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.building_id not in people.building_ids_for(person):
        raise NotFound(_("This meeting does not exist."))
    return meeting


def get_activity_of(meeting: Meeting) -> Activity:
    activity = db.session.get(Activity, meeting.activity_id)
    assert activity is not None  # the meeting goes with its activity (ON DELETE CASCADE)
    return activity


def first_occurrence(meeting: Meeting) -> Occurrence | None:
    activity = get_activity_of(meeting)
    return activity.occurrences[0] if activity.occurrences else None


def list_meetings(
    person: Person, limit: int = 50
) -> list[tuple[Meeting, Activity, Occurrence | None]]:
    """The meetings of the person's buildings, the next or latest first."""
    stmt = (
        select(Meeting, Activity)
        .join(Activity, Activity.id == Meeting.activity_id)
        .options(selectinload(Activity.occurrences))  # one statement for all their dates
        .where(Meeting.building_id.in_(people.building_ids_for(person)))
        .order_by(Meeting.id.desc())
        .limit(limit)
    )
    return [
        (meeting, activity, activity.occurrences[0] if activity.occurrences else None)
        for meeting, activity in db.session.execute(stmt)
    ]


def do_write_minutes(staff: Person, meeting_id: int, minutes: str) -> Meeting:
    meeting = access_meeting(staff, meeting_id)
    check_decider(staff, meeting.building_id)
    text = clean_text(minutes or "").strip()
    if len(text) > 20_000:
        raise Invalid(_("The minutes are too long."), "too_long")
    meeting.minutes, meeting.minutes_at = text, utcnow()
    db.session.flush()
    realtime.publish(
        EVENT_DECISION_CHANGED,
        {"meeting_id": meeting.id},
        realtime.building_room(meeting.building_id),
    )
    return meeting


def do_add_decision(
    staff: Person,
    meeting_id: int,
    *,
    text: str,
    who: str = "",
    due_on: date | None = None,
    idea_ids: list[int] | None = None,
) -> Decision:
    """A decision of the meeting: what, who does it, by when, and the ideas it answers."""
    meeting = access_meeting(staff, meeting_id)
    check_decider(staff, meeting.building_id)
    decision = Decision(
        meeting_id=meeting.id,
        text=_text(text, MAX_ANSWER, _("Write the decision in at most 500 letters."), "bad_text"),
        who=clean_text(who or "").strip()[:120],
        due_on=due_on,
    )
    decision.ideas = list_ideas_by_ids(meeting.building_id, idea_ids or [])
    db.session.add(decision)
    db.session.flush()
    _publish_decision(meeting, decision)
    return decision


def _publish_decision(meeting: Meeting, decision: Decision) -> None:
    realtime.publish(
        EVENT_DECISION_CHANGED,
        {"meeting_id": meeting.id, "decision_id": decision.id},
        realtime.building_room(meeting.building_id),
    )


def access_decision(person: Person, decision_id: int) -> Decision:
    decision = db.session.get(Decision, decision_id)
    if decision is None or decision.meeting.building_id not in people.building_ids_for(person):
        raise NotFound(_("This decision does not exist."))
    return decision


def list_participants(meeting: Meeting) -> list[Person]:
    """Those signed up to the meeting and not marked absent."""
    stmt = (
        select(Person)
        .join(Signup, Signup.person_id == Person.id)
        .join(Occurrence, Occurrence.id == Signup.occurrence_id)
        .where(
            Occurrence.activity_id == meeting.activity_id,
            Signup.status == SignupStatus.CONFIRMED,
            or_(Signup.attended.is_(None), Signup.attended.is_(True)),
        )
        .order_by(Person.id)
        .distinct()
    )
    return list(db.session.scalars(stmt))


def do_mark_done(staff: Person, decision_id: int) -> Decision:
    """A decision is carried out: everyone who took part in the meeting is told."""
    begin_write(db.session)
    decision = access_decision(staff, decision_id)
    meeting = decision.meeting
    check_decider(staff, meeting.building_id)
    if decision.done_at is not None:
        raise Conflict(_("This decision is already done."), "done")
    decision.done_at, decision.done_by_id = utcnow(), staff.id
    db.session.flush()
    said, url = decision.text, path_for("voice.decisions")
    for person in list_participants(meeting):
        notify(
            person,
            "voice.decision_done",
            lambda: _("Done, as decided together: %(text)s", text=said),
            url,
        )
    _publish_decision(meeting, decision)
    return decision


def list_decisions(person: Person) -> list[Decision]:
    """The decisions of the person's buildings: those still to do first, then the done ones."""
    stmt = (
        select(Decision)
        .join(Meeting, Meeting.id == Decision.meeting_id)
        .where(Meeting.building_id.in_(people.building_ids_for(person)))
        .order_by(Decision.done_at.is_not(None), Decision.due_on, Decision.id.desc())
        .limit(200)
    )
    return list(db.session.scalars(stmt))


def list_agenda_sources(staff: Person, building_id: int) -> tuple[list[Idea], list[Poll]]:
    """What a meeting's agenda may be built from: the building's ideas still to answer or
    under study, and its open questions."""
    ideas = db.session.scalars(
        select(Idea)
        .where(
            Idea.building_id == building_id,
            Idea.private.is_(False),
            Idea.status.in_([IdeaStatus.RECEIVED, IdeaStatus.STUDYING, IdeaStatus.PLANNED]),
        )
        .order_by(Idea.id.desc())
        .limit(50)
    )
    polls = db.session.scalars(
        select(Poll)
        .where(Poll.building_id == building_id, Poll.status == PollStatus.OPEN)
        .order_by(Poll.id.desc())
        .limit(20)
    )
    return list(ideas), list(polls)
