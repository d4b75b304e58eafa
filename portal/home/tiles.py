"""Home-screen tiles that each domain registers, with an optional live badge."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar

from flask import g, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select

from portal.extensions import db
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.registry import Registry

ALL_ROLES = frozenset(Role)
DEFAULT_BADGE_TEXT = _l("%(num)s new")

# A count as SQL: a scalar subquery such as `select(func.count(X.id)).where(...)
# .scalar_subquery()`, or a plain int when nothing needs counting (e.g. 0 for a role that
# never has any). Several of them are read together in one statement (count_all).
CountSource = Callable[[Person], ColumnElement[int] | int]

T = TypeVar("T")


# Per-request memory -----------------------------------------------------------------------
# What several tiles and panels of one page need (the person's buildings, a count shown
# twice) is read once per request. Tests keep one app context (one `g`) across requests,
# so the memory belongs to the request object, not to `g` alone.


def request_memo() -> dict[Hashable, Any]:
    """A dict that lives as long as the current request (a fresh one outside a request)."""
    if not has_request_context():
        return {}
    current = request._get_current_object()  # type: ignore[attr-defined]
    if g.get("_home_memo_request") is not current:
        g._home_memo_request = current
        g._home_memo = {}
    memo: dict[Hashable, Any] = g._home_memo
    return memo


def memoised(key: Hashable, compute: Callable[[], T]) -> T:
    """compute() once per request for this key."""
    memo = request_memo()
    if key not in memo:
        memo[key] = compute()
    result: T = memo[key]
    return result


def buildings_for(person: Person) -> list[Building]:
    """The buildings the person may see, read once per request."""
    return memoised(("buildings", person.id), partial(people.list_buildings_for, person))


def building_ids_for(person: Person) -> list[int]:
    return sorted(b.id for b in buildings_for(person))


# Counts ---------------------------------------------------------------------------------


def count_now(source: CountSource, person: Person) -> int:
    """One count on its own (a live badge endpoint)."""
    value = source(person)
    if isinstance(value, int):
        return value
    return int(db.session.scalar(select(value)) or 0)


def count_all(person: Person, sources: Mapping[str, CountSource]) -> dict[str, int]:
    """Every count in ONE statement: SELECT (subquery a), (subquery b), ...; the results
    are remembered for the request (see counted)."""
    values = {key: source(person) for key, source in sources.items()}
    result = {key: value for key, value in values.items() if isinstance(value, int)}
    queried = {key: value for key, value in values.items() if not isinstance(value, int)}
    if queried:
        row = db.session.execute(
            select(*(value.label(f"c{i}") for i, value in enumerate(queried.values())))
        ).one()
        result.update({key: int(n or 0) for key, n in zip(queried, row, strict=True)})
    memo = request_memo()
    memo.update({("count", person.id, key): n for key, n in result.items()})
    return result


def counted(person: Person, key: str, source: CountSource) -> int:
    """A count already read for this request under `key` (by count_all), else read now."""
    return memoised(("count", person.id, key), partial(count_now, source, person))


@dataclass(frozen=True)
class Tile:
    key: str
    endpoint: str
    icon: str
    label: Any  # a lazy translated string
    order: int = 50
    roles: frozenset[Role] = ALL_ROLES
    hint: Callable[[Person], str] | None = None
    # The badge, preferably as SQL (badge_count): a page reads every tile's badge in one
    # statement, and `badge` (for the JSON endpoint) is derived from it. A tile may still
    # give only `badge`, a function that runs its own queries.
    badge: Callable[[Person], int] | None = None
    badge_count: CountSource | None = None
    badge_endpoint: str | None = None  # JSON {"count": n}, re-read on badge_events
    badge_events: tuple[str, ...] = field(default_factory=tuple)
    badge_text: Any = None  # a lazy string with %(num)s, e.g. "%(num)s today"; "… new" if None
    # A hint made from a count (read with the badges): hint_text(hint_count(person)).
    hint_count: CountSource | None = None
    hint_text: Callable[[int], str] | None = None

    def __post_init__(self) -> None:
        # One definition per count: the functions that read one on its own derive from it.
        if self.badge_count is not None and self.badge is None:
            object.__setattr__(self, "badge", partial(count_now, self.badge_count))
        if self.hint_count is not None and self.hint_text is not None and self.hint is None:
            object.__setattr__(self, "hint", partial(_hint_now, self.hint_count, self.hint_text))


def _hint_now(source: CountSource, text: Callable[[int], str], person: Person) -> str:
    return text(count_now(source, person))


_tiles: Registry[Tile] = Registry()


def register_tile(tile: Tile) -> None:
    _tiles.register(tile.key, tile, tile.order)


# The resident's home: exactly these five tiles, in this order, whatever else is registered.
RESIDENT_TILE_KEYS = ("messages", "activities", "help", "concierge", "announcements")


def get_tile(key: str) -> Tile | None:
    return _tiles.get(key)


def badge_key(tile_key: str) -> str:
    """The key under which a page's count_all keeps a tile's badge (see counted)."""
    return f"badge:{tile_key}"


def badge_of(person: Person, key: str) -> int:
    """A tile's badge count, the one the page already read if it did (0 if no such badge)."""
    tile = _tiles.get(key)
    if tile is None or tile.badge_count is None:
        return tile.badge(person) if tile is not None and tile.badge else 0
    return counted(person, badge_key(key), tile.badge_count)


