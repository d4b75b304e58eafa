"""Pausing the daily check-in for an absence: no missed check-in while away (frozen clock),
the home screen and the coordinator's overview, the pages with their access matrix,
retention and data rights."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.datarights.erasure import erase
from portal.datarights.export import build_export
from portal.errors import NotFound
from portal.extensions import db
from portal.retention import purge_in_batches
from portal.wellbeing import jobs, pauses, service
from portal.wellbeing.models import CheckinPause, MissedCheckin, PauseReason
from portal.wellbeing.tiles import checkin_panel
from tests.conftest import code
from tests.wellbeing.conftest import Cast, at, audit_actions, post

# Jeanne checks in by 11:00 in Paris (10:00 UTC); she is away from Monday 23 to Wednesday
# 25 November 2026 inclusive.
BACK = date(2026, 11, 25)
FINE = re.compile(r"I(&#39;|')m fine today")


def missed_days() -> list[date]:
    stmt = select(MissedCheckin.local_day).order_by(MissedCheckin.local_day)
    return list(db.session.scalars(stmt))


def count_pauses() -> int:
    return int(db.session.scalar(select(func.count(CheckinPause.id))) or 0)


@pytest.fixture
def enrolled(cast: Cast) -> Cast:
    service.do_opt_in(cast.jeanne, time(11, 0), now=at(6, day=20))
    service.do_opt_in(cast.paul, time(11, 0), now=at(6, day=20))
    db.session.commit()
    return cast


# The job, with a frozen clock -----------------------------------------------------------


def test_a_paused_resident_raises_no_missed_check_in_until_the_day_after(enrolled: Cast):
    with time_machine.travel(at(7, day=23), tick=False):
        pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, "holiday")
        db.session.commit()
    for day in (23, 24, 25):
        with time_machine.travel(at(10, 5, day=day), tick=False):
            assert jobs.run_missed_checkins() == 1  # Paul only
            db.session.commit()
    assert pauses.get_pause(enrolled.jeanne, at(10, day=25)) is not None
    assert pauses.get_pause(enrolled.jeanne, at(10, day=26)) is None  # ends by itself
    with time_machine.travel(at(10, 5, day=26), tick=False):
        assert jobs.run_missed_checkins() == 2  # the day after: Jeanne again, and Paul
        db.session.commit()
    stmt = select(MissedCheckin.local_day).where(MissedCheckin.person_id == enrolled.jeanne.id)
    assert list(db.session.scalars(stmt)) == [date(2026, 11, 26)]


def test_resuming_after_the_time_spares_today_and_checks_tomorrow(enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7, day=23))
    assert pauses.do_resume(enrolled.jeanne, enrolled.jeanne.id, now=at(12, day=23))
    service.raise_missed_checkins(at(12, 5, day=23))
    assert [m for m in missed_days() if m == date(2026, 11, 23)] == [date(2026, 11, 23)]  # Paul
    stmt = select(MissedCheckin).where(MissedCheckin.person_id == enrolled.jeanne.id)
    assert db.session.scalars(stmt).all() == []
    service.raise_missed_checkins(at(10, 5, day=24))
    assert len(db.session.scalars(stmt).all()) == 1


def test_resuming_before_the_time_checks_today(enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7, day=23))
    pauses.do_resume(enrolled.jeanne, enrolled.jeanne.id, now=at(8, day=23))
    assert pauses.get_pause(enrolled.jeanne, at(9, day=23)) is None
    assert service.raise_missed_checkins(at(10, 5, day=23)) == 2


# The service ----------------------------------------------------------------------------


def test_pausing_keeps_the_day_and_the_reason_only(enrolled: Cast):
    pause = pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, "hospital", now=at(7))
    assert (pause.starts_on, pause.until, pause.reason) == (
        date(2026, 11, 23),
        BACK,
        PauseReason.HOSPITAL,
    )
    assert pause.set_by_id == enrolled.jeanne.id
    assert "wellbeing.checkin_paused" in audit_actions(enrolled.jeanne)


def test_pausing_again_changes_the_running_pause(enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, "holiday", now=at(7))
    pause = pauses.do_pause(
        enrolled.coordinator, enrolled.jeanne.id, BACK + timedelta(days=3), "", now=at(9)
    )
    assert count_pauses() == 1
    assert pause.until == BACK + timedelta(days=3) and pause.reason is None
    assert pause.set_by_id == enrolled.coordinator.id


@pytest.mark.parametrize(
    ("until", "reason", "expected"),
    [
        (date(2026, 11, 22), "", "bad_until"),  # yesterday
        (date(2027, 11, 24), "", "bad_until"),  # more than a year ahead
        ("not a day", "", "bad_until"),
        (None, "", "bad_until"),
        (BACK, "cancer", "bad_reason"),  # only the three words, never a health detail
    ],
)
def test_a_pause_with_a_mistake_is_refused(enrolled: Cast, until, reason, expected):
    assert (
        code(pauses.do_pause, enrolled.jeanne, enrolled.jeanne.id, until, reason, now=at(7))
        == expected
    )
    assert count_pauses() == 0


def test_a_pause_of_one_day_is_today(enrolled: Cast):
    pause = pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, date(2026, 11, 23), now=at(7))
    assert pause.starts_on == pause.until == date(2026, 11, 23)


def test_only_an_enrolled_resident_pauses(cast: Cast):
    assert code(pauses.do_pause, cast.jeanne, cast.jeanne.id, BACK, now=at(7)) == "not_enrolled"


def test_resuming_without_a_pause_changes_nothing(enrolled: Cast):
    assert pauses.do_resume(enrolled.jeanne, enrolled.jeanne.id, now=at(7)) is False


@pytest.mark.parametrize(
    "who", ["paul", "concierge", "manager", "other_coordinator", "other_concierge", "outsider"]
)
def test_nobody_else_pauses_a_residents_check_in(enrolled: Cast, who: str):
    actor = getattr(enrolled, who)
    with pytest.raises(NotFound):
        pauses.do_pause(actor, enrolled.jeanne.id, BACK, now=at(7))
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7))
    with pytest.raises(NotFound):
        pauses.do_resume(actor, enrolled.jeanne.id, now=at(8))
    assert pauses.get_pause(enrolled.jeanne, at(8)) is not None


def test_the_coordinator_sees_who_is_away(enrolled: Cast):
    pauses.do_pause(enrolled.coordinator, enrolled.jeanne.id, BACK, now=at(7))
    away = pauses.list_paused(enrolled.coordinator, enrolled.building.id, now=at(8))
    assert list(away) == [enrolled.jeanne.id]
    assert pauses.list_paused(enrolled.coordinator, enrolled.building.id, now=at(8, day=26)) == {}


# Pages ----------------------------------------------------------------------------------


def test_resident_pauses_in_two_taps_and_resumes_from_home(client, login, enrolled: Cast):
    with time_machine.travel(at(7), tick=False):
        login(enrolled.jeanne)
        home = client.get("/").get_data(as_text=True)
        assert "I am going away" in home
        page = client.get("/wellbeing/pause")  # tap 1
        assert page.status_code == 200
        assert 'value="2026-11-30"' in page.get_data(as_text=True)  # a week ahead, offered
        answer = post(
            client,
            f"/wellbeing/people/{enrolled.jeanne.id}/pause",
            {"until": "2026-11-30", "reason": ""},
        )  # tap 2
        assert answer.status_code == 302 and answer.location.endswith("/")
        home = client.get("/").get_data(as_text=True)
        assert "Check-in paused until November 30, 2026" in home
        assert not FINE.search(home)
        assert checkin_panel(enrolled.jeanne)["paused_until"] == date(2026, 11, 30)
        answer = post(client, f"/wellbeing/people/{enrolled.jeanne.id}/resume", {"next": "/"})
        assert answer.status_code == 302
        home = client.get("/").get_data(as_text=True)
        assert "paused until" not in home, home
        assert FINE.search(home)


def test_a_pause_form_with_a_mistake_says_why(client, login, enrolled: Cast):
    with time_machine.travel(at(7), tick=False):
        login(enrolled.jeanne)
        url = f"/wellbeing/people/{enrolled.jeanne.id}/pause"
        answer = post(client, url, {"until": "2026-11-01"})
        assert answer.status_code == 422
        assert "Choose a day between today and one year from now." in answer.get_data(as_text=True)
        assert post(client, url, {"until": ""}).status_code == 422
        assert post(client, url, {"until": "2026-11-30"}, csrf=False).status_code == 400
        assert (
            post(client, f"/wellbeing/people/{enrolled.jeanne.id}/resume", csrf=False).status_code
            == 400
        )
    assert count_pauses() == 0


def test_a_resident_without_the_check_in_is_sent_to_switch_it_on(client, login, cast: Cast):
    login(cast.jeanne)
    answer = client.get("/wellbeing/pause")
    assert answer.status_code == 302 and answer.location.endswith("/wellbeing")


def test_coordinator_pauses_a_resident_and_sees_them_away(client, login, enrolled: Cast):
    with time_machine.travel(at(7), tick=False):
        login(enrolled.coordinator)
        page = client.get(f"/wellbeing/residents/{enrolled.jeanne.id}")
        assert page.status_code == 200
        answer = post(
            client,
            f"/wellbeing/people/{enrolled.jeanne.id}/pause",
            {"until": "2026-11-25", "reason": "hospital"},
        )
        assert answer.status_code == 302
        overview = client.get(f"/wellbeing/enrolments?building={enrolled.building.id}")
        assert "Away until November 25, 2026" in overview.get_data(as_text=True)
        page = client.get(f"/wellbeing/residents/{enrolled.jeanne.id}").get_data(as_text=True)
        assert "Away until November 25, 2026" in page and "Hospital" in page
        answer = post(client, f"/wellbeing/people/{enrolled.jeanne.id}/resume")
        assert answer.status_code == 302
        overview = client.get(f"/wellbeing/enrolments?building={enrolled.building.id}")
        assert "Away until" not in overview.get_data(as_text=True)


@pytest.mark.parametrize(
    "who", ["paul", "concierge", "manager", "other_coordinator", "other_concierge", "outsider"]
)
def test_the_pause_pages_of_a_resident_are_hidden_from_others(
    client, login, enrolled: Cast, who: str
):
    login(getattr(enrolled, who))
    answer = post(client, f"/wellbeing/people/{enrolled.jeanne.id}/pause", {"until": "2026-12-30"})
    assert answer.status_code == 404
    assert post(client, f"/wellbeing/people/{enrolled.jeanne.id}/resume").status_code == 404
    assert count_pauses() == 0


def test_staff_have_no_pause_of_their_own(client, login, enrolled: Cast):
    login(enrolled.coordinator)
    assert client.get("/wellbeing/pause").status_code in (302, 404)
    answer = post(
        client, f"/wellbeing/people/{enrolled.coordinator.id}/pause", {"until": "2026-12-30"}
    )
    assert answer.status_code == 404


# Retention and data rights --------------------------------------------------------------


def test_ended_pauses_are_purged_after_the_retention_period(app, enrolled: Cast):
    app.config["WELLBEING_RETENTION_DAYS"] = 30
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7))
    pauses.do_pause(enrolled.paul, enrolled.paul.id, date(2027, 6, 1), now=at(7))
    pauses.do_resume(enrolled.paul, enrolled.paul.id, now=at(8))
    db.session.commit()
    later = at(7) + timedelta(days=29)
    assert purge_in_batches(pauses.purge_pauses, later) == 0
    running = pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, date(2027, 6, 1), now=later)
    db.session.commit()
    running_id = running.id
    assert purge_in_batches(pauses.purge_pauses, at(7) + timedelta(days=40)) == 2
    assert list(db.session.scalars(select(CheckinPause.id))) == [running_id]


def test_the_daily_purge_job_includes_the_pauses(app, enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7))
    db.session.commit()
    with time_machine.travel(at(7) + timedelta(days=400), tick=False):
        jobs.run_purge()
    assert count_pauses() == 0


def test_the_export_holds_the_pauses(enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, "holiday", now=at(7))
    [exported] = build_export(enrolled.jeanne)["wellbeing"]["pauses"]
    assert exported == {
        "from": "2026-11-23",
        "until": "2026-11-25",
        "reason": "holiday",
        "resumed_at": None,
    }


def test_erasing_a_resident_erases_their_pauses(enrolled: Cast):
    pauses.do_pause(enrolled.jeanne, enrolled.jeanne.id, BACK, now=at(7))
    kept = pauses.do_pause(enrolled.coordinator, enrolled.paul.id, BACK, now=at(7))
    db.session.commit()
    erase(enrolled.jeanne, actor=None)
    erase(enrolled.coordinator, actor=None)
    db.session.commit()
    [left] = db.session.scalars(select(CheckinPause)).all()
    assert left.id == kept.id and left.set_by_id is None
