"""Socket.IO rooms of the wellbeing pages: the building's staff hear the list change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal import realtime
from portal.wellbeing import service


@realtime.on_connect
def staff_rooms(person: Any) -> Iterable[str]:
    """A connecting staff member joins the rooms of the buildings they cover."""
    return service.rooms_for(person)
