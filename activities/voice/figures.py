"""Residents' voice in the figures: who takes part in questions, ideas and meetings, by age
band and by household type (residents counted once per row).

Who answered a named question is in its votes (`voter_id`). Who answered an anonymous one
is recorded nowhere: it is found again by computing the key of each person of the
question's building (service.anonymous_keys, with the app's secret) and looking for it
among the keys of its votes. The figure still reads the database with one statement (the
acts, the keys, the people), the keys being matched in Python (HMACs are cheap)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Select, String, case, cast, literal, null, or_, select, union_all

from activities.models import Activity, ActivityCategory, Occurrence, Signup, SignupStatus
from activities.voice.models import Idea, IdeaSupport, Poll, PollVote
from activities.voice.service import anonymous_keys
from portal.extensions import db
from portal.figures.service import (
    AGE_BANDS,
    HOUSEHOLDS,
    Column,
    Figure,
    FigureRequest,
    Period,
    Row,
    Scope,
    age_band,
    household_type_of,
    households_of,
    register_figure,
)
from portal.people.models import Person

WAYS: dict[str, Any] = {
    "polls": _l("Answered a question"),
    "ideas": _l("Shared an idea or an observation"),
    "supports": _l("Supported an idea"),
    "meetings": _l("Came to a building meeting"),
}
NO_HOUSEHOLD = "none"


# Rows of the statement that are not acts of taking part: the keys of the anonymous votes
# of the period, and the people of those questions' buildings (whose keys are computed).
VOTE_KEY = "vote_key"
CANDIDATE = "candidate"


def _taking_part(scope: Scope, period: Period, now: datetime) -> Any:
    """Every act of taking part in the period, as one subquery of (way, person_id,
    building_id, poll_id, voter_key): the acts name their person; an anonymous answer names
    nobody, so its key comes instead (way VOTE_KEY), with the people who may have given it
    (way CANDIDATE: everyone placed in a building with an anonymous question answered)."""
    bounds = period.moment_bounds()
    start, end = bounds[0], min(bounds[-1], now)
    no_int, no_key = cast(null(), Integer), cast(null(), String(64))

    def act(way: str, person: Any) -> Any:
        return (
            literal(way).label("way"),
            person.label("person_id"),
            no_int.label("building_id"),
            no_int.label("poll_id"),
            no_key.label("voter_key"),
        )

    in_period = (
        Poll.building_id.in_(scope.building_ids),
        Poll.opened_at >= start,
        Poll.opened_at < end,
    )
    named = (
        select(*act("polls", PollVote.voter_id))
        .join(Poll, Poll.id == PollVote.poll_id)
        .where(*in_period, Poll.anonymous.is_(False), PollVote.voter_id.is_not(None))
    )
    anonymous = (
        select(literal(VOTE_KEY), no_int, Poll.building_id, Poll.id, PollVote.voter_key)
        .join(PollVote, PollVote.poll_id == Poll.id)
        .where(*in_period, Poll.anonymous.is_(True))
    )
    answered_buildings = select(anonymous.subquery().c.building_id)
    candidates = select(literal(CANDIDATE), Person.id, Person.building_id, no_int, no_key).where(
        Person.building_id.in_(answered_buildings)
    )
    ideas = select(*act("ideas", Idea.author_id)).where(
        Idea.building_id.in_(scope.building_ids),
        Idea.author_id.is_not(None),
        Idea.created_at >= start,
        Idea.created_at < end,
    )
    supports = (
        select(*act("supports", IdeaSupport.person_id))
        .join(Idea, Idea.id == IdeaSupport.idea_id)
        .where(
            Idea.building_id.in_(scope.building_ids),
            IdeaSupport.created_at >= start,
            IdeaSupport.created_at < end,
        )
    )
    meetings = (
        select(*act("meetings", Signup.person_id))
        .join(Occurrence, Occurrence.id == Signup.occurrence_id)
        .join(Activity, Activity.id == Occurrence.activity_id)
        .where(
            Activity.building_id.in_(scope.building_ids),
            Activity.category == ActivityCategory.MEETING,
            Occurrence.cancelled_at.is_(None),
            Occurrence.starts_at >= start,
            Occurrence.starts_at < end,
            Signup.status == SignupStatus.CONFIRMED,
            or_(Signup.attended.is_(None), Signup.attended.is_(True)),
        )
    )
    parts = (named, anonymous, candidates, ideas, supports, meetings)
    return union_all(*parts).subquery("taking_part")


def _inner(scope: Scope, period: Period, now: datetime) -> Select[Any]:
    """Each row once: (way, band, household, person, building, poll, key)."""
    acts = _taking_part(scope, period, now)
    households = households_of(scope, period.ref_year)
    rows = (
        select(
            acts.c.way.label("way"),
            age_band(Person.birth_year, period.ref_year).label("band"),
            case(
                (households.c.dwelling_id.is_(None), NO_HOUSEHOLD),
                else_=household_type_of(households),
            ).label("household"),
            acts.c.person_id.label("counted"),
            acts.c.building_id.label("building_id"),
            acts.c.poll_id.label("poll_id"),
            acts.c.voter_key.label("voter_key"),
        )
        .select_from(acts)
        .outerjoin(Person, Person.id == acts.c.person_id)  # a vote's key names nobody
        .outerjoin(households, households.c.dwelling_id == Person.dwelling_id)
    ).subquery("rows")
    return select(*rows.c).distinct()


def read_rows(scope: Scope, period: Period, now: datetime) -> list[Any]:
    """_inner's rows (one statement), which both figures count."""
    return list(db.session.execute(_inner(scope, period, now)).mappings())


