"""The concierge: the desk (tickets, parcels, the dwelling logbook, expected visits) and the
neighbour service exchange, two subpackages under one blueprint (one URL space)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "concierge",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/concierge/static",
)

from concierge import desk, exchange  # noqa: E402, F401
