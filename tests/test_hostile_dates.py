"""Dates, times and page numbers out of range, through the real pages (issue 17, cases 6 and 7):
each is refused with a visible, translated message (4xx), never a 500; on SQLite and, with
BV_TEST_DATABASE=postgresql, on PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient

from activities import rules as activity_rules
from activities import service as activities
from activities.models import Recurrence
from concierge.desk import logbook, visits
from messaging.announcements import service as announcements
from portal.audit import routes as audit_routes
from portal.errors import Invalid
from portal.people.models import Building, Person, Role
from portal.validation import BAD_DAY
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")
OUT_OF_RANGE = ["9999-12-31", "1900-01-01", "0001-01-01", "1999-12-31", "2101-01-01"]
# What the pages show: the test client asks for English (tests/conftest.py).
BAD_DAY_SHOWN = "Please give a date between 2000 and 2100, like 2026-03-31."
HUGE_NUMBERS = [str(10**20), "9" * 5000, "²", "-1", "0", "1e300", str(audit_routes.MAX_PAGE + 1)]
BAD_TIMES = ["25:00", "99:99", "1000000:00", "10:00:00:00", "٢٥:٠٠"]


@dataclass
class World:
    building: Building
    manager: Person
    coordinator: Person
    concierge: Person
    resident: Person


@pytest.fixture
def world(app) -> World:
    building = make_building()
    return World(
        building=building,
        manager=make_staff(Role.MANAGER, [building], organisation=building.organisation),
        coordinator=make_staff(Role.COORDINATOR, [building]),
        concierge=make_staff(Role.CONCIERGE, [building]),
        resident=make_resident(building),
    )


@pytest.fixture(autouse=True)
def no_traceback(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Nothing here may reach the "unexpected error" handler (it logs the traceback)."""
    with caplog.at_level(logging.ERROR):
        yield
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


def post(client: FlaskClient, path: str, data: dict[str, str]) -> tuple[int, str]:
    """Post a form with the page's CSRF token; the status and the page's text."""
    response = client.post(path, data={"csrf_token": token(client, path), **data})
    return response.status_code, unescape(response.get_data(as_text=True))


def get(client: FlaskClient, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, unescape(response.get_data(as_text=True))


def field_error(html: str, field_id: str, *, described: bool = True) -> str:
    """The message shown next to a field (the list the field's aria-describedby names, for
    a field that is one input)."""
    found = re.search(rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', html, re.S)
    assert found, f"no message next to {field_id}"
    assert not described or f'aria-describedby="{field_id}-errors"' in html
    return re.sub(r"<[^>]+>", " ", found.group(1))


def in_a_week() -> str:
    return (datetime.now(PARIS).date() + timedelta(days=7)).isoformat()


# Case 6: the audit log's filters and page number ----------------------------------------------


@pytest.mark.parametrize("day", OUT_OF_RANGE)
@pytest.mark.parametrize("name", ["since", "until"])
def test_audit_days_out_of_range_are_refused_with_a_message(client, login, world, name, day):
    login(world.manager)
    status, html = get(client, f"/staff/audit?{name}={day}")
    assert status == 422
    assert BAD_DAY_SHOWN in html


def test_audit_days_that_are_not_days_keep_their_message(client, login, world):
    login(world.manager)
    for value in ["31-02-2026", "2026-13-01", "9999-12-31" * 50, "99999-01-01"]:
        status, html = get(client, f"/staff/audit?until={value}")
        assert status == 422
        assert "Please give dates as day, month and year." in html


@pytest.mark.parametrize("page", HUGE_NUMBERS)
def test_audit_page_numbers_out_of_range_are_refused(client, login, world, page):
    login(world.manager)
    status, html = get(client, f"/staff/audit?page={page}")
    assert status == 422
    assert "This page number does not exist." in html


def test_audit_last_possible_page_and_widest_days_still_answer(client, login, world):
    login(world.manager)
    page = audit_routes.MAX_PAGE
    status, html = get(client, f"/staff/audit?page={page}&since=2000-01-01&until=2100-12-31")
    assert status == 200 and "No entry matches." in html


def test_audit_building_out_of_range_is_refused(client, login, world):
    login(world.manager)
    for building in [str(10**20), "²", "9" * 5000]:
        status, html = get(client, f"/staff/audit?building={building}")
        assert status == 422 and "Please choose one of the buildings shown." in html


# Case 6: the figures' end day -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/figures", "/staff/figures/tickets.csv"])
def test_figures_end_day_out_of_range_is_refused(client, login, world, path):
    login(world.coordinator)
    expected = {
        "9999-12-31": "The last day must be today or a day before.",
        "2101-01-01": "The last day must be today or a day before.",
        "0001-01-01": BAD_DAY_SHOWN,
        "1900-01-01": BAD_DAY_SHOWN,
        "1999-12-31": BAD_DAY_SHOWN,
        "2026-02-30": "Please give the last day as a date",
        "9" * 5000: "Please give the last day as a date",
    }
    for day, message in expected.items():
        status, html = get(client, f"{path}?weeks=52&until={day}")
        assert status == 422, day
        assert message in html, day


def test_figures_oldest_end_day_still_answers(client, login, world):
    login(world.coordinator)
    status, _html = get(client, "/staff/figures?weeks=52&until=2000-01-01")
    assert status == 200


@pytest.mark.parametrize("weeks", ["²", "9" * 5000, str(10**20), "-4", "٤"])
def test_figures_odd_week_counts_are_refused(client, login, world, weeks):
    login(world.coordinator)
    status, html = get(client, f"/staff/figures?weeks={weeks}")
    assert status == 422 and "Please choose one of the periods shown." in html


# Case 6: activities ---------------------------------------------------------------------------


def activity_form(day: str, **fields: str) -> dict[str, str]:
    return {
        "title": "Tricot",
        "category": "other",
        "audience": "everyone",
        "recurrence": "none",
        "room": "",
        "day": day,
        "start": "10:00",
        "end": "11:00",
        **fields,
    }


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_activity_dated_out_of_range_is_refused_beside_its_day(client, login, world, day):
    login(world.coordinator)
    status, html = post(client, "/activities/new", activity_form(day))
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "day")
    assert (
        activities.list_upcoming(
            world.resident, datetime(2000, 1, 1, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)
        )
        == []
    )


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_activity_repeating_until_out_of_range_is_refused(client, login, world, until):
    login(world.coordinator)
    form = activity_form(in_a_week(), recurrence="weekly", repeat_until=until)
    status, html = post(client, "/activities/new", form)
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "repeat_until")


