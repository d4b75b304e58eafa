"""The staff's "Alerts" tile on their home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.home.tiles import Tile, register_tile
from portal.people.models import STAFF_ROLES

register_tile(
    Tile(
        key="alerts",
        endpoint="alerts.index",
        icon="triangle-alert",
        label=_l("Alerts"),
        order=16,
        roles=frozenset(STAFF_ROLES),
    )
)
