"""The Activities tile on every home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.home.tiles import Tile, register_tile

register_tile(Tile(key="activities", endpoint="activities.calendar", icon="📅",
                   label=_l("Activities"), order=20))  # fmt: skip
