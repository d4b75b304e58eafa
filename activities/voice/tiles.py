"""Residents' voice on the home screens: the "Question of the week" panel for residents,
a tile for the staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from activities.voice import service
from activities.voice.icons import LazyIcon
from activities.voice.models import Idea, IdeaStatus, Poll, PollStatus
from activities.voice.panel import panel_context
from portal.home.tiles import Panel, Tile, building_ids_for, register_panel, register_tile
from portal.people.models import STAFF_ROLES, Person, Role


def waiting_count(person: Person) -> ColumnElement[int] | int:
    """Staff badge: questions waiting for approval and ideas not answered yet."""
    buildings = building_ids_for(person)
    polls = (
        select(func.count(Poll.id))
        .where(Poll.building_id.in_(buildings), Poll.status == PollStatus.PENDING)
        .scalar_subquery()
    )
    unanswered = [
        Idea.building_id.in_(buildings),
        Idea.status == IdeaStatus.RECEIVED,
        Idea.answered_at.is_(None),
    ]
    if person.role != Role.COORDINATOR:
        unanswered.append(Idea.private.is_(False))  # observations about a person: theirs only
    ideas = select(func.count(Idea.id)).where(*unanswered).scalar_subquery()
    return polls + ideas


register_panel(
    Panel(
        key="voice",
        template="voice/_home_panel.html",
        context=panel_context,
        order=15,
        roles=frozenset({Role.RESIDENT}),
    )
)
register_tile(
    Tile(
        key="voice",
        endpoint="voice.index",
        icon=LazyIcon("vote"),
        label=_l("Residents' voice"),
        order=60,
        roles=frozenset(STAFF_ROLES),
        badge_count=waiting_count,
        badge_events=(service.EVENT_POLL_OPENED, service.EVENT_IDEA_CHANGED),
        badge_text=_l("%(num)s to answer"),
    )
)
