"""The desk's queue and the desk pages: forms, bad input, live partials, tiles."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import format_datetime, format_time, gettext
from PIL import Image

from concierge.desk import access as desk
from concierge.desk import parcels, tickets, visits
from concierge.desk import queue as desk_queue
from concierge.desk.models import LogbookEntry, Parcel, Ticket, TicketStatus, Visit
from concierge.exchange import service as helping
from portal import desk_queue as queue_registry
from portal.desk_queue import QueueContext, QueueItem
from portal.errors import DomainError
from portal.extensions import db
from portal.registry import Registry
from tests.factories import make_building, make_resident

PARIS = ZoneInfo("Europe/Paris")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), "#3366aa").save(buffer, "JPEG")
    return buffer.getvalue()


def token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, html[:500]
    return match.group(1)


@pytest.fixture
def resident(building):
    return make_resident(building, first_name="Jeanne")


# The queue ------------------------------------------------------------------------------


def test_queue_puts_overdue_and_urgent_first_then_the_oldest(concierge, resident, building):
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=PARIS)
    with time_machine.travel(monday, tick=False):
        old_normal = tickets.do_create_ticket(resident, category="noise", description="Voisin")
    with time_machine.travel(monday + timedelta(hours=1), tick=False):
        urgent = tickets.do_create_ticket(resident, category="water", description="Fuite")
        tickets.do_set_priority(concierge, urgent.id, "urgent")
        parcel = parcels.do_log_parcel(concierge, resident.dwelling_id, carrier="DHL")
        late = tickets.do_create_ticket(
            resident, category="lift", description="Panne", in_common_areas=True
        )
        tickets.do_set_priority(concierge, late.id, "urgent")
        done = tickets.do_create_ticket(resident, category="keys", description="Badge")
        tickets.do_change_status(concierge, done.id, "closed")
    with time_machine.travel(monday + timedelta(hours=2), tick=False):
        tickets.do_change_status(concierge, urgent.id, "acknowledged")
    now = monday + timedelta(hours=6)  # the lift's 4 working hours are over
    queue = desk_queue.list_queue(concierge, building, now)
    kinds = [(i.kind, i.overdue) for i in queue]
    assert kinds == [("ticket", True), ("ticket", False), ("ticket", False), ("parcel", False)]
    assert queue[0].url == f"/tickets/{late.id}" and queue[1].url == f"/tickets/{urgent.id}"
    assert queue[2].url == f"/tickets/{old_normal.id}"
    assert "DHL" in queue[3].detail and parcel.collected_at is None
    assert desk_queue.count_open_items(concierge) == 4
    assert desk_queue.count_open_items(resident) == 0


@pytest.mark.parametrize("language", ["fr", "en", "ar"])
def test_queue_dates_read_as_flask_babel_writes_them(app, concierge, resident, building, language):
    """The queue formats its dates once per queue; they must read as format_datetime's."""
    morning = datetime(2026, 3, 9, 9, 5, tzinfo=PARIS)
    with time_machine.travel(morning, tick=False):
        tickets.do_create_ticket(resident, category="heating", description="Froid")
        parcels.do_log_parcel(concierge, resident.dwelling_id, carrier="UPS")
        visits.do_add_visit(
            resident,
            resident.dwelling_id,
            kind="visitor",
            visitor="Paul",
            starts_at=morning + timedelta(hours=5),
            ends_at=morning + timedelta(hours=6),
        )
    with app.test_request_context(headers={"Accept-Language": language}):
        queue = desk_queue.list_queue(concierge, building, morning + timedelta(hours=1))
        expected = [
            gettext("From %(when)s", when=format_time(i.since, "short"))
            if i.kind == "visit"
            else gettext("Since %(when)s", when=format_datetime(i.since, "short"))
            for i in queue
        ]
    assert sorted(i.kind for i in queue) == ["parcel", "ticket", "visit"]
    assert [i.when for i in queue] == expected


def test_queue_of_another_building_is_refused(concierge):
    other = make_building()
    with pytest.raises(DomainError):
        desk_queue.list_queue(concierge, other, datetime.now(PARIS))


