"""Announcements: staff write to one building, residents read them, staff see who read."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "announcements",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/announcements/static",
)

from messaging.announcements import demo, models, privacy, routes, tiles  # noqa: E402, F401
