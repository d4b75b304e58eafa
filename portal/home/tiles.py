"""Home-screen tiles that each domain registers, with an optional live badge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import url_for

from portal.people.models import Person, Role

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class Tile:
    key: str
    endpoint: str
    icon: str
    label: Any  # a lazy translated string
    order: int = 50
    roles: frozenset[Role] = ALL_ROLES
    hint: Callable[[Person], str] | None = None
    badge: Callable[[Person], int] | None = None
    badge_endpoint: str | None = None  # JSON {"count": n}, re-read on badge_events
    badge_events: tuple[str, ...] = field(default_factory=tuple)


_tiles: dict[str, Tile] = {}


def register_tile(tile: Tile) -> None:
    _tiles[tile.key] = tile


def tiles_for(person: Person) -> list[dict[str, Any]]:
    """The tiles a person sees, in order, with their badge counts."""
    result = []
    for tile in sorted(_tiles.values(), key=lambda t: (t.order, t.key)):
        if person.role not in tile.roles:
            continue
        result.append(
            {
                "tile": tile,
                "url": url_for(tile.endpoint),
                "hint": tile.hint(person) if tile.hint else "",
                "badge": tile.badge(person) if tile.badge else 0,
                "badge_url": url_for(tile.badge_endpoint) if tile.badge_endpoint else "",
            }
        )
    return result


# Home panels ----------------------------------------------------------------------------
# Below the tiles, each domain may show a panel: "today" items, a check-in button, a pinned
# announcement. A panel's context function returns None when it has nothing to show.


@dataclass(frozen=True)
class Panel:
    key: str
    template: str  # rendered with the context the function returns
    context: Callable[[Person], dict[str, Any] | None]
    order: int = 50
    roles: frozenset[Role] = ALL_ROLES


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _panels[panel.key] = panel


def panels_for(person: Person) -> list[dict[str, Any]]:
    """The panels a person sees on their home screen, in order, each with its context."""
    result = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if person.role not in panel.roles:
            continue
        context = panel.context(person)
        if context is not None:
            result.append({"panel": panel, "context": context})
    return result
