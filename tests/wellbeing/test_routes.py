"""Pages of the daily check-in, the help screen and the "To call" list, with CSRF."""

from __future__ import annotations

from datetime import date, time

import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.home.tiles import panels_for
from portal.notifications.models import Notification
from portal.notifications.service import EVENT_CREATED as EVENT_NOTIFICATION
from portal.wellbeing import jobs, pauses, service
from portal.wellbeing.models import (
    AlertStatus,
    CallStatus,
    Checkin,
    CheckinEnrolment,
    HelpCall,
    MissedCheckin,
)
from tests.factories import make_resident
from tests.queries import statements
from tests.wellbeing.conftest import Cast, at, audit_actions, post


def count(model) -> int:
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def missed_for(cast: Cast) -> MissedCheckin:
    service.do_opt_in(cast.jeanne, time(11, 0), now=at(7))
    jobs.run_missed_checkins(at(10, 5))
    db.session.commit()  # the pages read it from their own sessions
    return db.session.scalars(select(MissedCheckin)).one()


# The resident ---------------------------------------------------------------------------


def test_resident_switches_the_check_in_on_and_taps_once(app, client, login, cast: Cast):
    login(cast.jeanne)
    page = client.get("/wellbeing")
    assert page.status_code == 200 and "Switch it on" in page.get_data(as_text=True)
    assert post(client, "/wellbeing", {"check_time": "10:30"}).status_code == 302
    assert service.get_enrolment(cast.jeanne).check_time == time(10, 30)
    with app.test_request_context():  # the home's panels build their links
        [panel] = [p for p in panels_for(cast.jeanne) if p["panel"].key == "checkin"]
    assert panel["context"]["checked_in"] is False
    assert "I&#39;m fine today" in client.get("/wellbeing").get_data(as_text=True)

    response = post(client, "/wellbeing/check-in", {"next": "/wellbeing"})
    assert response.status_code == 302 and response.headers["Location"] == "/wellbeing"
    post(client, "/wellbeing/check-in")
    assert count(Checkin) == 1
    page = client.get("/wellbeing").get_data(as_text=True)
    assert "Thank you, have a good day" in page and "I&#39;m fine today</button>" not in page


def test_forms_without_csrf_or_with_a_bad_time_change_nothing(client, login, cast: Cast):
    login(cast.jeanne)
    assert post(client, "/wellbeing", {"check_time": "10:30"}, csrf=False).status_code == 400
    assert service.get_enrolment(cast.jeanne) is None
    bad = post(client, "/wellbeing", {"check_time": "03:00"})
    assert bad.status_code == 422 and "Choose a time from the list." in bad.get_data(as_text=True)
    assert service.get_enrolment(cast.jeanne) is None
    assert post(client, "/help-me", csrf=False).status_code == 400
    assert count(HelpCall) == 0


def test_check_in_without_enrolment_is_refused_kindly(client, login, cast: Cast):
    login(cast.jeanne)
    response = post(client, "/wellbeing/check-in")
    assert response.status_code == 302
    assert count(Checkin) == 0
    assert "not switched on" in client.get("/").get_data(as_text=True)


