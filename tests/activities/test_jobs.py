from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from activities import service
from activities.models import ReminderPreference
from activities.reminders import send_due_reminders
from portal.notifications.service import EVENT_CREATED, list_notifications
from portal.people.models import Role
from portal.transaction import owns_transaction
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")


def send(now: datetime) -> int:
    """Send the due reminders as the job does: its wrapper commits, then the events leave."""
    return owns_transaction(send_due_reminders)(now)


def setup_activity(db):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    start = datetime(2026, 12, 3, 15, 0, tzinfo=PARIS)
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=PARIS), tick=False):
        occurrence = service.do_create_activity(
            coordinator,
            building.id,
            title="Loto",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=2,
        ).occurrences[0]
        ann, bob, cat, dan = (make_resident(building, first_name=n) for n in "ABCD")
        service.do_sign_up(ann, occurrence.id)
        service.do_sign_up(bob, occurrence.id)
        service.do_sign_up(cat, occurrence.id)  # waiting list
        service.do_sign_up(dan, occurrence.id)  # waiting list, then cancels
        service.do_cancel_signup(dan, occurrence.id)
    return occurrence, ann, bob, cat, dan


def reminded(events) -> list[str]:
    return sorted(
        e.to
        for e in events.named(EVENT_CREATED)
        if "Reminder" in e.payload["title"] or "Rappel" in e.payload["title"]
    )


def test_reminders_reach_only_participants_once(app, db, events):
    _occurrence, ann, bob, cat, dan = setup_activity(db)
    events.clear()
    before = datetime(2026, 12, 2, 17, 59, tzinfo=PARIS)
    assert send(before) == 0
    evening = datetime(2026, 12, 2, 18, 5, tzinfo=PARIS)
    assert send(evening) == 2
    assert reminded(events) == [f"user:{ann.id}", f"user:{bob.id}"]
    assert send(evening + timedelta(minutes=1)) == 0  # never twice
    hour_before = datetime(2026, 12, 3, 14, 1, tzinfo=PARIS)
    assert send(hour_before) == 2
    assert send(hour_before + timedelta(minutes=1)) == 0
    titles = [n.title for n in list_notifications(ann.id)]
    assert any("15:00" in t and "Loto" in t for t in titles)
    assert list_notifications(cat.id) == [] and list_notifications(dan.id) == []


def test_people_choose_their_reminders(app, db, events):
    _occurrence, ann, bob, _cat, _dan = setup_activity(db)
    db.session.add(ReminderPreference(person_id=bob.id, day_before=False, hour_before=True))
    db.session.commit()
    events.clear()
    assert send(datetime(2026, 12, 2, 18, 5, tzinfo=PARIS)) == 1
    assert reminded(events) == [f"user:{ann.id}"]


def test_a_promoted_person_is_notified_and_then_reminded(app, db, events):
    occurrence, ann, bob, cat, _dan = setup_activity(db)
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=PARIS), tick=False):
        service.do_cancel_signup(bob, occurrence.id)
    assert [n.kind for n in list_notifications(cat.id)] == ["activities.promoted"]
    events.clear()
    send(datetime(2026, 12, 2, 18, 5, tzinfo=PARIS))
    assert reminded(events) == [f"user:{ann.id}", f"user:{cat.id}"]


def test_a_missed_evening_reminder_is_not_sent_the_next_morning(app, db, events):
    _occurrence, _ann, _bob, _cat, _dan = setup_activity(db)
    events.clear()
    assert send(datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)) == 0


def test_reminder_job_is_registered(app):
    from portal import scheduler

    ids = [job.id for job in scheduler.build_scheduler(app, blocking=False).get_jobs()]
    assert "activities.reminders" in ids


def test_reminder_choices_are_saved_from_the_page(app, client, login):
    import re

    from activities.reminders import get_preference

    resident = make_resident(make_building())
    login(resident)
    html = client.get("/activities/my-calendar").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "action": "reminders", "hour_before": "1"}
    assert client.post("/activities/my-calendar", data=data).status_code == 200
    preference = get_preference(resident.id)
    assert (preference.day_before, preference.hour_before) == (False, True)