def _counts(
    scope: Scope, period: Period, now: datetime, split: str, rows: list[Any] | None = None
) -> list[tuple[str, str, int]]:
    """(way, band or household, residents): the rows (read_rows, unless given), then the
    anonymous answers matched in Python: each candidate's key for each question of their
    building (made with the app's secret), looked for among that question's keys."""
    taking_part: dict[tuple[str, str], set[int]] = {}
    keys: dict[int, set[str]] = {}
    building_of: dict[int, int] = {}
    candidates: dict[int, list[tuple[int, str]]] = {}
    for row in read_rows(scope, period, now) if rows is None else rows:
        value = row[split]
        if row["way"] == VOTE_KEY:
            keys.setdefault(row["poll_id"], set()).add(row["voter_key"])
            building_of[row["poll_id"]] = row["building_id"]
        elif row["way"] == CANDIDATE:
            candidates.setdefault(row["building_id"], []).append((row["counted"], value))
        else:
            taking_part.setdefault((row["way"], value), set()).add(row["counted"])
    for poll_id, poll_keys in keys.items():
        people = candidates.get(building_of[poll_id], [])
        theirs = anonymous_keys(poll_id, [person_id for person_id, _value in people])
        for person_id, value in people:
            if theirs[person_id] in poll_keys:
                taking_part.setdefault(("polls", value), set()).add(person_id)
    return [(way, value, len(ids)) for (way, value), ids in taking_part.items()]


def _figure(key: str, title: Any, split: str, labels: dict[str, Any], counts: Any) -> Figure:
    columns = tuple(Column(k, str(v)) for k, v in labels.items())
    by: dict[tuple[str, str], int] = {(way, value): n for way, value, n in counts}
    rows = tuple(
        Row(way, str(label), tuple(by.get((way, c.key), 0) for c in columns))
        for way, label in WAYS.items()
    )
    return Figure(
        key=key,
        title=str(title),
        description=str(
            _l(
                "Residents who took part in the period, each counted once per line: questions "
                "opened, ideas shared or supported, meetings (without those marked absent). "
                "Anonymous answers count who answered, never what."
            )
        ),
        row_header=str(_l("Taking part")),
        columns=columns,
        rows=rows,
        chart="hbar-stacked",
    )


def get_voice_by_age(
    scope: Scope, period: Period, now: datetime, rows: list[Any] | None = None
) -> Figure:
    counts = _counts(scope, period, now, "band", rows)
    return _figure(
        "voice-ages", _l("Residents' voice: who takes part, by age"), "band", AGE_BANDS, counts
    )


def get_voice_by_household(
    scope: Scope, period: Period, now: datetime, rows: list[Any] | None = None
) -> Figure:
    counts = _counts(scope, period, now, "household", rows)
    return _figure(
        "voice-households",
        _l("Residents' voice: who takes part, by household"),
        "household",
        HOUSEHOLDS,
        counts,
    )


def _shared_rows(r: FigureRequest) -> list[Any]:
    """Both voice figures of a page count the same rows: read once."""
    rows: list[Any] = r.once("voice-rows", lambda: read_rows(r.scope, r.period, r.now))
    return rows


register_figure(
    "voice-ages", lambda r: get_voice_by_age(r.scope, r.period, r.now, _shared_rows(r)), 80
)
register_figure(
    "voice-households",
    lambda r: get_voice_by_household(r.scope, r.period, r.now, _shared_rows(r)),
    81,
)
