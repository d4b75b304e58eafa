"""The daily check-in, the missed check-in job and help calls, through the service."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import delete, select

from concierge.desk import queue as desk_queue
from portal.errors import DomainError
from portal.extensions import db
from portal.people.models import Person
from portal.wellbeing import jobs, service
from portal.wellbeing.models import (
    AlertStatus,
    CallStatus,
    Checkin,
    CheckinEnrolment,
    HelpCall,
    MissedCheckin,
    WellbeingSettings,
)
from tests.wellbeing.conftest import MORNING, Cast, at, audit_actions, notifications_of


def enrolments_of(person: Person) -> list[CheckinEnrolment]:
    stmt = select(CheckinEnrolment).where(CheckinEnrolment.person_id == person.id)
    return list(db.session.scalars(stmt))


def missed_of(person: Person) -> list[MissedCheckin]:
    stmt = select(MissedCheckin).where(MissedCheckin.person_id == person.id)
    return list(db.session.scalars(stmt.order_by(MissedCheckin.id)))


# Enrolment ------------------------------------------------------------------------------


def test_coordinator_enrols_a_resident_only_with_their_recorded_consent(cast: Cast):
    with pytest.raises(DomainError) as refused:
        service.do_enrol(cast.coordinator, cast.jeanne.id, time(10, 30), consent=False)
    assert refused.value.code == "consent_needed"
    db.session.rollback()
    assert enrolments_of(cast.jeanne) == []

    enrolment = service.do_enrol(
        cast.coordinator, cast.jeanne.id, time(10, 30), consent=True, now=MORNING
    )
    assert enrolment.active and enrolment.check_time == time(10, 30)
    assert enrolment.enrolled_by_id == cast.coordinator.id
    assert enrolment.consent_recorded_by_id == cast.coordinator.id
    assert enrolment.consent_recorded_at == MORNING
    assert audit_actions(cast.jeanne) == ["wellbeing.enrolled"]


@pytest.mark.parametrize("who", ["other_coordinator", "concierge", "manager", "paul"])
def test_only_the_buildings_coordinator_may_enrol(cast: Cast, who: str):
    with pytest.raises(DomainError) as refused:
        service.do_enrol(getattr(cast, who), cast.jeanne.id, consent=True)
    assert refused.value.code == "not_found"
    db.session.rollback()
    assert enrolments_of(cast.jeanne) == []


def test_resident_opts_in_at_eleven_by_default_and_stops_without_an_audit(cast: Cast):
    enrolment = service.do_opt_in(cast.jeanne)
    assert enrolment.check_time == time(11, 0)
    assert enrolment.enrolled_by_id is None
    assert enrolment.consent_recorded_by_id == cast.jeanne.id
    service.do_stop(cast.jeanne, cast.jeanne.id)
    db.session.commit()
    assert service.get_enrolment(cast.jeanne) is None
    with pytest.raises(DomainError):
        service.do_stop(cast.jeanne, cast.jeanne.id)
    db.session.rollback()
    assert audit_actions(cast.jeanne) == []
    # Switching it on again keeps one row.
    service.do_opt_in(cast.jeanne, time(9, 0))
    assert len(enrolments_of(cast.jeanne)) == 1 and service.get_enrolment(cast.jeanne)


def test_coordinator_stops_a_resident_and_it_is_audited(cast: Cast):
    service.do_opt_in(cast.jeanne)
    db.session.commit()
    with pytest.raises(DomainError):
        service.do_stop(cast.other_coordinator, cast.jeanne.id)
    db.session.rollback()
    service.do_stop(cast.coordinator, cast.jeanne.id)
    stopped = enrolments_of(cast.jeanne)[0]
    assert not stopped.active and stopped.stopped_by_id == cast.coordinator.id
    assert audit_actions(cast.jeanne) == ["wellbeing.unenrolled"]


@pytest.mark.parametrize("bad", [time(5, 30), time(21, 30), "11:00", None])
def test_check_time_outside_the_day_is_refused(cast: Cast, bad):
    with pytest.raises(DomainError) as refused:
        service.do_opt_in(cast.jeanne, bad)
    assert refused.value.code == "bad_time"


def test_staff_cannot_opt_in(cast: Cast):
    with pytest.raises(DomainError):
        service.do_opt_in(cast.coordinator)


# Checking in ----------------------------------------------------------------------------


def test_check_in_counts_once_per_local_day(cast: Cast):
    service.do_opt_in(cast.jeanne, now=MORNING)
    assert service.do_check_in(cast.jeanne, now=at(8)) is True
    assert service.do_check_in(cast.jeanne, now=at(22, 50)) is False  # 23:50 in Paris
    assert service.has_checked_in(cast.jeanne, at(22, 50))
    # 23:10 UTC is already Tuesday in Paris: a new day, a new check-in.
    assert not service.has_checked_in(cast.jeanne, at(23, 10))
    assert service.do_check_in(cast.jeanne, now=at(23, 10)) is True
    days = db.session.scalars(select(Checkin.local_day).where(Checkin.person_id == cast.jeanne.id))
    assert sorted(d.day for d in days) == [23, 24]


def test_check_in_needs_the_daily_check_in_switched_on(cast: Cast):
    with pytest.raises(DomainError) as refused:
        service.do_check_in(cast.jeanne, now=at(8))
    assert refused.value.code == "not_enrolled"


# The missed check-in job ----------------------------------------------------------------


def test_job_alerts_once_after_the_residents_time_and_not_before(cast: Cast, events):
    service.do_opt_in(cast.jeanne, time(11, 0), now=MORNING)
    assert jobs.run_missed_checkins(at(9, 59)) == 0  # 10:59 in Paris
    assert missed_of(cast.jeanne) == []
    assert jobs.run_missed_checkins(at(10, 1)) == 1
    db.session.commit()  # as the scheduler's job wrapper does: the events leave now
    assert jobs.run_missed_checkins(at(10, 6)) == 0
    assert jobs.run_missed_checkins(at(15, 0)) == 0
    [missed] = missed_of(cast.jeanne)
    assert missed.status == AlertStatus.OPEN and missed.due_at == at(10, 0)
    [text] = notifications_of(cast.coordinator)
    assert "has not said they are fine today" in text and cast.jeanne.full_name in text
    assert notifications_of(cast.concierge) == []  # the building did not choose it
    assert notifications_of(cast.manager) == []
    rooms = {e.to for e in events.named(service.EVENT_CHANGED)}
    assert service.staff_room(cast.building.id) in rooms
    staff_events = events.named(service.EVENT_CHANGED)
    assert all(cast.jeanne.full_name not in str(e.payload) for e in staff_events)
    # The next day is a new day.
    assert jobs.run_missed_checkins(at(10, 1, day=24)) == 1


def test_job_leaves_alone_who_checked_in_stopped_or_enrolled_after_their_time(cast: Cast):
    service.do_opt_in(cast.jeanne, now=MORNING)
    service.do_check_in(cast.jeanne, now=at(9))
    service.do_opt_in(cast.paul, now=MORNING)
    service.do_stop(cast.paul, cast.paul.id)
    # Odette switches it on at 15:00 for 11:00: nothing today, an alert tomorrow.
    service.do_opt_in(cast.outsider, time(11, 0), now=at(14))
    assert jobs.run_missed_checkins(at(16)) == 0
    # Tuesday: Jeanne (Monday's check-in does not count) and Odette; never Paul.
    assert jobs.run_missed_checkins(at(10, 5, day=24)) == 2
    assert missed_of(cast.paul) == []
    assert [m.local_day.day for m in missed_of(cast.outsider)] == [24]


def test_late_check_in_takes_the_resident_off_the_list(cast: Cast, events):
    service.do_opt_in(cast.jeanne, now=MORNING)
    jobs.run_missed_checkins(at(10, 5))
    db.session.commit()
    assert [i.person.id for i in service.list_missed(cast.coordinator, cast.building.id)] == [
        cast.jeanne.id
    ]
    events.clear()
    service.do_check_in(cast.jeanne, now=at(11))
    db.session.commit()
    [missed] = missed_of(cast.jeanne)
    assert missed.status == AlertStatus.CHECKED_IN and missed.closed_at == at(11)
    assert service.list_missed(cast.coordinator, cast.building.id) == []
    assert events.named(service.EVENT_CHANGED)
    assert jobs.run_missed_checkins(at(12)) == 0


def test_reached_removes_the_resident_keeps_the_note_and_is_audited(cast: Cast):
    service.do_opt_in(cast.jeanne, now=MORNING)
    jobs.run_missed_checkins(at(10, 5))
    db.session.commit()
    [missed] = missed_of(cast.jeanne)
    with pytest.raises(DomainError) as too_long:
        service.do_record_reached(cast.coordinator, missed.id, "x" * 301)
    assert too_long.value.code == "note_too_long"
    db.session.rollback()
    assert missed_of(cast.jeanne)[0].status == AlertStatus.OPEN
    with pytest.raises(DomainError):
        service.do_record_reached(cast.other_coordinator, missed.id, "")
    db.session.rollback()
    service.do_record_reached(cast.coordinator, missed.id, "  Elle   dormait, tout va bien ")
    db.session.commit()
    missed = missed_of(cast.jeanne)[0]
    assert missed.status == AlertStatus.REACHED and missed.reached_by_id == cast.coordinator.id
    assert missed.note == "Elle dormait, tout va bien"
    assert service.list_missed(cast.coordinator, cast.building.id) == []
    assert "wellbeing.reached" in audit_actions(cast.jeanne)
    with pytest.raises(DomainError) as again:
        service.do_record_reached(cast.coordinator, missed.id)
    assert again.value.code == "closed"
    db.session.rollback()
    # Checking in late afterwards leaves the staff's record as it was.
    service.do_check_in(cast.jeanne, now=at(12))
    assert missed_of(cast.jeanne)[0].status == AlertStatus.REACHED


def test_building_setting_alerts_the_concierge_too(cast: Cast):
    assert service.get_settings(cast.building.id).alert_concierge is False
    assert not service.may_see_missed(cast.concierge, cast.building.id)
    with pytest.raises(DomainError):
        service.do_set_alert_concierge(cast.concierge, cast.building.id, True)
    db.session.rollback()
    with pytest.raises(DomainError):
        service.do_set_alert_concierge(cast.other_coordinator, cast.building.id, True)
    db.session.rollback()
    assert db.session.get(WellbeingSettings, cast.building.id) is None
    service.do_set_alert_concierge(cast.coordinator, cast.building.id, True)
    service.do_opt_in(cast.jeanne, now=MORNING)
    jobs.run_missed_checkins(at(10, 5))
    assert len(notifications_of(cast.concierge)) == 1
    assert len(notifications_of(cast.coordinator)) == 1
    assert notifications_of(cast.other_concierge) == []
    assert service.may_see_missed(cast.concierge, cast.building.id)
    assert len(service.list_missed(cast.concierge, cast.building.id)) == 1


# Help calls -----------------------------------------------------------------------------


def test_help_call_reaches_concierge_and_coordinator_and_a_second_press_sends_nothing(
    cast: Cast, events
):
    call, created = service.do_send_help_call(cast.jeanne)
    db.session.commit()
    assert created and call.status == CallStatus.OPEN and call.active
    assert len(notifications_of(cast.concierge)) == 1
    assert len(notifications_of(cast.coordinator)) == 1
    assert notifications_of(cast.manager) == [] and notifications_of(cast.other_concierge) == []
    rooms = {e.to for e in events.named(service.EVENT_CHANGED)}
    assert rooms == {service.staff_room(cast.building.id)}
    assert {e.to for e in events.named(service.EVENT_HELP_CALL)} == {f"user:{cast.jeanne.id}"}

    again, created_again = service.do_send_help_call(cast.jeanne)
    assert again.id == call.id and not created_again
    assert len(notifications_of(cast.concierge)) == 1
    assert db.session.scalars(select(HelpCall)).all() == [call]


def test_seen_then_resolved_tells_the_resident_live(cast: Cast, events):
    call, _ = service.do_send_help_call(cast.jeanne)
    db.session.commit()
    with pytest.raises(DomainError) as hidden:
        service.do_acknowledge(cast.other_concierge, call.id)
    assert hidden.value.code == "not_found"
    db.session.rollback()
    events.clear()
    service.do_acknowledge(cast.concierge, call.id, now=at(9))
    db.session.commit()
    assert call.status == CallStatus.SEEN and call.seen_by_id == cast.concierge.id
    [seen] = events.named(service.EVENT_HELP_CALL)
    assert seen.to == f"user:{cast.jeanne.id}" and seen.payload["status"] == "seen"
    assert any("is coming" in t for t in notifications_of(cast.jeanne))
    with pytest.raises(DomainError) as twice:
        service.do_acknowledge(cast.coordinator, call.id)
    assert twice.value.code == "already_seen"
    db.session.rollback()
    service.do_resolve(cast.coordinator, call.id)
    assert call.status == CallStatus.RESOLVED and not call.active
    assert service.get_active_call(cast.jeanne) is None
    assert service.list_help_calls(cast.concierge, cast.building.id) == []
    assert audit_actions(cast.jeanne) == [
        "wellbeing.help_call_seen",
        "wellbeing.help_call_resolved",
    ]
    # Once resolved, a new press is a new call.
    new_call, created = service.do_send_help_call(cast.jeanne)
    assert created and new_call.id != call.id


def test_only_residents_send_help_calls(cast: Cast):
    with pytest.raises(DomainError) as refused:
        service.do_send_help_call(cast.concierge)
    assert refused.value.code == "forbidden"


def test_help_call_comes_first_in_the_desk_queue(cast: Cast):
    service.do_send_help_call(cast.jeanne)
    queue = desk_queue.list_queue(cast.concierge, cast.building, at(9))
    assert queue[0].kind == "helpcall" and cast.jeanne.full_name in queue[0].title
    assert queue[0].rank < desk_queue.RANK_OVERDUE
    other_queue = desk_queue.list_queue(cast.other_concierge, cast.other, at(9))
    assert all(item.kind != "helpcall" for item in other_queue)


# Who sees what --------------------------------------------------------------------------


def test_access_matrix_across_two_buildings(cast: Cast):
    service.do_opt_in(cast.jeanne, now=MORNING)
    service.do_opt_in(cast.outsider, now=MORNING)
    jobs.run_missed_checkins(at(10, 5))
    call, _ = service.do_send_help_call(cast.jeanne)
    [missed] = missed_of(cast.jeanne)
    here = cast.building.id
    names = (
        "coordinator",
        "concierge",
        "manager",
        "other_coordinator",
        "other_concierge",
        "jeanne",
        "paul",
    )
    sees = {
        name: (
            [i.id for i in service.list_help_calls(getattr(cast, name), here)],
            [i.id for i in service.list_missed(getattr(cast, name), here)],
        )
        for name in names
    }
    assert sees == {
        "coordinator": ([call.id], [missed.id]),
        "concierge": ([call.id], []),  # missed check-ins only if the building chooses so
        "manager": ([call.id], [missed.id]),
        "other_coordinator": ([], []),
        "other_concierge": ([], []),
        "jeanne": ([], []),
        "paul": ([], []),
    }
    for outsider in (cast.other_coordinator, cast.jeanne, cast.paul):
        with pytest.raises(DomainError):
            service.access_missed(outsider, missed.id)
        with pytest.raises(DomainError):
            service.access_help_call(outsider, call.id)
    assert service.count_to_call(cast.coordinator) == 2
    assert service.count_to_call(cast.concierge) == 1
    assert service.count_to_call(cast.manager) == 3  # Odette's missed check-in too
    assert service.count_to_call(cast.other_coordinator) == 1
    assert service.count_to_call(cast.jeanne) == 0


def test_every_person_reference_says_what_happens_on_erasure(app):
    tables = [CheckinEnrolment, Checkin, MissedCheckin, HelpCall, WellbeingSettings]
    for model in tables:
        for fk in model.__table__.foreign_keys:
            if fk.column.table.name != "people":
                continue
            expected = "CASCADE" if fk.parent.name == "person_id" else "SET NULL"
            assert fk.ondelete == expected, f"{model.__tablename__}.{fk.parent.name}"


def test_erasing_a_resident_removes_their_rows_and_unsets_staff(cast: Cast):
    service.do_opt_in(cast.jeanne, now=MORNING)
    jobs.run_missed_checkins(at(10, 5))
    service.do_check_in(cast.jeanne, now=at(11))
    call, _ = service.do_send_help_call(cast.jeanne)
    service.do_acknowledge(cast.concierge, call.id)
    service.do_enrol(cast.coordinator, cast.paul.id, consent=True)
    jeanne_id, coordinator_id = cast.jeanne.id, cast.coordinator.id
    db.session.execute(delete(Person).where(Person.id.in_([jeanne_id, coordinator_id])))
    db.session.commit()
    db.session.expire_all()
    for model in (CheckinEnrolment, Checkin, MissedCheckin, HelpCall):
        assert db.session.scalars(select(model).where(model.person_id == jeanne_id)).all() == []
    paul = db.session.scalars(select(CheckinEnrolment)).one()
    assert paul.person_id == cast.paul.id
    assert paul.enrolled_by_id is None and paul.consent_recorded_by_id is None
    assert paul.consent_recorded_at is not None and paul.active


def test_a_second_press_racing_the_first_gives_back_the_first_call(cast: Cast, monkeypatch):
    call, _ = service.do_send_help_call(cast.jeanne)
    db.session.commit()
    # The second press did not see the first (both ran at once): the unique index keeps one.
    real_get_active_call = service.get_active_call
    looks: list[int] = []

    def blind_the_first_time(person: Person) -> HelpCall | None:
        looks.append(person.id)
        return None if len(looks) == 1 else real_get_active_call(person)

    monkeypatch.setattr(service, "get_active_call", blind_the_first_time)
    again, created = service.do_send_help_call(cast.jeanne)
    assert not created and again.id == call.id
    db.session.commit()
    assert db.session.scalars(select(HelpCall)).all() == [call]
    assert len(notifications_of(cast.concierge)) == 1


def test_a_tap_racing_the_first_keeps_one_check_in_and_the_rest_of_the_work(
    cast: Cast, monkeypatch
):
    service.do_opt_in(cast.jeanne, now=MORNING)
    db.session.commit()
    assert service.do_check_in(cast.jeanne, now=at(8)) is True
    monkeypatch.setattr(service, "has_checked_in", lambda person, now=None: False)
    service.do_opt_in(cast.paul, now=MORNING)  # an earlier step of the same transaction
    assert service.do_check_in(cast.jeanne, now=at(9)) is False
    db.session.commit()
    assert len(db.session.scalars(select(Checkin)).all()) == 1
    assert service.get_enrolment(cast.paul) is not None
