"""Socket.IO rooms of the wellbeing pages: the building's staff hear the list change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal import realtime
from portal.wellbeing import service


@realtime.on_connect
def staff_rooms(person: Any) -> Iterable[str]:
    return service.rooms_for(person)
