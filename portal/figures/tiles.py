"""The "Figures" tile on the coordinator's and the managers' home."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.figures.service import READER_ROLES
from portal.home.tiles import Tile, register_tile

register_tile(
    Tile(
        key="figures",
        endpoint="figures.index",
        icon="chart-column",
        label=_l("Figures"),
        order=80,
        roles=READER_ROLES,
    )
)
