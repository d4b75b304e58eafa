"""Tickets: reporting, the status workflow, targets in working hours, live steps, rating."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from concierge.desk import access as desk
from concierge.desk import tickets
from concierge.desk.models import LogbookEntry, LogbookKind, Priority, TicketStatus
from messaging.service import desk_room
from portal import realtime
from portal.extensions import db
from portal.notifications.service import EVENT_CREATED, list_notifications
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")


def jpeg(colour: str = "#3366aa") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def resident(building):
    return make_resident(building, first_name="Jeanne", locale="en")


def report(resident, **kwargs):
    fields = {"category": "water", "description": "Fuite sous l'évier", **kwargs}
    return tickets.do_create_ticket(resident, **fields)


# Working hours --------------------------------------------------------------------------


def test_working_hours_skip_the_weekend_and_the_night():
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=PARIS)
    due = desk.add_working_hours(friday_4pm, 4, PARIS)
    assert due.astimezone(PARIS) == datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)  # Monday 10:00


def test_working_hours_start_counting_at_the_next_opening():
    saturday = datetime(2026, 3, 7, 11, 0, tzinfo=PARIS)
    assert desk.add_working_hours(saturday, 2, PARIS).astimezone(PARIS) == datetime(
        2026, 3, 9, 10, 0, tzinfo=PARIS
    )
    tuesday_night = datetime(2026, 3, 10, 21, 30, tzinfo=PARIS)
    assert desk.add_working_hours(tuesday_night, 16, PARIS).astimezone(PARIS) == datetime(
        2026, 3, 12, 14, 0, tzinfo=PARIS
    )


def test_working_hours_keep_local_time_across_daylight_saving():
    friday = datetime(2026, 3, 27, 17, 0, tzinfo=PARIS)  # clocks go forward on Sunday 29th
    due = desk.add_working_hours(friday, 2, PARIS)
    assert due.astimezone(PARIS) == datetime(2026, 3, 30, 9, 0, tzinfo=PARIS)
    assert due.tzinfo == UTC and due.hour == 7  # CEST


def day_by_day(start: datetime, hours: float, zone: ZoneInfo, day=(8, 18), weekdays=range(5)):
    """The plain reckoning the week-skipping add_working_hours must agree with."""
    remaining, local = timedelta(hours=hours), start.astimezone(zone)
    while True:
        opens = datetime.combine(local.date(), time(day[0]), tzinfo=zone)
        closes = datetime.combine(local.date(), time(day[1]), tzinfo=zone)
        if local.weekday() in weekdays and local < closes:
            begin = max(local, opens)
            if remaining <= closes - begin:
                return (begin + remaining).astimezone(UTC)
            remaining -= closes - begin
        local = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


@pytest.mark.parametrize("hours", [0, 10, 49.5, 50, 50.25, 80, 100, 160, 1000])
@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 6, 16, 0, tzinfo=PARIS),  # Friday afternoon, before a DST change
        datetime(2026, 3, 9, 7, 0, tzinfo=PARIS),  # Monday before opening
        datetime(2026, 3, 9, 8, 0, tzinfo=PARIS),  # Monday at opening
        datetime(2026, 10, 24, 23, 0, tzinfo=PARIS),  # Saturday night, clocks go back
        datetime(2026, 12, 31, 12, 30, tzinfo=ZoneInfo("America/New_York")),
    ],
)
def test_working_hours_skip_whole_weeks_exactly(start, hours):
    assert desk.add_working_hours(start, hours, PARIS) == day_by_day(start, hours, PARIS)
    three_days = dict(day=(9, 12), weekdays=(0, 2, 4))
    assert desk.add_working_hours(start, hours, PARIS, **three_days) == day_by_day(
        start, hours, PARIS, **three_days
    )


def test_working_hours_refuse_a_desk_that_never_opens():
    with pytest.raises(ValueError):
        desk.add_working_hours(datetime(2026, 3, 6, 9, tzinfo=PARIS), 1, PARIS, weekdays=())


# Reporting ------------------------------------------------------------------------------


def test_resident_reports_a_problem_with_photos(resident, building, events):
    ticket = report(resident, photos=[jpeg(), jpeg("#aa3322")])
    db.session.commit()  # as the request would: the events leave after the commit
    assert ticket.status == TicketStatus.NEW and ticket.priority == Priority.NORMAL
    assert ticket.dwelling_id == resident.dwelling_id and ticket.reporter_id == resident.id
    assert len(ticket.photos) == 2 and all(p.file_name.endswith(".jpg") for p in ticket.photos)
    created = events.named(tickets.EVENT_CREATED)
    assert [e.to for e in created] == [desk_room(building.id), realtime.user_room(resident.id)]


def test_common_area_ticket_has_no_dwelling(resident):
    ticket = report(resident, category="lift", in_common_areas=True)
    assert ticket.dwelling_id is None and ticket.in_common_areas


def test_bad_reports_change_nothing(resident, app):
    assert code(report, resident, category="volcano") == "bad_category"
    assert code(report, resident, description="   ") == "empty"
    assert code(report, resident, description="x" * 2001) == "too_long"
    assert code(report, resident, photos=[jpeg()] * 4) == "too_many_photos"
    assert code(report, resident, photos=[b"not an image at all"]) == "bad_type"
    app.config["CONCIERGE_MAX_PHOTO_BYTES"] = 100
    assert code(report, resident, photos=[jpeg()]) == "too_large"
    assert tickets.list_mine(resident) == []


def test_staff_report_for_a_resident_of_their_building_only(concierge, resident):
    ticket = tickets.do_create_ticket(
        concierge, category="heating", description="Radiateur froid", resident_id=resident.id
    )
    assert ticket.reporter_id == resident.id and ticket.posted_by_id == concierge.id
    stranger = make_resident(make_building())
    assert (
        code(
            tickets.do_create_ticket,
            concierge,
            category="heating",
            description="x",
            resident_id=stranger.id,
        )
        == "bad_resident"
    )
    assert code(tickets.do_create_ticket, concierge, category="heating", description="x") == (
        "bad_resident"
    )


# Workflow -------------------------------------------------------------------------------


def test_status_workflow_tells_the_resident_in_their_language(concierge, resident, events):
    ticket = report(resident)
    tickets.do_change_status(concierge, ticket.id, "acknowledged")
    db.session.commit()  # as the request would: the events leave after the commit
    assert ticket.acknowledged_at is not None
    notes = list_notifications(resident.id)
    assert notes[0].title == "Your report “Water, leak”: Seen by the desk"
    assert notes[0].url == f"/tickets/{ticket.id}"
    changed = events.named(tickets.EVENT_CHANGED)
    assert {e.to for e in changed} == {
        desk_room(ticket.building_id),
        realtime.user_room(resident.id),
    }
    assert any(e.to == realtime.user_room(resident.id) for e in events.named(EVENT_CREATED))
    tickets.do_change_status(concierge, ticket.id, "in_progress")
    tickets.do_change_status(concierge, ticket.id, "waiting_contractor")
    tickets.do_change_status(concierge, ticket.id, "resolved", "Joint changé")
    assert ticket.resolved_at is not None
    tickets.do_change_status(concierge, ticket.id, "closed")
    assert code(tickets.do_change_status, concierge, ticket.id, "in_progress") == "bad_transition"
    steps = [u.new_value for u in ticket.updates if u.kind.value == "status"]
    assert steps == ["acknowledged", "in_progress", "waiting_contractor", "resolved", "closed"]


def test_the_same_status_twice_is_refused(concierge, resident):
    ticket = report(resident)
    tickets.do_change_status(concierge, ticket.id, "acknowledged")
    assert code(tickets.do_change_status, concierge, ticket.id, "acknowledged") == "bad_transition"
    assert code(tickets.do_change_status, concierge, ticket.id, "nonsense") == "bad_status"


def test_resolving_writes_the_dwelling_logbook_once(concierge, resident):
    ticket = report(resident)
    tickets.do_change_status(concierge, ticket.id, "resolved", "Joint de l'évier changé")
    entries = db.session.query(LogbookEntry).filter_by(ticket_id=ticket.id).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.kind == LogbookKind.TICKET and entry.dwelling_id == resident.dwelling_id
    assert entry.body == "Joint de l'évier changé"
    tickets.do_change_status(concierge, ticket.id, "in_progress")  # reopened
    tickets.do_change_status(concierge, ticket.id, "resolved", "Siphon remplacé")
    entries = db.session.query(LogbookEntry).filter_by(ticket_id=ticket.id).all()
    assert len(entries) == 1 and entries[0].body == "Siphon remplacé"


def test_common_area_resolution_writes_no_logbook(concierge, resident):
    ticket = report(resident, in_common_areas=True)
    tickets.do_change_status(concierge, ticket.id, "resolved", "Ascenseur réparé")
    assert db.session.query(LogbookEntry).count() == 0


def test_only_the_buildings_staff_triage(concierge, resident, building):
    ticket = report(resident)
    neighbour = make_resident(building)
    other_concierge = make_staff(Role.CONCIERGE, [make_building()])
    assert code(tickets.do_change_status, resident, ticket.id, "resolved") == "forbidden"
    assert code(tickets.do_change_status, neighbour, ticket.id, "resolved") == "not_found"
    assert code(tickets.do_set_priority, other_concierge, ticket.id, "urgent") == "not_found"
    assert ticket.status == TicketStatus.NEW


def test_priority_and_assignee_stay_internal(concierge, resident, building):
    ticket = report(resident)
    coordinator = make_staff(Role.COORDINATOR, [building])
    tickets.do_set_priority(concierge, ticket.id, "urgent")
    tickets.do_assign(concierge, ticket.id, coordinator.id)
    assert ticket.priority == Priority.URGENT and ticket.assignee_id == coordinator.id
    assert code(tickets.do_assign, concierge, ticket.id, resident.id) == "bad_assignee"
    outsider = make_staff(Role.CONCIERGE, [make_building()])
    assert code(tickets.do_assign, concierge, ticket.id, outsider.id) == "bad_assignee"
    assert tickets.visible_updates(resident, ticket) == []
    assert len(tickets.visible_updates(concierge, ticket)) == 2
    assert coordinator in tickets.list_assignable(building.id)


def test_internal_notes_are_hidden_from_residents(concierge, resident):
    ticket = report(resident)
    tickets.do_add_reply(concierge, ticket.id, "Appeler le plombier Dupont", internal=True)
    tickets.do_add_reply(concierge, ticket.id, "Le plombier passe jeudi")
    bodies = [u.body for u in tickets.visible_updates(resident, ticket)]
    assert bodies == ["Le plombier passe jeudi"]
    assert code(tickets.do_add_reply, resident, ticket.id, "note", internal=True) == "forbidden"
    assert code(tickets.do_add_reply, resident, ticket.id, "  ") == "empty"


def test_rating_once_after_resolution_by_the_reporter_only(concierge, resident, building):
    ticket = report(resident)
    assert code(tickets.do_rate, resident, ticket.id, 5) == "not_resolved"
    tickets.do_change_status(concierge, ticket.id, "resolved")
    flatmate = make_resident(dwelling=resident.dwelling)
    assert code(tickets.do_rate, flatmate, ticket.id, 5) == "forbidden"
    assert code(tickets.do_rate, resident, ticket.id, 6) == "bad_rating"
    tickets.do_rate(resident, ticket.id, 4, "Rapide, merci")
    assert ticket.rating == 4 and ticket.rating_comment == "Rapide, merci"
    assert code(tickets.do_rate, resident, ticket.id, 5) == "already_rated"


def test_residents_see_their_own_and_their_dwellings_tickets(resident, building):
    mine = report(resident)
    flatmate = make_resident(dwelling=resident.dwelling)
    neighbour = make_resident(building)
    lift = report(neighbour, category="lift", in_common_areas=True)
    assert tickets.list_mine(flatmate) == [mine]
    assert tickets.access_ticket(flatmate, mine.id) is mine
    assert code(tickets.access_ticket, neighbour, mine.id) == "not_found"
    assert code(tickets.access_ticket, resident, lift.id) == "not_found"


# Targets --------------------------------------------------------------------------------


def test_urgent_ticket_is_overdue_after_four_working_hours(concierge, resident):
    friday_3pm = datetime(2026, 3, 6, 15, 0, tzinfo=PARIS)
    with time_machine.travel(friday_3pm, tick=False):
        ticket = report(resident)
        tickets.do_set_priority(concierge, ticket.id, "urgent")
    acknowledge_by, _resolve_by = tickets.targets(ticket)
    assert acknowledge_by.astimezone(PARIS) == datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=PARIS)
    assert not tickets.is_overdue(ticket, saturday)  # the weekend does not count
    monday_930 = datetime(2026, 3, 9, 9, 30, tzinfo=PARIS)
    assert tickets.is_overdue(ticket, monday_930)
    with time_machine.travel(monday_930, tick=False):
        tickets.do_change_status(concierge, ticket.id, "acknowledged")
    assert not tickets.is_overdue(ticket, monday_930 + timedelta(hours=1))
    assert tickets.is_overdue(ticket, datetime(2026, 3, 12, 9, 0, tzinfo=PARIS))  # 16 h to fix


def test_low_priority_has_a_longer_target(resident, app):
    app.config["CONCIERGE_TARGETS"] = {
        **app.config["CONCIERGE_TARGETS"],
        "low": {"acknowledge": 40, "resolve": 200},
    }
    monday = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
    with time_machine.travel(monday, tick=False):
        ticket = report(resident)
        ticket.priority = Priority.LOW
        db.session.commit()
    acknowledge_by, _ = tickets.targets(ticket)
    assert acknowledge_by.astimezone(PARIS).date() == date(2026, 3, 12)  # four 10-hour days
