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
