"""The family circle on the home screens: a "My family" button below a resident's tiles, a
"Families" tile for coordinators."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.home.tiles import Panel, Tile, register_panel, register_tile
from portal.people.models import Person, Role


def panel_context(person: Person) -> dict[str, Any] | None:
    """The way to the circle (no query: the home reads its counts in one statement)."""
    return {"url": url_for("family.circle", resident_id=person.id)}


register_panel(
    Panel(
        key="family",
        template="family/_home_panel.html",
        context=panel_context,
        order=90,
        roles=frozenset({Role.RESIDENT}),
    )
)
register_tile(
    Tile(
        key="family",
        endpoint="family.home",
        icon="heart",
        label=_l("Families"),
        order=70,
        roles=frozenset({Role.COORDINATOR}),
    )
)