@pytest.mark.parametrize("recurrence", ["weekly", "monthly"])
def test_activity_repeating_at_the_end_of_the_range_does_not_overflow(
    client, login, world, recurrence
):
    login(world.coordinator)
    form = activity_form("2100-12-20", recurrence=recurrence, repeat_until="2100-12-31")
    status, _html = post(client, "/activities/new", form)
    assert status == 302


@pytest.mark.parametrize("end", BAD_TIMES)
def test_activity_times_that_are_not_times_are_refused_beside_the_field(client, login, world, end):
    login(world.coordinator)
    status, html = post(client, "/activities/new", activity_form(in_a_week(), end=end))
    assert status == 422
    assert "Choose an end time." in field_error(html, "end")


def test_activity_of_a_million_hours_is_refused_by_the_service(world):
    start = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=7)
    for hours, code in [(10**6, "bad_date"), (10**4, "too_long"), (25, "too_long")]:
        with pytest.raises(Invalid) as refused:
            activities.do_create_activity(
                world.coordinator,
                world.building.id,
                title="Marathon",
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
            )
        assert refused.value.code == code
        assert refused.value.status == 422


def test_activity_far_days_are_refused_by_the_service(world):
    for day in [date(9999, 12, 31), date(1, 1, 2), date(1999, 12, 31)]:
        start = datetime(day.year, day.month, day.day, 10, tzinfo=PARIS)
        with pytest.raises(Invalid) as refused:
            activity_rules.check_times(start, start + timedelta(hours=1))
        assert refused.value.message == str(BAD_DAY)
    first = datetime.now(PARIS) + timedelta(days=7)
    with pytest.raises(Invalid) as refused:
        activities.occurrence_starts(first, Recurrence.WEEKLY, date(9999, 12, 31), PARIS)
    assert refused.value.code == "bad_until"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_proposal_and_room_booking_out_of_range_are_refused(client, login, world, day):
    login(world.coordinator)
    status, _html = post(
        client,
        "/activities/rooms",
        {"name": "Salle", "capacity": "10", "opens_at": "08:00", "closes_at": "20:00"}
        | {"max_minutes": "120"},
    )
    assert status == 302
    room_path = next(
        m.group(0)
        for m in re.finditer(r"/activities/rooms/\d+", client.get("/activities/rooms").text)
    )
    login(world.resident)
    status, html = post(client, room_path, {"day": day, "start": "10:00", "end": "11:00"})
    assert status == 422 and BAD_DAY_SHOWN in field_error(html, "day")
    form = {"title": "Pétanque", "day": day, "start": "10:00", "end": "11:00"}
    status, html = post(client, "/activities/propose", form)
    assert status == 422 and BAD_DAY_SHOWN in field_error(html, "day")


def test_room_hours_that_are_not_times_are_refused_beside_the_field(client, login, world):
    login(world.coordinator)
    form = {"name": "Salle", "capacity": "10", "opens_at": "25:00", "closes_at": "99:99"}
    status, html = post(client, "/activities/rooms", form | {"max_minutes": "120"})
    assert status == 422
    assert "Choose a time." in field_error(html, "opens_at")
    assert "Choose a time." in field_error(html, "closes_at")


