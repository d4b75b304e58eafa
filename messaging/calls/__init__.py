"""Video calls: one-to-one WebRTC calls between a resident's tablet and the building's staff
or the resident's family, signalled through Socket.IO; calls are never recorded, only logged."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "calls",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/calls/static",
)

from messaging.calls import events, privacy, routes  # noqa: E402, F401
