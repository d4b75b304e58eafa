"""Residents' voice in the figures: who takes part in questions, ideas and meetings, by age
band and by household type (residents counted once per row)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, literal, or_, select, union_all

from activities.models import Activity, ActivityCategory, Occurrence, Signup, SignupStatus
from activities.voice.models import Idea, IdeaSupport, Poll, PollParticipant
from portal.figures.service import (
    AGE_BANDS,
    HOUSEHOLDS,
    Column,
    Figure,
    Period,
    Row,
    Scope,
    _household_type,
    _households,
    age_band,
    grouped,
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


def _taking_part(scope: Scope, period: Period, now: datetime) -> Any:
    """(way, person_id) for every act of taking part in the period, as one subquery."""
    bounds = period.moment_bounds()
    start, end = bounds[0], min(bounds[-1], now)
    polls = (
        select(literal("polls").label("way"), PollParticipant.person_id.label("person_id"))
        .join(Poll, Poll.id == PollParticipant.poll_id)
        .where(
            Poll.building_id.in_(scope.building_ids),
            Poll.opened_at >= start,
            Poll.opened_at < end,
        )
    )
    ideas = select(literal("ideas"), Idea.author_id).where(
        Idea.building_id.in_(scope.building_ids),
        Idea.author_id.is_not(None),
        Idea.created_at >= start,
        Idea.created_at < end,
    )
    supports = (
        select(literal("supports"), IdeaSupport.person_id)
        .join(Idea, Idea.id == IdeaSupport.idea_id)
        .where(
            Idea.building_id.in_(scope.building_ids),
            IdeaSupport.created_at >= start,
            IdeaSupport.created_at < end,
        )
    )
    meetings = (
        select(literal("meetings"), Signup.person_id)
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
    return union_all(polls, ideas, supports, meetings).subquery("taking_part")


def _inner(scope: Scope, period: Period, now: datetime) -> Select[Any]:
    acts = _taking_part(scope, period, now)
    households = _households(scope, period.ref_year)
    return (
        select(
            acts.c.way.label("way"),
            age_band(Person.birth_year, period.ref_year).label("band"),
            case(
                (households.c.dwelling_id.is_(None), NO_HOUSEHOLD),
                else_=_household_type(households),
            ).label("household"),
            acts.c.person_id.label("counted"),
        )
        .select_from(acts)
        .join(Person, Person.id == acts.c.person_id)
        .outerjoin(households, households.c.dwelling_id == Person.dwelling_id)
    )


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


def get_voice_by_age(scope: Scope, period: Period, now: datetime) -> Figure:
    counts = grouped(_inner(scope, period, now), "way", "band")
    return _figure(
        "voice-ages", _l("Residents' voice: who takes part, by age"), "band", AGE_BANDS, counts
    )


def get_voice_by_household(scope: Scope, period: Period, now: datetime) -> Figure:
    counts = grouped(_inner(scope, period, now), "way", "household")
    return _figure(
        "voice-households",
        _l("Residents' voice: who takes part, by household"),
        "household",
        HOUSEHOLDS,
        counts,
    )


register_figure("voice-ages", lambda r: get_voice_by_age(r.scope, r.period, r.now), 80)
register_figure("voice-households", lambda r: get_voice_by_household(r.scope, r.period, r.now), 81)
