"""Residents' voice: polls, the idea box and the building's meetings (cafés concertation).

A subpackage of activities (a meeting is an activity of kind "meeting") with its own
blueprint, registered by portal.factory.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "voice",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/voice/static",
)

from activities.voice import figures, privacy, routes, tiles  # noqa: E402, F401
from activities.voice.icons import icon  # noqa: E402


@bp.app_context_processor
def voice_helpers() -> dict[str, object]:
    """What the voice templates (and the home's panel) call: the SVG pictograms."""
    return {"voice_icon": icon}
