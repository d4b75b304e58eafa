"""Presence: a touch a moment after the last one writes nothing (every socket of a worker
reconnecting at once costs no write); the next heartbeat, a minute later, writes; a new day
in the resident's zone writes its activity row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.people import presence
from portal.people import service as people
from portal.people.models import ActivityDay
from tests.factories import make_resident

# 23:59:50 in Paris (UTC+1 in December): ten seconds before the resident's next day.
BEFORE_MIDNIGHT = datetime(2026, 12, 5, 22, 59, 50, tzinfo=UTC)


def _days(person_id: int) -> list[str]:
    stmt = select(ActivityDay.day).where(ActivityDay.person_id == person_id)
    return sorted(d.isoformat() for d in db.session.scalars(stmt))


def test_a_touch_within_the_fresh_window_writes_nothing(app) -> None:
    resident = make_resident()
    with time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=UTC), tick=False):
        people.do_touch_presence(resident)
        first = resident.last_seen_at
    just_before = datetime(2026, 12, 5, 10, 0, tzinfo=UTC) + presence.FRESH - timedelta(seconds=1)
    with time_machine.travel(just_before, tick=False):
        people.do_touch_presence(resident)
    assert resident.last_seen_at == first


def test_the_next_heartbeat_writes_again(app) -> None:
    resident = make_resident()
    start = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        people.do_touch_presence(resident)
    heartbeat = start + presence.FRESH
    with time_machine.travel(heartbeat, tick=False):
        people.do_touch_presence(resident)
    assert resident.last_seen_at == heartbeat


def test_a_new_day_in_the_residents_zone_writes_its_row_at_once(app) -> None:
    resident = make_resident()
    with time_machine.travel(BEFORE_MIDNIGHT, tick=False):
        people.do_touch_presence(resident)
    with time_machine.travel(BEFORE_MIDNIGHT + timedelta(seconds=15), tick=False):
        people.do_touch_presence(resident)
    assert _days(resident.id) == ["2026-12-05", "2026-12-06"]


def test_a_clock_that_went_back_is_not_fresh(app) -> None:
    resident = make_resident()
    now = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    resident.last_seen_at = now + timedelta(seconds=10)
    assert not presence.is_fresh(resident, now)
