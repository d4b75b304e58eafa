"""The "Help between neighbours" tile on every home screen, and the help I promised today."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from concierge.exchange import service as helping
from concierge.exchange.models import HelpRequest, HelpStatus
from portal.home.tiles import (
    Tile,
    TodayItem,
    building_ids_for,
    register_tile,
    register_today,
    today_bounds,
)
from portal.people.models import Person


def open_requests_count(person: Person) -> ColumnElement[int]:
    """The badge as SQL: open requests of the person's buildings that a neighbour could take
    (the same count as helping.count_for_badge)."""
    return (
        select(func.count(HelpRequest.id))
        .where(
            HelpRequest.building_id.in_(building_ids_for(person)),
            HelpRequest.status == HelpStatus.OPEN,
            HelpRequest.requester_id != person.id,
        )
        .scalar_subquery()
    )


def today_items(person: Person) -> list[TodayItem]:
    """The help requests the person took that are due by the end of today."""
    _start, end = today_bounds(person)
    items = []
    for request in helping.list_helping(person):
        if request.status != HelpStatus.TAKEN or request.helper_id != person.id:
            continue
        if request.window_start.replace(tzinfo=None) >= end.replace(tzinfo=None):
            continue
        items.append(
            TodayItem(
                icon=request.kind.icon,
                text=_("I help: %(kind)s", kind=request.kind.label),
                url=url_for("concierge.help_request", request_id=request.id),
                time=format_time(request.window_start, "short"),
                sort_key=request.window_start.isoformat(),
            )
        )
    return items


register_tile(
    Tile(
        key="help",
        endpoint="concierge.help_board",
        icon="handshake",
        label=_l("Help between neighbours"),
        order=30,
        badge_count=open_requests_count,
        badge_endpoint="concierge.help_badge",
        badge_events=(helping.EVENT_CHANGED,),
    )
)
register_today("help", today_items)
