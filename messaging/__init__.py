"""Messaging between residents, the concierge desk and the coordinator."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "messaging",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/messaging/static",
)

from messaging import events, figures, privacy, routes, tiles  # noqa: E402, F401
