"""Socket.IO rooms of the referrals: a building's coordinators and managers hear its
referrals change; a partner hears of their own in their personal room. Partners send no
event of their own (the portal's heartbeat and whoami only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portal import realtime
from portal.referrals import service


@realtime.on_connect
def referral_rooms(person: Any) -> Iterable[str]:
    """A connecting coordinator or manager joins the referral rooms of their buildings."""
    return service.rooms_for(person)
