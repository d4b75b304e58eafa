"""Parcels: logged for a dwelling, its residents told live, handed over, reminded once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from concierge.desk import parcels
from concierge.desk.models import ParcelSize
from messaging.service import desk_room
from portal import realtime
from portal.extensions import db
from portal.notifications.service import EVENT_CREATED, list_notifications
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def household(building):
    """Two residents sharing a flat, and a neighbour."""
    first = make_resident(building, first_name="Jeanne", locale="en")
    second = make_resident(dwelling=first.dwelling, first_name="Marcel", locale="en")
    neighbour = make_resident(building, first_name="Odile", locale="en")
    return first, second, neighbour


def test_logging_a_parcel_tells_every_resident_of_the_dwelling(concierge, household, events):
    first, second, neighbour = household
    parcel = parcels.do_log_parcel(
        concierge, first.dwelling_id, carrier="Colissimo", size="medium", note="Fragile"
    )
    db.session.commit()  # as the request would: the events leave after the commit
    assert parcel.size == ParcelSize.MEDIUM and parcel.logged_by_id == concierge.id
    for person in (first, second):
        assert list_notifications(person.id)[0].title == (
            "A parcel (Colissimo) is waiting for you at the desk."
        )
    assert list_notifications(neighbour.id) == []
    to = {e.to for e in events.named(parcels.EVENT_LOGGED)}
    assert to == {
        realtime.user_room(first.id),
        realtime.user_room(second.id),
        desk_room(concierge.building_id),
    }
    notified = {e.to for e in events.named(EVENT_CREATED)}
    assert realtime.user_room(neighbour.id) not in notified
    assert parcels.count_waiting_for(first) == 1 and parcels.count_waiting_for(neighbour) == 0


def test_bad_parcels_are_refused(concierge, household):
    first, _second, _neighbour = household
    assert code(parcels.do_log_parcel, concierge, first.dwelling_id, size="huge") == "bad_size"
    assert code(parcels.do_log_parcel, concierge, first.dwelling_id, carrier="x" * 81) == "too_long"
    assert code(parcels.do_log_parcel, first, first.dwelling_id) == "not_found"
    other = make_staff(Role.CONCIERGE, [make_building()])
    assert code(parcels.do_log_parcel, other, first.dwelling_id) == "not_found"
    assert parcels.list_for_dwelling(concierge, first.dwelling_id) == []


def test_hand_over_to_a_resident_or_a_named_person(concierge, household, events):
    first, second, neighbour = household
    parcel = parcels.do_log_parcel(concierge, first.dwelling_id)
    assert code(parcels.do_hand_over, concierge, parcel.id, collected_by_id=neighbour.id) == (
        "bad_resident"
    )
    assert code(parcels.do_hand_over, concierge, parcel.id) == "no_collector"
    assert code(parcels.do_hand_over, first, parcel.id, collected_by_id=first.id) == "forbidden"
    parcels.do_hand_over(concierge, parcel.id, collected_by_id=second.id)
    assert parcel.collected_by_id == second.id and parcel.handed_over_by_id == concierge.id
    assert parcel.collected_at is not None
    assert code(parcels.do_hand_over, concierge, parcel.id, collected_by_name="X") == "collected"
    db.session.commit()  # as the request would: the events leave after the commit
    assert realtime.user_room(first.id) in {e.to for e in events.named(parcels.EVENT_COLLECTED)}
    other = parcels.do_log_parcel(concierge, first.dwelling_id)
    parcels.do_hand_over(concierge, other.id, collected_by_name="  Sa fille, Claire  ")
    assert other.collected_by_name == "Sa fille, Claire" and other.collected_by_id is None
    assert parcels.list_for_dwelling(first, first.dwelling_id) == []
    assert len(parcels.list_for_dwelling(first, first.dwelling_id, collected=True)) == 2


def test_reminder_after_three_days_is_sent_once(concierge, household, events):
    first, second, _neighbour = household
    logged_at = datetime(2026, 5, 4, 10, 0, tzinfo=PARIS)
    with time_machine.travel(logged_at, tick=False):
        waiting = parcels.do_log_parcel(concierge, first.dwelling_id)
        collected = parcels.do_log_parcel(concierge, first.dwelling_id)
        parcels.do_hand_over(concierge, collected.id, collected_by_id=first.id)
    with time_machine.travel(logged_at + timedelta(days=1), tick=False):
        fresh = parcels.do_log_parcel(concierge, first.dwelling_id)
    db.session.commit()
    events.clear()
    assert parcels.send_due_reminders(logged_at + timedelta(days=2, hours=23)) == 0
    assert parcels.send_due_reminders(logged_at + timedelta(days=3)) == 1
    db.session.commit()  # as the job would: the events leave after the commit
    assert waiting.reminded_at is not None and fresh.reminded_at is None
    assert collected.reminded_at is None
    titles = [n.title for n in list_notifications(second.id)]
    assert titles[0] == "A parcel has been waiting for you at the desk for 3 days."
    assert {e.to for e in events.named(EVENT_CREATED)} == {
        realtime.user_room(first.id),
        realtime.user_room(second.id),
    }
    assert parcels.send_due_reminders(logged_at + timedelta(days=3, hours=1)) == 0
    assert parcels.send_due_reminders(logged_at + timedelta(days=10)) == 1  # the fresh one only
    assert fresh.reminded_at is not None


def test_the_scheduled_job_sends_the_reminders(concierge, household):
    from concierge.desk import jobs

    first, _second, _neighbour = household
    with time_machine.travel(datetime.now(PARIS) - timedelta(days=4), tick=False):
        parcels.do_log_parcel(concierge, first.dwelling_id)
    assert jobs.run_parcel_reminders() == 1
    assert jobs.run_parcel_reminders() == 0
