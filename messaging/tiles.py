"""The Messages tile on every home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from messaging import service
from portal.home.tiles import Tile, register_tile

register_tile(
    Tile(
        key="messages",
        endpoint="messaging.inbox",
        icon="✉",
        label=_l("Messages"),
        order=10,
        badge=service.total_unread,
        badge_endpoint="messaging.api_unread",
        badge_events=(service.EVENT_CREATED, service.EVENT_READ, service.EVENT_HIDDEN),
    )
)
