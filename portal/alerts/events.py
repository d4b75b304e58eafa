"""Socket.IO rooms of the alert pages: the building's staff hear its alerts change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal import realtime
from portal.alerts import service


@realtime.on_connect
def staff_rooms(person: Any) -> Iterable[str]:
    """A connecting member of staff joins the alert rooms of the buildings they cover."""
    return service.rooms_for(person)
