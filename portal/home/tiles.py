"""Home-screen tiles that each domain registers, with an optional live badge."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import lazy_gettext as _l

from portal.people.models import Person, Role

ALL_ROLES = frozenset(Role)
DEFAULT_BADGE_TEXT = _l("%(num)s new")


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
    badge_text: Any = None  # a lazy string with %(num)s, e.g. "%(num)s today"; "… new" if None


_tiles: dict[str, Tile] = {}


def register_tile(tile: Tile) -> None:
    _tiles[tile.key] = tile


# The resident's home: exactly these five tiles, in this order, whatever else is registered.
RESIDENT_TILE_KEYS = ("messages", "activities", "help", "concierge", "announcements")


def get_tile(key: str) -> Tile | None:
    return _tiles.get(key)


def _tile_view(tile: Tile, person: Person) -> dict[str, Any]:
    badge_url = ""
    if tile.badge_endpoint:
        badge_url = url_for(tile.badge_endpoint)
    elif tile.badge:
        badge_url = url_for("home.tile_badge", key=tile.key)
    count = tile.badge(person) if tile.badge else 0
    text = str(tile.badge_text or DEFAULT_BADGE_TEXT)
    return {
        "tile": tile,
        "url": url_for(tile.endpoint),
        "hint": tile.hint(person) if tile.hint else "",
        "badge": count,
        "badge_url": badge_url,
        "badge_label": text % {"num": count},
        "badge_template": text % {"num": "{n}"},
    }


def tiles_for(person: Person) -> list[dict[str, Any]]:
    """The tiles a person sees, in order, with their badge counts."""
    result = []
    for tile in sorted(_tiles.values(), key=lambda t: (t.order, t.key)):
        if person.role not in tile.roles:
            continue
        result.append(_tile_view(tile, person))
    return result


def resident_tiles_for(person: Person) -> list[dict[str, Any]]:
    """The five tiles of a resident's home, in their fixed order (missing ones left out)."""
    found = (_tiles.get(key) for key in RESIDENT_TILE_KEYS)
    return [_tile_view(t, person) for t in found if t is not None and person.role in t.roles]


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


# "Today" on the resident's home ---------------------------------------------------------
# Each domain lists what concerns the person today (an activity they joined, a parcel
# waiting, a help request they took); the home gathers them in one panel.


@dataclass(frozen=True)
class TodayItem:
    icon: str
    text: str
    url: str
    time: str = ""  # already formatted in the person's time zone, or ""
    sort_key: str = "~"  # items with a time come first, by time
    done_label: str = ""  # e.g. "I am going"
    action_url: str = ""  # a one-tap POST (e.g. "Join"); the form carries the CSRF token
    action_label: str = ""
    action_fields: tuple[tuple[str, str], ...] = ()


_today_sources: dict[str, Callable[[Person], list[TodayItem]]] = {}


def register_today(key: str, source: Callable[[Person], list[TodayItem]]) -> None:
    _today_sources[key] = source


def today_for(person: Person) -> list[TodayItem]:
    """Everything the domains list for the person today, those with a time first."""
    items = [item for key in sorted(_today_sources) for item in _today_sources[key](person)]
    return sorted(items, key=lambda item: item.sort_key)


def today_bounds(person: Person, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Midnight to midnight of the person's today, in their time zone, as UTC moments."""
    zone = ZoneInfo(person.time_zone or "Europe/Paris")
    local = (now or datetime.now(UTC)).astimezone(zone)
    start = datetime.combine(local.date(), time(0, 0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
