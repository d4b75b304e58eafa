"""Alerts that reach a person: help calls, missed check-ins, urgent requests and overdue
tickets go by email and SMS to whoever is on call, and escalate until someone is on it."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint(
    "alerts",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/alerts/static",
)

from portal.alerts import events, models, privacy, routes, tiles  # noqa: E402, F401


def init(app: Flask) -> None:
    """Register the alert pages (the factory calls this; the jobs go with the others)."""
    app.register_blueprint(bp)
