"""The desk tiles: reporting a problem, my home, and the concierge desk for staff."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from concierge import desk, parcels, tickets, visits
from portal.home.tiles import Tile, register_tile
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


register_tile(
    Tile(
        key="desk_report",
        endpoint="concierge.my_tickets",
        icon="🔧",
        label=_l("Report a problem"),
        order=30,
        roles=frozenset({Role.RESIDENT}),
        hint=open_tickets_hint,
    )
)
register_tile(
    Tile(
        key="desk_home",
        endpoint="concierge.my_home",
        icon="🏠",
        label=_l("My home"),
        order=31,
        roles=frozenset({Role.RESIDENT}),
        badge=parcels.count_waiting_for,
        badge_endpoint="concierge.api_my_parcels",
        badge_events=(parcels.EVENT_LOGGED, parcels.EVENT_COLLECTED),
    )
)
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
