"""Accounts, login methods, sessions and permission decorators."""

from __future__ import annotations

from flask import Blueprint, Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

bp = Blueprint("auth", __name__, template_folder="templates")


def init_app(app: Flask, login_manager: LoginManager) -> None:
    """Wire Flask-Login to the person loader and the login page."""
    from portal.auth import service

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(service.load_session_person)
    app.before_request(forget_loaded_person)
    from portal.auth import confined

    confined.init_app(app)


def forget_loaded_person() -> None:
    """Load the person anew for each request or socket event, even in a reused app context."""
    g.pop("_login_user", None)


from portal.auth import events, routes  # noqa: E402, F401
