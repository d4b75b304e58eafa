"""Pictograms of residents' voice, drawn by portal.icons (lucide-static SVG, inline).

Poll answers choose from ANSWER_ICONS only: a fixed set, each with the name the picker shows.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from portal.icons import PACKAGE_DIR, LazyIcon
from portal.icons import icon as portal_icon

__all__ = ["ANSWER_ICONS", "PACKAGE_DIR", "UI_ICONS", "LazyIcon", "icon", "is_answer_icon"]

# The pictograms a poll's answer may carry, in the order the picker shows them.
ANSWER_ICONS: dict[str, object] = {
    "thumbs-up": _l("Agree"),
    "thumbs-down": _l("Disagree"),
    "meh": _l("Maybe"),
    "heart": _l("Love it"),
    "sun": _l("Daytime"),
    "moon": _l("Evening"),
    "calendar": _l("A day"),
    "clock": _l("A time"),
    "coffee": _l("Coffee"),
    "utensils": _l("A meal"),
    "music": _l("Music"),
    "party-popper": _l("A party"),
    "trees": _l("Garden"),
    "flower": _l("Flowers"),
    "footprints": _l("A walk"),
    "bus": _l("An outing"),
    "book-open": _l("Reading"),
    "gamepad-2": _l("Games"),
    "paintbrush": _l("Painting"),
    "users": _l("Together"),
    "baby": _l("Children"),
    "dog": _l("Animals"),
    "house": _l("Home"),
    "wrench": _l("Repairs"),
    "trash-2": _l("Waste"),
    "shield-check": _l("Safety"),
    "lightbulb": _l("Another idea"),
}

# Pictograms of the pages' own actions (the package has them all; see tests).
UI_ICONS = frozenset(
    {
        "vote",
        "lightbulb",
        "megaphone",
        "clipboard-list",
        "printer",
        "camera",
        "check",
        "circle-check",
        "circle-x",
        "calendar-check",
        "hourglass",
        "users",
        "inbox",
        "search",
        "heart-handshake",
        "list-checks",
        "eye",
        "lock",
        "plus",
        "pencil",
        "send",
        "settings",
        "scroll-text",
        "message-circle",
    }
)


def is_answer_icon(name: str) -> bool:
    return name in ANSWER_ICONS


def answer_icon_label(name: str) -> str:
    return str(ANSWER_ICONS.get(name, ""))


def icon(name: str, size: int = 32, css: str = "") -> Markup:
    """A voice page's pictogram (portal.icons), with the class voice's stylesheet sizes."""
    return portal_icon(name, size, f"voice-icon {css}".strip())