def test_a_registered_source_joins_the_queue_in_rank_order(concierge, building, monkeypatch):
    def source(context: QueueContext) -> list[QueueItem]:
        assert context.building.id == building.id and context.staff.id == concierge.id
        return [
            QueueItem(
                kind="test",
                icon="shopping-cart",
                title="Courses",
                detail="",
                url="/x/7",
                rank=desk_queue.RANK_URGENT,
                since=datetime(2026, 3, 9, 9, 0, tzinfo=PARIS),
            )
        ]

    monkeypatch.setattr(queue_registry, "_sources", Registry())  # this source alone
    queue_registry.register_queue_source("test", source)
    queue = desk_queue.list_queue(concierge, building, datetime(2026, 3, 9, 10, 0, tzinfo=PARIS))
    assert [(i.kind, i.title, i.rank) for i in queue] == [
        ("test", "Courses", desk_queue.RANK_URGENT)
    ]
    queue_registry._sources.pop("test")
    assert desk_queue.list_queue(concierge, building, datetime.now(PARIS)) == []


def test_dwellings_are_found_by_number_or_resident_name(concierge, resident, building):
    make_resident(building, first_name="Gaston", last_name="Fontaine")
    found = desk.list_dwellings(concierge, building.id, resident.dwelling.number)
    assert [d.id for d in found] == [resident.dwelling_id]
    assert len(desk.list_dwellings(concierge, building.id, "fontaine")) == 1
    assert len(desk.list_dwellings(concierge, building.id, "")) == 2


# Pages ----------------------------------------------------------------------------------


