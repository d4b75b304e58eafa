"""Pictograms of residents' voice: SVG icons of the npm package lucide-static (ISC), drawn
inline so they take the text's colour, each beside its words and hidden from screen readers.

Poll answers choose from ANSWER_ICONS only: a fixed set, each with the name the picker shows.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

PACKAGE_DIR = "lucide-static/icons"

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

_ATTRIBUTES = re.compile(r"<svg\b[^>]*>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def is_answer_icon(name: str) -> bool:
    return name in ANSWER_ICONS


def answer_icon_label(name: str) -> str:
    return str(ANSWER_ICONS.get(name, ""))


@cache
def _svg_body(folder: str, name: str) -> str:
    """The icon's drawing (inside <svg>), read once per process."""
    text = (Path(folder) / PACKAGE_DIR / f"{name}.svg").read_text(encoding="utf-8")
    text = _COMMENT.sub("", text)
    start = _ATTRIBUTES.search(text)
    end = text.rfind("</svg>")
    if start is None or end < 0:
        return ""
    return text[start.end() : end].strip()


def icon(name: str, size: int = 32, css: str = "") -> Markup:
    """An inline SVG pictogram, decorative (the words beside it say the same)."""
    if name not in ANSWER_ICONS and name not in UI_ICONS:
        return Markup("")
    try:
        body = _svg_body(current_app.config["PORTAL_NODE_MODULES"], name)
    except OSError:
        return Markup("")  # the npm packages are not installed: the words remain
    classes = escape(f"voice-icon {css}".strip())
    return Markup(
        f'<svg class="{classes}" xmlns="http://www.w3.org/2000/svg" width="{int(size)}" '
        f'height="{int(size)}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" '
        f'focusable="false">{body}</svg>'
    )


class LazyIcon(str):
    """A pictogram's name that Jinja draws as its SVG (a home tile's icon is made at import,
    before the app that knows where the npm packages are)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(icon(str(self)))