def _count_sources(tiles: Iterable[Tile]) -> dict[str, CountSource]:
    sources: dict[str, CountSource] = {}
    for tile in tiles:
        if tile.badge_count is not None:
            sources[badge_key(tile.key)] = tile.badge_count
        if tile.hint_count is not None:
            sources[f"hint:{tile.key}"] = tile.hint_count
    return sources


def _tile_view(tile: Tile, person: Person, counts: Mapping[str, int]) -> dict[str, Any]:
    badge_url = ""
    if tile.badge_endpoint:
        badge_url = url_for(tile.badge_endpoint)
    elif tile.badge:
        badge_url = url_for("home.tile_badge", key=tile.key)
    if tile.badge_count is not None:
        count = counts[badge_key(tile.key)]
    else:
        count = tile.badge(person) if tile.badge else 0
    if tile.hint_count is not None and tile.hint_text is not None:
        hint = tile.hint_text(counts[f"hint:{tile.key}"])
    else:
        hint = tile.hint(person) if tile.hint else ""
    text = str(tile.badge_text or DEFAULT_BADGE_TEXT)
    return {
        "tile": tile,
        "url": url_for(tile.endpoint),
        "hint": hint,
        "badge": count,
        "badge_url": badge_url,
        "badge_label": text % {"num": count},
        "badge_template": text % {"num": "{n}"},
    }


def _tile_views(
    person: Person, tiles: list[Tile], also: Mapping[str, CountSource] | None
) -> list[dict[str, Any]]:
    """The views of these tiles; their counts, and `also`, read in one statement."""
    counts = count_all(person, {**_count_sources(tiles), **(also or {})})
    return [_tile_view(tile, person, counts) for tile in tiles]


def tiles_for(
    person: Person, also: Mapping[str, CountSource] | None = None
) -> list[dict[str, Any]]:
    """The tiles a person sees, in order, with their badge counts. Counts in `also` (e.g.
    the notification bell) are read in the same statement; get them with counted()."""
    tiles = [tile for tile in _tiles.ordered() if person.role in tile.roles]
    return _tile_views(person, tiles, also)


def resident_tiles_for(
    person: Person, also: Mapping[str, CountSource] | None = None
) -> list[dict[str, Any]]:
    """The five tiles of a resident's home, in their fixed order (missing ones left out)."""
    found = (_tiles.get(key) for key in RESIDENT_TILE_KEYS)
    tiles = [t for t in found if t is not None and person.role in t.roles]
    return _tile_views(person, tiles, also)


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


_panels: Registry[Panel] = Registry()


def register_panel(panel: Panel) -> None:
    _panels.register(panel.key, panel, panel.order)


def panels_for(person: Person) -> list[dict[str, Any]]:
    """The panels a person sees on their home screen, in order, each with its context."""
    result = []
    for panel in _panels.ordered():
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


_today_sources: Registry[Callable[[Person], list[TodayItem]]] = Registry()


def register_today(key: str, source: Callable[[Person], list[TodayItem]]) -> None:
    _today_sources.register(key, source)


def today_for(person: Person) -> list[TodayItem]:
    """Everything the domains list for the person today, those with a time first."""
    items = [item for source in _today_sources.ordered() for item in source(person)]
    return sorted(items, key=lambda item: item.sort_key)


def today_bounds(person: Person, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Midnight to midnight of the person's today, in their time zone, as UTC moments."""
    zone = zone_of(person)
    local = (now or datetime.now(UTC)).astimezone(zone)
    start = datetime.combine(local.date(), time(0, 0), tzinfo=zone)
    end = datetime.combine(local.date() + timedelta(days=1), time(0, 0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)
