"""Links and labels for pages that list many people, worked out once per page, not per person.

A page of 200 people built each link with url_for and each label with gettext, row by row;
that per-row work was most of the time these pages took. Both helpers are template globals
(registered in portal/people/__init__.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import url_for
from flask_babel import gettext as _

# An id no row has: the URL is built once around it, then each row puts its own id there.
_PLACEHOLDER_ID = 987_654_321


def id_url(endpoint: str, key: str = "person_id") -> Callable[[int], str]:
    """A function that gives url_for(endpoint, **{key: id}) for any id, calling url_for once."""
    head, found, tail = url_for(endpoint, **{key: _PLACEHOLDER_ID}).partition(str(_PLACEHOLDER_ID))
    if not found:
        raise ValueError(f"{endpoint} does not put {key} in its URL")

    def build(value: int) -> str:
        return f"{head}{int(value)}{tail}"

    return build


def floor_labels(floors: Iterable[int | None]) -> dict[int, str]:
    """The name of each of these floors ("Ground floor", "Floor 3"), translated once each."""
    return {
        floor: _("Ground floor") if floor == 0 else _("Floor %(n)d", n=floor)
        for floor in set(floors)
        if floor is not None
    }
