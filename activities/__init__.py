"""Activity planning: the coordinator's calendar and sign-ups that never overbook."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "activities",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/activities/static",
)

from activities import figures, privacy, routes, tiles  # noqa: E402, F401


@bp.app_context_processor
def calendar_helpers() -> dict[str, object]:
    """What the activity templates call: the weekday names of the month grid."""
    return {"weekday_names": weekday_names}


def weekday_names() -> list[str]:
    """Short weekday names, Monday first, in the page's language."""
    from babel.dates import get_day_names
    from flask_babel import get_locale

    names = get_day_names("abbreviated", locale=get_locale())
    return [names[i] for i in range(7)]
