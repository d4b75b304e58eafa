"""The Messages tile on every home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect

from messaging import service
from portal.home.tiles import Tile, building_ids_for, register_tile
from portal.people.models import Person


def unread_count(person: Person) -> ScalarSelect[int]:
    """The badge as SQL: service.total_unread in one scalar subquery."""
    return service.unread_total_sql(
        person, service.readable_conversations(person, building_ids_for(person))
    )


register_tile(
    Tile(
        key="messages",
        endpoint="messaging.inbox",
        icon="mail",
        label=_l("Messages"),
        order=10,
        badge_count=unread_count,
        badge_endpoint="messaging.api_unread",
        badge_events=(service.EVENT_CREATED, service.EVENT_READ, service.EVENT_HIDDEN),
    )
)
