from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from activities import service
from activities.models import Recurrence, SignupStatus
from portal.extensions import db
from portal.factory import create_app
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff
from tests.live import postgres_schema

PARIS = ZoneInfo("Europe/Paris")


def in_days(days: int, hour: int = 15) -> datetime:
    moment = datetime.now(PARIS).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment + timedelta(days=days)


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def coordinator(building):
    return make_staff(Role.COORDINATOR, [building])


def make_activity(coordinator, building, capacity=2, **kwargs):
    start = kwargs.pop("starts_at", in_days(2))
    return service.do_create_activity(
        coordinator,
        building.id,
        title="Tricot",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=capacity,
        **kwargs,
    )


def make_weekly(coordinator, building, *, title, capacity, weeks, hour=15):
    """A one-hour weekly activity from two days ahead, `weeks` weeks long."""
    start = in_days(2, hour=hour)
    return service.do_create_activity(
        coordinator,
        building.id,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=capacity,
        recurrence=Recurrence.WEEKLY,
        repeat_until=(start + timedelta(weeks=weeks)).date(),
    )


def test_weekly_occurrences_keep_local_time_across_daylight_saving(coordinator, building):
    start = datetime(2026, 10, 14, 18, 0, tzinfo=PARIS)
    activity = service.do_create_activity(
        coordinator,
        building.id,
        title="Repas partagé",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        recurrence=Recurrence.WEEKLY,
        repeat_until=date(2026, 11, 4),
    )
    starts = [o.starts_at for o in activity.occurrences]
    assert [s.astimezone(PARIS).hour for s in starts] == [18, 18, 18, 18]
    assert [s.astimezone(UTC).hour for s in starts] == [16, 16, 17, 17]  # CEST, then CET
    assert all(o.capacity == 10 for o in activity.occurrences)


def test_monthly_occurrences_clamp_to_the_end_of_short_months(coordinator, building):
    start = datetime(2027, 1, 31, 10, 0, tzinfo=PARIS)
    activity = service.do_create_activity(
        coordinator,
        building.id,
        title="Atelier",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        recurrence=Recurrence.MONTHLY,
        repeat_until=date(2027, 4, 30),
    )
    days = [o.starts_at.astimezone(PARIS).date() for o in activity.occurrences]
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_bad_input_changes_nothing(coordinator, building, db):
    start = in_days(1)
    backwards = {"starts_at": start, "ends_at": start - timedelta(hours=1)}
    assert code(service.do_create_activity, coordinator, building.id, title="X", **backwards) == (
        "end_before_start"
    )
    assert code(make_activity, coordinator, building, capacity=0) == "bad_capacity"
    assert code(make_activity, coordinator, building, recurrence=Recurrence.WEEKLY) == "bad_until"
    assert code(make_activity, coordinator, building, category="chess") == "bad_choice"
    assert code(make_activity, coordinator, building, audience="pets") == "bad_choice"
    resident = make_resident(building)
    assert code(make_activity, resident, building) == "forbidden"
    from activities.models import Activity

    assert db.session.query(Activity).count() == 0


def test_third_resident_waits_and_is_promoted_when_a_place_frees(coordinator, building, events):
    occurrence = make_activity(coordinator, building, capacity=2).occurrences[0]
    a, b, c = (make_resident(building) for _ in range(3))
    assert service.do_sign_up(a, occurrence.id).status == SignupStatus.CONFIRMED
    assert service.do_sign_up(b, occurrence.id).places_left == 0
    assert service.do_sign_up(c, occurrence.id).status == SignupStatus.WAITLISTED
    assert service.do_cancel_signup(a, occurrence.id) == [c.id]
    assert service.get_signup_status(c, occurrence.id) == SignupStatus.CONFIRMED
    db.session.commit()  # events leave once the transaction commits
    promoted = [e for e in events.named(service.EVENT_SIGNUP) if e.payload.get("promoted")]
    assert [(e.to, e.payload["status"]) for e in promoted] == [(f"user:{c.id}", "confirmed")]