def test_editing_an_activity_with_odd_times_or_scope_shows_why(client, login, world):
    start = datetime.now(PARIS).replace(microsecond=0) + timedelta(days=7)
    activity = activities.do_create_activity(
        world.coordinator,
        world.building.id,
        title="Tricot",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    path = f"/activities/occurrences/{activity.occurrences[0].id}/edit"
    login(world.coordinator)
    status, html = post(client, path, {"title": "Tricot", "start": "99:99", "end": "11:00"})
    assert status == 422 and "Choose a start time." in field_error(html, "start")
    form = {"title": "Tricot", "start": "10:00", "end": "11:00", "scope": "everything"}
    status, html = post(client, path, form)
    assert status == 422 and field_error(html, "scope", described=False).strip()


# Case 6: help requests, visits, the logbook, announcements ----------------------------------


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_help_request_window_out_of_range_is_refused(client, login, world, day):
    login(world.resident)
    form = {"kind": "groceries", "urgency": "soon", "day": day, "start": "10:00", "end": "12:00"}
    status, html = post(client, "/neighbours/ask", form)
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "day")


def test_help_request_window_far_in_the_range_is_refused_by_its_rule(client, login, world):
    login(world.resident)
    form = {"kind": "groceries", "urgency": "soon", "start": "10:00", "end": "12:00"}
    status, html = post(client, "/neighbours/ask", form | {"day": "2100-12-31"})
    assert status == 422 and "Ask at most three months ahead." in html
    status, html = post(client, "/neighbours/ask", form | {"day": "2000-01-01"})
    assert status == 422 and "This time is already past." in html


@pytest.mark.parametrize("day", OUT_OF_RANGE)
def test_visit_out_of_range_is_refused(client, login, world, day):
    login(world.resident)
    form = {"kind": "visitor", "visitor": "Paul", "day": day, "start": "10:00", "end": "11:00"}
    status, html = post(client, "/my-home/visits/new", form)
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "day")


def test_visit_and_logbook_far_days_are_refused_by_their_services(world):
    far = datetime(9999, 12, 31, 10, tzinfo=PARIS)
    with pytest.raises(Invalid) as refused:
        visits.check_window(far, far + timedelta(hours=1), datetime.now(UTC))
    assert refused.value.message == str(BAD_DAY)
    for day in [date(9999, 12, 31), date(1, 1, 1)]:
        with pytest.raises(Invalid) as refused:
            logbook.check_day(day)
        assert refused.value.message == str(BAD_DAY)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01"])
def test_logbook_entry_out_of_range_is_refused(client, login, world, day):
    login(world.concierge)
    path = f"/desk/dwellings/{world.resident.dwelling_id}/logbook/new"
    form = {"kind": "repair", "title": "Fuite", "happened_on": day, "body": ""}
    status, html = post(client, path, form)
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "happened_on")


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2101-01-01"])
def test_announcement_visible_until_out_of_range_is_refused(client, login, world, day):
    login(world.coordinator)
    form = {"building": str(world.building.id), "title": "Canicule", "body": "Buvez de l'eau."}
    status, html = post(client, "/announcements/new", form | {"until_day": day})
    assert status == 422
    assert BAD_DAY_SHOWN in field_error(html, "until_day")
    status, html = post(client, "/announcements/new", form | {"until_time": "25:00"})
    assert status == 422
    assert field_error(html, "until_time").strip()


def test_announcement_far_end_is_refused_by_the_service(world):
    far = datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/Los_Angeles"))
    with pytest.raises(Invalid) as refused:
        announcements.check_until(far, datetime.now(UTC))
    assert refused.value.message == str(BAD_DAY)


# Case 7: the daily check-in's time, shown next to the field -----------------------------------


@pytest.mark.parametrize("value", [*BAD_TIMES, "03:00", "", "10:15"])
def test_check_in_time_not_in_the_list_is_explained_to_the_resident(client, login, world, value):
    login(world.resident)
    status, html = post(client, "/wellbeing", {"check_time": value})
    assert status == 422
    assert "Choose a time from the list." in field_error(html, "check_time")


@pytest.mark.parametrize("value", ["25:00", "99:99", "03:00"])
def test_check_in_time_not_in_the_list_is_explained_to_the_coordinator(client, login, world, value):
    login(world.coordinator)
    form = {"resident": str(world.resident.id), "check_time": value, "consent": "y"}
    status, html = post(client, "/wellbeing/enrolments", form)
    assert status == 422
    assert "Choose a time from the list." in field_error(html, "check_time")


def test_check_in_time_from_the_list_is_still_taken(client, login, world):
    login(world.coordinator)
    form = {"resident": str(world.resident.id), "check_time": "21:00", "consent": "y"}
    assert post(client, "/wellbeing/enrolments", form)[0] == 302
    login(world.resident)
    assert post(client, "/wellbeing", {"check_time": "06:00"})[0] == 302


def test_the_message_is_translated(client, login, world):
    login(world.resident)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    status, html = post(client, "/wellbeing", {"check_time": "25:00"})
    assert status == 422
    shown = field_error(html, "check_time")
    assert shown.strip() and "Choose a time from the list." not in shown