def test_check_in_never_redirects_elsewhere(client, login, cast: Cast):
    service.do_opt_in(cast.jeanne)
    db.session.commit()
    login(cast.jeanne)
    response = post(client, "/wellbeing/check-in", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_resident_stops_the_daily_check_in(client, login, cast: Cast):
    service.do_opt_in(cast.jeanne)
    db.session.commit()
    login(cast.jeanne)
    assert post(client, "/wellbeing/stop").status_code == 302
    assert service.get_enrolment(cast.jeanne) is None


# "I need help" --------------------------------------------------------------------------


def test_help_screen_says_it_is_not_an_emergency_service_and_sends_one_call(
    client, login, cast: Cast
):
    login(cast.jeanne)
    page = client.get("/help-me").get_data(as_text=True)
    assert "This is not an emergency service" in page
    assert 'href="tel:15"' in page and 'href="tel:112"' in page
    assert post(client, "/help-me").status_code == 302
    again = post(client, "/help-me")
    assert again.status_code == 302 and count(HelpCall) == 1
    page = client.get("/help-me").get_data(as_text=True)
    assert "Your call is sent" in page and "Send my call for help" not in page


def test_staff_see_the_call_and_say_they_are_coming(client, login, cast: Cast):
    call, _ = service.do_send_help_call(cast.jeanne)
    db.session.commit()
    login(cast.other_concierge)
    assert post(client, f"/wellbeing/help-calls/{call.id}/seen").status_code == 404
    assert db.session.get(HelpCall, call.id).status == CallStatus.OPEN
    login(cast.concierge)
    listing = client.get("/wellbeing/to-call/list").get_data(as_text=True)
    assert cast.jeanne.full_name in listing and 'href="tel:0612345678"' in listing
    assert post(client, f"/wellbeing/help-calls/{call.id}/seen").status_code == 302
    assert db.session.get(HelpCall, call.id).status == CallStatus.SEEN
    login(cast.jeanne)
    status = client.get("/help-me/status").get_data(as_text=True)
    assert "Someone has seen your call and is coming" in status
    login(cast.coordinator)
    assert post(client, f"/wellbeing/help-calls/{call.id}/resolve").status_code == 302
    assert not db.session.get(HelpCall, call.id).active


def test_help_call_shows_on_the_desk_queue(client, login, cast: Cast):
    service.do_send_help_call(cast.jeanne)
    db.session.commit()
    login(cast.concierge)
    queue = client.get(f"/desk/queue?building={cast.building.id}").get_data(as_text=True)
    assert f"Call for help: {cast.jeanne.full_name}" in queue


def test_staff_cannot_send_and_residents_cannot_see_the_list(client, login, cast: Cast):
    login(cast.concierge)
    assert client.get("/help-me").status_code == 404
    login(cast.jeanne)
    assert client.get("/wellbeing/to-call").status_code == 404
    assert client.get("/wellbeing/enrolments").status_code == 404


# The "To call" list ---------------------------------------------------------------------


def test_reached_with_a_note_takes_the_resident_off_the_list(client, login, cast: Cast):
    missed = missed_for(cast)
    login(cast.coordinator)
    page = client.get("/wellbeing/to-call").get_data(as_text=True)
    assert cast.jeanne.full_name in page and "No news today" in page
    long_note = post(client, f"/wellbeing/missed/{missed.id}/reached", {"note": "x" * 301})
    assert long_note.status_code == 422
    assert db.session.get(MissedCheckin, missed.id).status == AlertStatus.OPEN
    done = post(client, f"/wellbeing/missed/{missed.id}/reached", {"note": "Tout va bien"})
    assert done.status_code == 302
    assert db.session.get(MissedCheckin, missed.id).note == "Tout va bien"
    assert cast.jeanne.full_name not in client.get("/wellbeing/to-call/list").get_data(as_text=True)


def test_other_buildings_staff_and_the_concierge_by_default_do_not_see_missed(
    client, login, cast: Cast
):
    missed = missed_for(cast)
    login(cast.other_coordinator)
    assert client.get(f"/wellbeing/to-call?building={cast.building.id}").status_code == 404
    assert post(client, f"/wellbeing/missed/{missed.id}/reached").status_code == 404
    login(cast.concierge)
    page = client.get("/wellbeing/to-call").get_data(as_text=True)
    assert cast.jeanne.full_name not in page and "No news today" not in page
    assert post(client, f"/wellbeing/missed/{missed.id}/reached").status_code == 404
    assert client.get("/api/wellbeing/badge").get_json() == {"count": 0}
    login(cast.manager)
    assert client.get(f"/wellbeing/to-call?building={cast.building.id}").status_code == 200
    assert client.get("/api/wellbeing/badge").get_json() == {"count": 1}


# The coordinator ------------------------------------------------------------------------


def test_coordinator_enrols_only_with_the_residents_agreement(client, login, cast: Cast):
    login(cast.coordinator)
    assert client.get("/wellbeing/enrolments").status_code == 200
    form = {"resident": str(cast.jeanne.id), "check_time": "10:00"}
    refused = post(client, "/wellbeing/enrolments", form)
    assert refused.status_code == 422
    assert "Tick the box to confirm that the resident agreed." in refused.get_data(as_text=True)
    assert service.get_enrolment(cast.jeanne) is None
    outsider = post(
        client, "/wellbeing/enrolments", {**form, "resident": str(cast.outsider.id), "consent": "y"}
    )
    assert outsider.status_code == 422 and service.get_enrolment(cast.outsider) is None
    assert post(client, "/wellbeing/enrolments", {**form, "consent": "y"}).status_code == 302
    enrolment = service.get_enrolment(cast.jeanne)
    assert enrolment.consent_recorded_by_id == cast.coordinator.id
    assert cast.coordinator.full_name in client.get("/wellbeing/enrolments").get_data(as_text=True)
    stop = post(client, f"/wellbeing/enrolments/{cast.jeanne.id}/stop")
    assert stop.status_code == 302 and service.get_enrolment(cast.jeanne) is None


def test_coordinator_chooses_whether_the_concierge_is_told(client, login, cast: Cast):
    login(cast.concierge)
    assert client.get("/wellbeing/enrolments").status_code == 404
    assert post(client, "/wellbeing/building-settings", {"alert_concierge": "y"}).status_code == 404
    assert not service.get_settings(cast.building.id).alert_concierge
    login(cast.coordinator)
    assert post(client, "/wellbeing/building-settings", {"alert_concierge": "y"}).status_code == 302
    assert service.get_settings(cast.building.id).alert_concierge
    assert post(client, "/wellbeing/building-settings", {}).status_code == 302
    assert not service.get_settings(cast.building.id).alert_concierge


def test_staff_opening_the_residents_page_land_on_their_list(client, login, cast: Cast):
    login(cast.coordinator)
    response = client.get("/wellbeing")
    assert response.status_code == 302 and response.headers["Location"] == "/wellbeing/to-call"


def test_answering_a_call_already_answered_says_so_on_the_list(client, login, cast: Cast):
    call, _ = service.do_send_help_call(cast.jeanne)
    service.do_acknowledge(cast.coordinator, call.id)
    db.session.commit()
    login(cast.concierge)
    response = post(client, f"/wellbeing/help-calls/{call.id}/seen")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/wellbeing/to-call?building={cast.building.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone has already answered this call." in page
    assert db.session.get(HelpCall, call.id).seen_by_id == cast.coordinator.id


# All or nothing: a failure half-way leaves none of the first steps ----------------------


def test_a_help_call_whose_alerts_fail_half_way_leaves_no_call(
    client, login, cast: Cast, monkeypatch, events
):
    real_notify = service.notify
    alerted: list[int] = []

    def first_alert_then_failure(person, *args, **kwargs):
        if alerted:
            raise RuntimeError("the second alert could not be written")
        alerted.append(count(HelpCall))  # the call is already flushed at this point
        return real_notify(person, *args, **kwargs)

    monkeypatch.setattr(service, "notify", first_alert_then_failure)
    login(cast.jeanne)
    response = post(client, "/help-me")
    assert response.status_code == 500
    assert alerted == [1]
    assert count(HelpCall) == 0
    assert count(Notification) == 0
    assert events.named(service.EVENT_CHANGED) == []
    assert events.named(service.EVENT_HELP_CALL) == []
    assert events.named(EVENT_NOTIFICATION) == []
    # Pressing again once the alerts work sends one call, alerts and all.
    monkeypatch.setattr(service, "notify", real_notify)
    assert post(client, "/help-me").status_code == 302
    assert count(HelpCall) == 1
    assert count(Notification) == 2


def test_an_enrolment_whose_audit_entry_fails_is_not_kept(
    client, login, cast: Cast, monkeypatch, events
):
    enrolled_before_audit: list[int] = []

    def failing_audit(*args, **kwargs):
        enrolled_before_audit.append(count(CheckinEnrolment))
        raise RuntimeError("the audit log could not be written")

    monkeypatch.setattr(service.audit, "record", failing_audit)
    login(cast.coordinator)
    form = {"resident": str(cast.jeanne.id), "check_time": "10:00", "consent": "y"}
    response = post(client, "/wellbeing/enrolments", form)
    assert response.status_code == 500
    assert enrolled_before_audit == [1]
    assert count(CheckinEnrolment) == 0
    assert service.get_enrolment(cast.jeanne) is None
    assert audit_actions(cast.jeanne) == []
    assert events.named(service.EVENT_CHANGED) == []


# The coordinator's overview reads a fixed number of statements ---------------------------


def test_the_coordinators_pages_read_the_same_statements_for_more_residents(
    client, login, cast: Cast
):
    """Each resident on the list (enrolled, away, on "To call", not yet enrolled) costs no
    statement of their own."""
    pages = (
        f"/wellbeing/enrolments?building={cast.building.id}",
        f"/wellbeing/to-call?building={cast.building.id}",
        f"/wellbeing/to-call/list?building={cast.building.id}",
    )

    def add_residents(count: int) -> None:
        for _ in range(count):
            resident = make_resident(cast.building, first_name="Yvette", locale="en")
            service.do_enrol(cast.coordinator, resident.id, time(11, 0), consent=True, now=at(6))
            make_resident(cast.building, first_name="Louis", locale="en")  # not enrolled
        service.do_send_help_call(resident)
        pauses.do_pause(cast.coordinator, resident.id, date(2026, 11, 30), now=at(7))
        jobs.run_missed_checkins(at(10, 5))
        db.session.commit()

    def counted() -> list[int]:
        sizes = []
        for path in pages:
            with statements() as seen:
                assert client.get(path).status_code == 200, path
            sizes.append(len(seen))
        return sizes

    with time_machine.travel(at(10, 30), tick=False):
        login(cast.coordinator)
        add_residents(2)
        few = counted()
        add_residents(5)
        many = counted()
        listing = client.get(pages[0]).get_data(as_text=True)
    assert listing.count("Away until") == 2 and listing.count("Yvette") >= 7
    assert many == few, (few, many)
