"""Permission to enter and expected visitors: told by the resident, on the desk's day list."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from concierge.desk import queue as desk_queue
from concierge.desk import visits
from concierge.desk.models import VisitKind
from messaging.service import desk_room
from portal.extensions import db
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=PARIS)


@pytest.fixture
def resident(building):
    return make_resident(building)


def add(person, dwelling_id, start, hours=2, **kwargs):
    fields = {"kind": "visitor", "visitor": "Mon fils Paul", **kwargs}
    return visits.do_add_visit(
        person, dwelling_id, starts_at=start, ends_at=start + timedelta(hours=hours), **fields
    )


def test_visits_of_the_day_are_on_the_desks_list(resident, building, events):
    with time_machine.travel(NOW, tick=False):
        today = add(resident, resident.dwelling_id, NOW.replace(hour=14))
        plumber = add(
            resident,
            resident.dwelling_id,
            NOW.replace(hour=8),
            hours=4,
            kind="entry_permission",
            visitor="Plombier Dupont",
        )
        tomorrow = add(resident, resident.dwelling_id, NOW + timedelta(days=1))
        cancelled = add(resident, resident.dwelling_id, NOW.replace(hour=16))
        visits.do_cancel_visit(resident, cancelled.id)
    other = make_resident(make_building())
    with time_machine.travel(NOW, tick=False):
        add(other, other.dwelling_id, NOW.replace(hour=15))
    db.session.commit()  # as the request would: the events leave after the commit
    day = visits.list_for_day(building.id, NOW, PARIS)
    assert day == [plumber, today]
    assert plumber.kind == VisitKind.ENTRY_PERMISSION
    assert tomorrow not in day and cancelled not in day
    assert desk_room(building.id) in {e.to for e in events.named(visits.EVENT_CHANGED)}
    staff = make_staff(Role.CONCIERGE, [building])
    queue = desk_queue.list_queue(staff, building, NOW)
    assert [i.detail for i in queue if i.kind == "visit"] == ["Plombier Dupont", "Mon fils Paul"]


def test_bad_visits_are_refused(resident):
    with time_machine.travel(NOW, tick=False):
        assert code(add, resident, resident.dwelling_id, NOW, visitor=" ") == "bad_visitor"
        assert code(add, resident, resident.dwelling_id, NOW, hours=-1) == "end_before_start"
        assert code(add, resident, resident.dwelling_id, NOW - timedelta(days=1)) == "past"
        assert code(add, resident, resident.dwelling_id, NOW, hours=24 * 40) == "too_long"
        assert code(add, resident, resident.dwelling_id, NOW, kind="party") == "bad_kind"
        assert code(add, resident, resident.dwelling_id, NOW, note="x" * 301) == "too_long"
        assert visits.list_for_dwelling(resident, resident.dwelling_id, NOW) == []


def test_only_the_dwellings_residents_and_staff_see_and_cancel(resident, building):
    neighbour = make_resident(building)
    staff = make_staff(Role.CONCIERGE, [building])
    with time_machine.travel(NOW, tick=False):
        visit = add(resident, resident.dwelling_id, NOW.replace(hour=14))
        assert code(add, neighbour, resident.dwelling_id, NOW.replace(hour=14)) == "not_found"
        assert code(visits.do_cancel_visit, neighbour, visit.id) == "not_found"
        assert visits.list_for_dwelling(staff, resident.dwelling_id, NOW) == [visit]
        visits.do_cancel_visit(resident, visit.id)
        assert code(visits.do_cancel_visit, resident, visit.id) == "cancelled"
        assert visits.list_for_dwelling(resident, resident.dwelling_id, NOW) == []
