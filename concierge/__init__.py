"""The concierge desk and the neighbour service exchange: tickets, parcels, the dwelling
logbook, expected visits, and neighbours helping each other."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "concierge",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/concierge/static",
)

from concierge import demo, desk_routes, desk_tiles, events, help_models, help_routes, models, tiles  # noqa: E402, F401
