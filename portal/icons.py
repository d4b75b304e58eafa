"""Pictograms: SVG icons of the npm package lucide-static (ISC), served from the portal itself.

Each is drawn inline so it takes the text's colour and shows without any system font, beside
the words that say the same (so it is hidden from screen readers). Any icon of the package may
be named; tests/test_icons.py checks that every name the code and templates use exists.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from flask import Flask, current_app
from markupsafe import Markup, escape

PACKAGE_DIR = "lucide-static/icons"

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_ATTRIBUTES = re.compile(r"<svg\b[^>]*>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def icon_path(folder: str | Path, name: str) -> Path | None:
    """The icon's file in the npm package under `folder`, or None for a name that is not one."""
    if not _NAME.match(name):
        return None
    return Path(folder) / PACKAGE_DIR / f"{name}.svg"


@cache
def _svg_body(folder: str, name: str) -> str:
    """The icon's drawing (inside <svg>), read once per process."""
    path = icon_path(folder, name)
    if path is None:
        return ""
    text = _COMMENT.sub("", path.read_text(encoding="utf-8"))
    start = _ATTRIBUTES.search(text)
    end = text.rfind("</svg>")
    if start is None or end < 0:
        return ""
    return text[start.end() : end].strip()


def icon(name: str, size: int = 32, css: str = "") -> Markup:
    """An inline SVG pictogram, decorative (the words beside it say the same)."""
    try:
        body = _svg_body(current_app.config["PORTAL_NODE_MODULES"], str(name))
    except OSError:
        return Markup("")  # not an icon of the package, or npm packages missing: words remain
    if not body:
        return Markup("")
    classes = escape(f"icon {css}".strip())
    return Markup(
        f'<svg class="{classes}" xmlns="http://www.w3.org/2000/svg" width="{int(size)}" '
        f'height="{int(size)}" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
        'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" '
        f'focusable="false">{body}</svg>'
    )


class LazyIcon(str):
    """A pictogram's name that Jinja draws as its SVG (declared at import, e.g. a home tile's
    or an enum member's, before the app that knows where the npm packages are)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(icon(str(self)))


def init_app(app: Flask) -> None:
    """Let every template draw a pictogram: `{{ icon("house", 32) }}`."""
    app.jinja_env.globals["icon"] = icon
