"""The one kind of registry for what the domains contribute to a shared screen or duty (home
tiles, "To call" sections, desk-queue sources, export sections…): each part is registered
under a key when its package is imported, and the page or duty reads them back, in the order
they were registered or by their order then key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T]):
    """Parts by key, read like a mapping; registering a key again replaces its part in place
    (the part keeps its first place in the registration order)."""

    def __init__(self) -> None:
        self._parts: dict[str, T] = {}
        self._orders: dict[str, int] = {}

    def register(self, key: str, part: T, order: int = 0) -> T:
        """Add (or replace) the part `key`, placed by `order` among the ordered parts."""
        self._parts[key] = part
        self._orders[key] = order
        return part

    def pop(self, key: str) -> T:
        """Remove the part `key` (a test that registered it cleans up) and return it."""
        del self._orders[key]
        return self._parts.pop(key)

    def __getitem__(self, key: str) -> T:
        return self._parts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def ordered_keys(self) -> list[str]:
        """The keys by their order, then by key, whatever order the packages were imported in."""
        return sorted(self._parts, key=lambda key: (self._orders[key], key))

    def ordered(self) -> list[T]:
        """The parts by their order, then by key."""
        return [self._parts[key] for key in self.ordered_keys()]