def test_guests_count_against_capacity(coordinator, building):
    occurrence = make_activity(coordinator, building, capacity=3).occurrences[0]
    grandma, neighbour = make_resident(building), make_resident(building)
    assert service.do_sign_up(grandma, occurrence.id, guests=2).places_left == 0
    assert service.do_sign_up(neighbour, occurrence.id).status == SignupStatus.WAITLISTED
    assert code(service.do_sign_up, neighbour, occurrence.id) == "already"
    assert code(service.check_guests, 9) == "bad_guests"


def test_waiting_list_is_first_come_first_served(coordinator, building):
    occurrence = make_activity(coordinator, building, capacity=2).occurrences[0]
    a, b, big, small = (make_resident(building) for _ in range(4))
    service.do_sign_up(a, occurrence.id)
    service.do_sign_up(b, occurrence.id)
    service.do_sign_up(big, occurrence.id, guests=2)  # head of the list, needs 3 places
    service.do_sign_up(small, occurrence.id)
    assert service.do_cancel_signup(a, occurrence.id) == []  # 1 place: the head does not fit
    assert service.do_cancel_signup(b, occurrence.id) == []  # 2 places: still not
    assert service.get_signup_status(small, occurrence.id) == SignupStatus.WAITLISTED


def test_cancelling_always_works_and_needs_a_signup(coordinator, building):
    occurrence = make_activity(coordinator, building, capacity=1).occurrences[0]
    a = make_resident(building)
    service.do_sign_up(a, occurrence.id)
    service.do_cancel_signup(a, occurrence.id)
    assert code(service.do_cancel_signup, a, occurrence.id) == "not_signed_up"
    assert service.do_sign_up(a, occurrence.id).status == SignupStatus.CONFIRMED


def test_residents_of_another_building_cannot_sign_up(coordinator, building):
    occurrence = make_activity(coordinator, building).occurrences[0]
    stranger = make_resident(make_building())
    assert code(service.do_sign_up, stranger, occurrence.id) == "not_found"


