"""What every login page shares, whichever blueprint serves it: the login limit, a fresh
session at login and its end, and the page of a one-time link that no longer works."""

from __future__ import annotations

from flask import current_app, render_template, session
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from portal.errors import DomainError, Refusal
from portal.i18n import SESSION_LOCALE_KEY
from portal.people.models import Person, Role


def login_limit() -> str:
    """The limit on password and link logins (residents' photo codes have their own)."""
    return current_app.config["AUTH_STAFF_LOGIN_LIMIT"]


def login_failed(response: Response) -> bool:
    """Count only failed attempts against login limits (a success redirects)."""
    return response.status_code != 302


def start_session(person: Person) -> None:
    """A fresh session at every login (the chosen language kept); residents' tablets stay
    logged in."""
    chosen_locale = session.get(SESSION_LOCALE_KEY)
    session.clear()
    if chosen_locale:
        session[SESSION_LOCALE_KEY] = chosen_locale
    login_user(person, remember=False)
    session.permanent = person.role == Role.RESIDENT


def replace_session(person: Person) -> None:
    """A link opened in a browser where someone else is logged in: them out, the person in."""
    if current_user.is_authenticated:
        logout_user()
    start_session(person)


def end_session() -> None:
    """Log the person out and forget everything this browser's session held."""
    logout_user()
    session.clear()


def link_gone(relative_login_url: str | None = None) -> Refusal:
    """The answer to a one-time link that no longer works (as an unknown page): the reason,
    then the staff's "get a new link", or, for a link sent to a relative, their login page."""

    def answer(error: DomainError) -> tuple[str, int]:
        page = render_template(
            "auth/link_gone.html", message=error.message, relative_login_url=relative_login_url
        )
        return page, 404

    return answer
