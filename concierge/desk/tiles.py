"""The desk tiles: the resident's Concierge tile, and the concierge desk for staff."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import ColumnElement, func, or_, select

from concierge.desk import access as desk
from concierge.desk import parcels, tickets, visits
from concierge.desk.models import Parcel, Ticket
from portal.home.tiles import (
    Tile,
    TodayItem,
    badge_of,
    building_ids_for,
    register_tile,
    register_today,
)
from portal.people.models import Person, Role

DESK_EVENTS = (
    tickets.EVENT_CREATED,
    tickets.EVENT_CHANGED,
    parcels.EVENT_LOGGED,
    parcels.EVENT_COLLECTED,
    visits.EVENT_CHANGED,
)


def open_tickets_count(person: Person) -> ColumnElement[int]:
    """As SQL: the resident's reports and their dwelling's still being handled (the same
    count as tickets.count_open_for)."""
    mine = [Ticket.reporter_id == person.id]
    if person.dwelling_id is not None:
        mine.append(Ticket.dwelling_id == person.dwelling_id)
    return (
        select(func.count(Ticket.id))
        .where(or_(*mine), Ticket.status.in_(tickets.OPEN_STATUSES))
        .scalar_subquery()
    )


def open_tickets_text(count: int) -> str:
    """The Concierge tile's hint: how many reports are still being handled."""
    if not count:
        return ""
    return ngettext("%(num)d report in progress", "%(num)d reports in progress", count)


def waiting_parcels_count(person: Person) -> ColumnElement[int] | int:
    """The badge as SQL: the resident's dwelling's waiting parcels (the same count as
    parcels.count_waiting_for)."""
    if not person.is_resident or person.dwelling_id is None:
        return 0
    return (
        select(func.count(Parcel.id))
        .where(Parcel.dwelling_id == person.dwelling_id, Parcel.collected_at.is_(None))
        .scalar_subquery()
    )


def open_desk_items_count(staff: Person) -> ColumnElement[int] | int:
    """The desk badge as SQL: open tickets and waiting parcels of all the staff member's
    buildings (the same count as desk.count_open_items)."""
    if staff.role not in desk.DESK_STAFF_ROLES:
        return 0
    buildings = building_ids_for(staff)
    open_tickets = (
        select(func.count(Ticket.id))
        .where(Ticket.building_id.in_(buildings), Ticket.status.in_(tickets.OPEN_STATUSES))
        .scalar_subquery()
    )
    waiting = (
        select(func.count(Parcel.id))
        .where(Parcel.building_id.in_(buildings), Parcel.collected_at.is_(None))
        .scalar_subquery()
    )
    return open_tickets + waiting


def parcel_today_items(person: Person) -> list[TodayItem]:
    """A parcel waiting at the desk for the resident's home (the count the tile shows)."""
    count = badge_of(person, "concierge")
    if not count:
        return []
    text = ngettext(
        "A parcel is waiting for you at the desk",
        "%(num)d parcels are waiting for you at the desk",
        count,
    )
    return [TodayItem(icon="package", text=text, url=url_for("concierge.my_home"))]


# The resident's "Concierge" tile opens their home page: problems, parcels, logbook, visits.
register_tile(
    Tile(
        key="concierge",
        endpoint="concierge.my_home",
        icon="concierge-bell",
        label=_l("The concierge desk"),  # one name for the desk (docs/glossary.md)
        order=40,
        roles=frozenset({Role.RESIDENT}),
        hint_count=open_tickets_count,
        hint_text=open_tickets_text,
        badge_count=waiting_parcels_count,
        badge_endpoint="concierge.api_my_parcels",
        badge_events=(parcels.EVENT_LOGGED, parcels.EVENT_COLLECTED),
        badge_text=_l("Parcels: %(num)s"),
    )
)
register_today("parcels", parcel_today_items)
register_tile(
    Tile(
        key="desk",
        endpoint="concierge.desk_page",
        icon="concierge-bell",
        label=_l("Concierge desk"),
        order=5,
        roles=desk.DESK_STAFF_ROLES,
        badge_count=open_desk_items_count,
        badge_endpoint="concierge.api_desk_count",
        badge_events=DESK_EVENTS,
    )
)