def race_for_the_last_place(uri: str, runners: int = 8) -> list[str]:
    """Several residents take the last place at the same moment, each in its own thread."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        building = make_building()
        coordinator = make_staff(Role.COORDINATOR, [building])
        occurrence_id = make_activity(coordinator, building, capacity=1).occurrences[0].id
        ids = [make_resident(building, pin=None).id for _ in range(runners)]
        db.session.commit()
        db.session.remove()
    barrier = threading.Barrier(runners)
    outcomes: list[str] = []

    def run(person_id: int) -> None:
        with app.app_context():
            from portal.people.models import Person

            person = db.session.get(Person, person_id)
            barrier.wait()
            try:
                outcomes.append(service.do_sign_up(person, occurrence_id).status.value)
                db.session.commit()  # as the request that calls it would
            except Exception as error:
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(pid,)) for pid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        assert service.places_taken(occurrence_id) == 1
        db.session.remove()
        db.engine.dispose()
    return sorted(outcomes)


def test_one_winner_for_the_last_place_on_sqlite(tmp_path):
    outcomes = race_for_the_last_place(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    assert outcomes == ["confirmed"] + ["waitlisted"] * 7


@pytest.mark.postgres
def test_one_winner_for_the_last_place_on_postgresql():
    with postgres_schema("race") as url:
        assert race_for_the_last_place(url) == ["confirmed"] + ["waitlisted"] * 7


def test_cancelling_a_date_or_the_series_tells_everyone_signed_up(coordinator, building, events):
    from portal.notifications.service import list_notifications

    activity = make_weekly(coordinator, building, title="Gym douce", capacity=1, weeks=3)
    first, second = activity.occurrences[0], activity.occurrences[1]
    going, waiting, left = (make_resident(building) for _ in range(3))
    service.do_sign_up(going, first.id)
    service.do_sign_up(waiting, first.id)
    service.do_sign_up(left, second.id)
    service.do_cancel_signup(left, second.id)
    resident = make_resident(building)
    assert code(service.do_cancel_occurrences, resident, first.id, series=False) == "forbidden"
    assert service.do_cancel_occurrences(coordinator, first.id, series=False) == [first.id]
    assert [n.kind for n in list_notifications(going.id)] == ["activities.cancelled"]
    assert [n.kind for n in list_notifications(waiting.id)] == ["activities.cancelled"]
    assert code(service.do_sign_up, resident, first.id) == "cancelled"
    rest = service.do_cancel_occurrences(coordinator, second.id, series=True)
    assert rest == [o.id for o in activity.occurrences[1:]]
    assert list_notifications(left.id) == []  # had cancelled their place already


def test_attendance_is_marked_after_the_start_by_staff_only(coordinator, building):
    import time_machine

    occurrence = make_activity(coordinator, building, capacity=5).occurrences[0]
    came, absent = make_resident(building), make_resident(building)
    service.do_sign_up(came, occurrence.id)
    service.do_sign_up(absent, occurrence.id)
    assert code(service.do_mark_attendance, coordinator, occurrence.id, {came.id}) == (
        "not_started"
    )
    with time_machine.travel(occurrence.starts_at + timedelta(minutes=30), tick=False):
        assert code(service.do_mark_attendance, came, occurrence.id, {came.id}) == "forbidden"
        assert service.do_mark_attendance(coordinator, occurrence.id, {came.id}) == 1
    marks = {p.id: s.attended for s, p in service.list_participants(occurrence.id)}
    assert marks == {came.id: True, absent.id: False}


def test_editing_a_date_or_the_rest_of_a_series(coordinator, building):
    from datetime import time

    from portal.notifications.service import list_notifications

    activity = make_weekly(coordinator, building, title="Marche", capacity=2, weeks=2, hour=10)
    _first, second, third = activity.occurrences
    a, b, c = (make_resident(building) for _ in range(3))
    for person in (a, b, c):
        service.do_sign_up(person, second.id)
    assert (
        code(
            service.do_edit_occurrences,
            coordinator,
            second.id,
            series=False,
            start=time(10),
            end=time(11),
            capacity=1,
        )
        == "capacity_below"
    )
    assert (
        code(
            service.do_edit_occurrences,
            coordinator,
            second.id,
            series=False,
            start=time(11),
            end=time(10),
            capacity=2,
        )
        == "end_before_start"
    )
    changed = service.do_edit_occurrences(
        coordinator,
        second.id,
        series=True,
        start=time(14),
        end=time(15, 30),
        capacity=3,
        title="Marche douce",
    )
    assert changed == [second.id, third.id]
    assert [o.starts_at.astimezone(PARIS).hour for o in activity.occurrences] == [10, 14, 14]
    assert activity.title == "Marche douce"
    assert service.get_signup_status(c, second.id) == SignupStatus.CONFIRMED  # promoted: 3 places
    assert "activities.changed" in [n.kind for n in list_notifications(a.id)]


def test_category_and_audience_are_labelled_enums_stored_as_before(coordinator, building, db):
    from sqlalchemy import text

    from activities.models import Activity, ActivityCategory, Audience

    activity = make_activity(coordinator, building, category="crafts", audience="families")
    db.session.commit()
    db.session.expire_all()
    reloaded = db.session.get(Activity, activity.id)
    assert reloaded.category is ActivityCategory.CRAFTS and reloaded.audience is Audience.FAMILIES
    assert reloaded.category.icon == "scissors"  # a lucide-static pictogram
    assert (reloaded.category.label, reloaded.audience.label) == (
        "Travaux manuels et tricot",  # read in the reader's language (here the default)
        "Familles",
    )
    stored = db.session.execute(
        text("SELECT category, audience FROM activities WHERE id = :id"), {"id": activity.id}
    ).one()
    assert tuple(stored) == ("crafts", "families")  # the value, as when they were strings
