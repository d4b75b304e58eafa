"""Locale and time-zone selection, and the Jinja helpers that go with them."""

from __future__ import annotations

from typing import Any, Protocol
from zoneinfo import ZoneInfo

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_time, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.db import utcnow
from portal.errors import DATABASE_UNAVAILABLE

DEFAULT_ZONE = "Europe/Paris"  # the landlord's; a person or building may name another
LOCALE_NAMES = {"fr": "Français", "en": "English", "ar": "العربية"}
RTL_LOCALES = frozenset({"ar", "he", "fa", "ur"})
ROLE_LABELS = {
    "resident": _l("Resident"),
    "coordinator": _l("Intergenerational coordinator"),
    "concierge": _l("Concierge"),
    "manager": _l("Manager"),
}


def role_label(role: str) -> str:
    """The translated name of a role (Role is a str enum)."""
    return str(ROLE_LABELS[str(role)])


SESSION_LOCALE_KEY = "locale"


class HasZone(Protocol):
    time_zone: str | None


def zone_of(owner: HasZone | None) -> ZoneInfo:
    """The time zone of a person or a building, Europe/Paris when it names none."""
    name = owner.time_zone if owner is not None else None
    return ZoneInfo(name or DEFAULT_ZONE)


def supported_locales() -> tuple[str, ...]:
    return tuple(current_app.config["PORTAL_LOCALES"])


def select_locale() -> str:
    """The person's setting, then the language chosen on this device, then the browser's."""
    locales = supported_locales()
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    own = _logged_in_setting("locale")
    if own in locales:
        return own
    chosen = session.get(SESSION_LOCALE_KEY)
    if chosen in locales:
        return chosen
    best = request.accept_languages.best_match(locales)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def text_direction(locale: object | None = None) -> str:
    """ "rtl" for languages written from right to left, else "ltr" (for <html dir>)."""
    code = str(locale if locale is not None else get_locale())
    return "rtl" if code.split("_")[0] in RTL_LOCALES else "ltr"


def locale_names() -> dict[str, str]:
    """The languages this portal offers, each named in its own language."""
    return {code: LOCALE_NAMES.get(code, code) for code in supported_locales()}


def select_timezone() -> str:
    own = _logged_in_setting("time_zone") if has_request_context() else None
    return own or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _logged_in_setting(name: str) -> Any:
    """A setting of the logged-in person; None when nobody is, or the database is away
    (an error page must still speak the device's language)."""
    try:
        if current_user and current_user.is_authenticated:
            return getattr(current_user, name)
    except DATABASE_UNAVAILABLE:
        from portal.extensions import db

        db.session.rollback()
    return None


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        get_locale=get_locale,
        locale_names=locale_names,
        text_direction=text_direction,
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_time=format_time,
        now_utc=utcnow,
        role_label=role_label,
    )