def test_resident_reports_a_problem_through_the_form(client, login, resident):
    login(resident)
    data = {
        "csrf_token": token(client, "/tickets/new"),
        "category": "water",
        "place": "home",
        "description": "L'eau coule sous l'évier",
        "photos": [(io.BytesIO(jpeg()), "fuite.jpg"), (io.BytesIO(jpeg()), "evier.jpg")],
    }
    response = client.post("/tickets/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    ticket = db.session.query(Ticket).one()
    assert len(ticket.photos) == 2 and ticket.dwelling_id == resident.dwelling_id
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "L&#39;eau coule sous l&#39;évier" in page and "Received" in page
    with client.get(f"/tickets/photos/{ticket.photos[0].id}?size=thumb") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "Water, leak" in client.get("/tickets").get_data(as_text=True)


def test_bad_ticket_input_is_shown_and_changes_nothing(client, login, resident):
    login(resident)
    csrf = token(client, "/tickets/new")
    response = client.post(
        "/tickets/new",
        data={"csrf_token": csrf, "category": "water", "place": "home", "description": " "},
    )
    assert response.status_code == 422
    assert "Please describe the problem in a few words." in response.get_data(as_text=True)
    response = client.post(
        "/tickets/new",
        data={
            "csrf_token": csrf,
            "category": "water",
            "place": "home",
            "description": "Fuite",
            "photos": [(io.BytesIO(b"not a photo"), "virus.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This file is not a photo we can show." in response.get_data(as_text=True)
    response = client.post(
        "/tickets/new", data={"csrf_token": csrf, "category": "lava", "description": "x"}
    )
    assert response.status_code == 422
    assert (
        client.post("/tickets/new", data={"category": "water", "description": "x"}).status_code
        == 400
    )
    assert db.session.query(Ticket).count() == 0


def test_staff_triage_through_the_ticket_page(client, login, concierge, resident):
    ticket = tickets.do_create_ticket(resident, category="water", description="Fuite")
    db.session.commit()  # the requests read it through their own connections
    login(concierge)
    path = f"/tickets/{ticket.id}"
    csrf = token(client, path)
    assert (
        client.post(f"{path}/priority", data={"csrf_token": csrf, "priority": "high"}).status_code
        == 302
    )
    assert (
        client.post(
            f"{path}/assignee", data={"csrf_token": csrf, "assignee": str(concierge.id)}
        ).status_code
        == 302
    )
    response = client.post(
        f"{path}/status",
        data={"csrf_token": csrf, "status": "acknowledged", "message": "On arrive"},
    )
    assert response.status_code == 302
    client.post(
        f"{path}/reply", data={"csrf_token": csrf, "body": "Code porte 1234", "internal": "y"}
    )
    db.session.refresh(ticket)
    assert ticket.status == TicketStatus.ACKNOWLEDGED and ticket.priority.value == "high"
    assert ticket.assignee_id == concierge.id
    staff_page = client.get(path).get_data(as_text=True)
    assert "Code porte 1234" in staff_page
    # Bad input: re-rendered with a message, nothing changed.
    bad = client.post(f"{path}/status", data={"csrf_token": csrf, "status": "acknowledged"})
    assert bad.status_code == 422 and "cannot go from" in bad.get_data(as_text=True)
    bad = client.post(f"{path}/priority", data={"csrf_token": csrf, "priority": "apocalyptic"})
    assert bad.status_code == 422
    bad = client.post(f"{path}/assignee", data={"csrf_token": csrf, "assignee": str(resident.id)})
    assert bad.status_code == 422
    db.session.refresh(ticket)
    assert ticket.priority.value == "high" and ticket.assignee_id == concierge.id
    login(resident)
    resident_page = client.get(path).get_data(as_text=True)
    assert "Code porte 1234" not in resident_page and "On arrive" in resident_page
    timeline = client.get(f"{path}/timeline").get_data(as_text=True)
    assert "Seen by the desk" in timeline and "Code porte 1234" not in timeline


def test_resident_rates_through_the_page(client, login, concierge, resident):
    ticket = tickets.do_create_ticket(resident, category="water", description="Fuite")
    tickets.do_change_status(concierge, ticket.id, "resolved", "Réparé")
    db.session.commit()  # the requests read it through their own connections
    login(resident)
    path = f"/tickets/{ticket.id}"
    csrf = token(client, path)
    assert client.post(f"{path}/rate", data={"csrf_token": csrf}).status_code == 422
    assert client.post(f"{path}/rate", data={"csrf_token": csrf, "rating": "9"}).status_code == 422
    response = client.post(
        f"{path}/rate", data={"csrf_token": csrf, "rating": "5", "comment": "Merci !"}
    )
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.rating == 5
    assert client.post(f"{path}/rate", data={"csrf_token": csrf, "rating": "1"}).status_code == 422
    db.session.refresh(ticket)
    assert ticket.rating == 5


def test_parcel_log_and_hand_over_through_the_dwelling_page(client, login, concierge, resident):
    login(concierge)
    path = f"/desk/dwellings/{resident.dwelling_id}"
    csrf = token(client, path)
    bad = client.post(f"{path}/parcels", data={"csrf_token": csrf, "size": "gigantic"})
    assert bad.status_code == 422 and db.session.query(Parcel).count() == 0
    ok = client.post(
        f"{path}/parcels", data={"csrf_token": csrf, "size": "large", "carrier": "Chronopost"}
    )
    assert ok.status_code == 302
    parcel = db.session.query(Parcel).one()
    hand = f"/desk/parcels/{parcel.id}/hand-over"
    bad = client.post(hand, data={"csrf_token": csrf, "collected_by": "", "collected_by_name": ""})
    assert bad.status_code == 422 and "Please say who collected the parcel." in bad.get_data(
        as_text=True
    )
    ok = client.post(hand, data={"csrf_token": csrf, "collected_by": str(resident.id)})
    assert ok.status_code == 302
    db.session.refresh(parcel)
    assert parcel.collected_by_id == resident.id and parcel.handed_over_by_id == concierge.id


def test_logbook_entry_with_a_pdf_through_the_form(client, login, concierge, resident):
    login(concierge)
    path = f"/desk/dwellings/{resident.dwelling_id}/logbook/new"
    csrf = token(client, path)
    bad = client.post(
        path, data={"csrf_token": csrf, "kind": "boiler", "title": "", "happened_on": "2026-01-15"}
    )
    assert bad.status_code == 422
    bad = client.post(
        path,
        data={
            "csrf_token": csrf,
            "kind": "boiler",
            "title": "Chaudière",
            "happened_on": "2026-01-15",
            "documents": [(io.BytesIO(b"MZ\x90"), "x.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "Only photos and PDF documents can be added." in bad.get_data(as_text=True)
    pdf = b"%PDF-1.7\n%%EOF\n"
    ok = client.post(
        path,
        data={
            "csrf_token": csrf,
            "kind": "boiler",
            "title": "Chaudière",
            "happened_on": "2026-01-15",
            "documents": [(io.BytesIO(pdf), "attestation.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    entry = db.session.query(LogbookEntry).one()
    login(resident)
    page = client.get(f"/dwellings/{resident.dwelling_id}/logbook").get_data(as_text=True)
    assert "Chaudière" in page and "attestation.pdf" in page
    with client.get(f"/logbook/documents/{entry.documents[0].id}") as document:
        assert document.status_code == 200 and document.data == pdf
        assert document.mimetype == "application/pdf"
    printable = client.get(f"/dwellings/{resident.dwelling_id}/logbook/print")
    assert printable.status_code == 200 and "data-print" in printable.get_data(as_text=True)


def test_resident_tells_the_desk_about_a_visit_and_cancels_it(client, login, resident):
    login(resident)
    csrf = token(client, "/my-home/visits/new")
    day = (date.today() + timedelta(days=2)).isoformat()
    bad = client.post(
        "/my-home/visits/new",
        data={
            "csrf_token": csrf,
            "kind": "visitor",
            "visitor": "Paul",
            "day": day,
            "start": "15:00",
            "end": "14:00",
        },
    )
    assert bad.status_code == 422 and "The end must come after the start." in bad.get_data(
        as_text=True
    )
    ok = client.post(
        "/my-home/visits/new",
        data={
            "csrf_token": csrf,
            "kind": "entry_permission",
            "visitor": "Plombier",
            "day": day,
            "start": "09:00",
            "end": "12:00",
        },
    )
    assert ok.status_code == 302
    visit = db.session.query(Visit).one()
    assert "Plombier" in client.get("/my-home").get_data(as_text=True)
    asked = client.get(f"/visits/{visit.id}/cancel")  # the confirmation step: nothing changes
    assert asked.status_code == 200 and "Plombier" in asked.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.cancelled_at is None
    client.post(f"/visits/{visit.id}/cancel", data={"csrf_token": csrf})
    db.session.refresh(visit)
    assert visit.cancelled_at is not None


def test_desk_page_partial_and_badges(client, login, concierge, resident, building):
    tickets.do_create_ticket(resident, category="heating", description="Froid")
    parcels.do_log_parcel(concierge, resident.dwelling_id, carrier="UPS")
    db.session.commit()  # the requests read it through their own connections
    login(concierge)
    page = client.get("/desk").get_data(as_text=True)
    assert "Heating" in page and "UPS" in page and 'id="desk-queue"' in page
    queue = client.get(f"/desk/queue?building={building.id}").get_data(as_text=True)
    assert "<html" not in queue and "Heating" in queue
    assert client.get("/api/concierge/desk-count").get_json()["count"] == 2
    found = client.get(f"/desk/dwellings?q={resident.dwelling.number}").get_data(as_text=True)
    assert f"/desk/dwellings/{resident.dwelling_id}" in found
    home = client.get("/").get_data(as_text=True)
    assert "/desk" in home
    login(resident)
    assert client.get("/api/concierge/my-parcels").get_json()["count"] == 1
    home = client.get("/").get_data(as_text=True)
    assert "/my-home" in home and 'href="/desk"' not in home  # the Concierge tile
    assert "/tickets/new" in client.get("/my-home").get_data(as_text=True)
    assert "UPS" in client.get("/my-home/parcels").get_data(as_text=True)


def test_staff_reports_for_a_resident_through_the_form(client, login, concierge, resident):
    login(concierge)
    csrf = token(client, f"/tickets/new?resident={resident.id}")
    response = client.post(
        "/tickets/new",
        data={
            "csrf_token": csrf,
            "resident": str(resident.id),
            "category": "keys",
            "place": "home",
            "description": "Badge perdu",
        },
    )
    assert response.status_code == 302
    ticket = db.session.query(Ticket).one()
    assert ticket.reporter_id == resident.id and ticket.posted_by_id == concierge.id
    assert visits.list_for_dwelling(concierge, resident.dwelling_id, datetime.now(PARIS)) == []


def test_urgent_help_request_is_on_the_desk_with_its_link(client, login, concierge, resident):
    start = datetime.now(PARIS) + timedelta(hours=1)
    request = helping.do_create_request(
        resident,
        kind="groceries",
        urgency="urgent",
        window_start=start,
        window_end=start + timedelta(hours=3),
        details="Pain, lait",
    )
    queue = desk_queue.list_queue(concierge, concierge.building, datetime.now(PARIS))
    help_items = [i for i in queue if i.kind == "help"]
    assert len(help_items) == 1 and help_items[0].rank == desk_queue.RANK_URGENT
    assert help_items[0].url.endswith(f"/{request.id}")
    assert help_items[0].title == request.kind.label
    db.session.commit()  # the request reads it through its own connection
    login(concierge)
    assert help_items[0].url in client.get("/desk").get_data(as_text=True)
