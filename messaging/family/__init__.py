"""The family circle: relatives and carers a resident invited, who write to them from
their own phone or computer and see only what the resident chose to show."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("family", __name__, template_folder="templates")

from messaging.family import access, demo, privacy, routes, tiles  # noqa: E402, F401
