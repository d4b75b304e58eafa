"""Wellbeing: a daily "I'm fine today" check-in, the staff's "To call" list, and the
"I need help" button that reaches the building's staff live."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "wellbeing",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/wellbeing/static",
)

from portal.wellbeing import (  # noqa: E402, F401
    contacts,
    demo,
    events,
    models,
    queue,
    routes,
    tiles,
)
