"""The desk tiles: the resident's Concierge tile, and the concierge desk for staff."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from concierge import desk, parcels, tickets, visits
from portal.home.tiles import Tile, TodayItem, register_tile, register_today
from portal.people.models import Person, Role

DESK_EVENTS = (
    tickets.EVENT_CREATED,
    tickets.EVENT_CHANGED,
    parcels.EVENT_LOGGED,
    parcels.EVENT_COLLECTED,
    visits.EVENT_CHANGED,
)


def open_tickets_hint(person: Person) -> str:
    """How many of the resident's reports are still being handled."""
    count = tickets.count_open_for(person)
    if not count:
        return ""
    return ngettext("%(num)d report in progress", "%(num)d reports in progress", count)


def parcel_today_items(person: Person) -> list[TodayItem]:
    """A parcel waiting at the desk for the resident's home."""
    count = parcels.count_waiting_for(person)
    if not count:
        return []
    text = ngettext(
        "A parcel is waiting for you at the desk",
        "%(num)d parcels are waiting for you at the desk",
        count,
    )
    return [TodayItem(icon="📦", text=text, url=url_for("concierge.my_home"))]


# The resident's "Concierge" tile opens their home page: problems, parcels, logbook, visits.
register_tile(
    Tile(
        key="concierge",
        endpoint="concierge.my_home",
        icon="🛎",
        label=_l("Concierge"),
        order=40,
        roles=frozenset({Role.RESIDENT}),
        hint=open_tickets_hint,
        badge=parcels.count_waiting_for,
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
        icon="🛎",
        label=_l("Concierge desk"),
        order=5,
        roles=desk.DESK_STAFF_ROLES,
        badge=desk.count_open_items,
        badge_endpoint="concierge.api_desk_count",
        badge_events=DESK_EVENTS,
    )
)
