"""The "Help between neighbours" tile on every home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from concierge import helping
from portal.home.tiles import Tile, register_tile

register_tile(
    Tile(
        key="help",
        endpoint="concierge.help_board",
        icon="🤝",
        label=_l("Help between neighbours"),
        order=30,
        badge=helping.count_for_badge,
        badge_endpoint="concierge.help_badge",
        badge_events=(helping.EVENT_CHANGED,),
    )
)
