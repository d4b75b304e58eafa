"""Activity categories (with a pictogram) and audiences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "meal": ("🍲", _l("Shared meal")),
    "crafts": ("🧶", _l("Crafts and knitting")),
    "learning": ("📚", _l("Homework and learning")),
    "digital": ("💻", _l("Tablet and computers")),
    "sport": ("🚶", _l("Walks and gentle exercise")),
    "games": ("🎲", _l("Games")),
    "culture": ("🎭", _l("Outings and culture")),
    "other": ("✨", _l("Other")),
}

AUDIENCES = {
    "everyone": _l("Everyone"),
    "seniors": _l("Seniors"),
    "children": _l("Children with a parent"),
    "families": _l("Families"),
}


def icon(category: str) -> str:
    return CATEGORIES.get(category, CATEGORIES["other"])[0]


def label(category: str) -> str:
    return str(CATEGORIES.get(category, CATEGORIES["other"])[1])


def audience_label(audience: str) -> str:
    return str(AUDIENCES.get(audience, AUDIENCES["everyone"]))
