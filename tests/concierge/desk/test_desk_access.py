"""Who may see and change what at the desk: every page and write, for every kind of person.

Building A has two dwellings (Alice's and Bob's) and a concierge; building B has Carol and
its own concierge. Only Alice (her own things) and A's concierge are entitled.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from PIL import Image

from concierge.desk import logbook, parcels, tickets, visits
from concierge.desk.models import Parcel, Ticket, TicketStatus, Visit
from portal.db import utcnow
from portal.extensions import db
from portal.people.models import Person, Role
from tests.factories import make_building, make_resident, make_staff

PDF = b"%PDF-1.4\n%%EOF\n"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#aa5533").save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class World:
    alice: Person
    bob: Person
    carol: Person
    concierge_a: Person
    concierge_b: Person
    ticket_id: int
    photo_id: int
    parcel_id: int
    visit_id: int
    document_id: int
    dwelling_id: int
    building_id: int


@pytest.fixture
def world(app) -> World:
    building_a, building_b = make_building(), make_building()
    alice = make_resident(building_a, first_name="Alice")
    bob = make_resident(building_a, first_name="Bob")
    carol = make_resident(building_b, first_name="Carol")
    concierge_a = make_staff(Role.CONCIERGE, [building_a])
    concierge_b = make_staff(Role.CONCIERGE, [building_b])
    ticket = tickets.do_create_ticket(alice, category="water", description="Fuite", photos=[jpeg()])
    parcel = parcels.do_log_parcel(concierge_a, alice.dwelling_id, carrier="La Poste")
    start = utcnow() + timedelta(days=1)
    visit = visits.do_add_visit(
        alice,
        alice.dwelling_id,
        kind="visitor",
        visitor="Paul",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    entry = logbook.do_add_entry(
        concierge_a,
        alice.dwelling_id,
        kind="boiler",
        title="Chaudière",
        happened_on=date(2026, 1, 5),
        documents=[("a.pdf", PDF)],
    )
    db.session.commit()  # the requests read it through their own connections
    return World(
        alice,
        bob,
        carol,
        concierge_a,
        concierge_b,
        ticket.id,
        ticket.photos[0].id,
        parcel.id,
        visit.id,
        entry.documents[0].id,
        alice.dwelling_id,
        building_a.id,
    )


def pages(w: World) -> list[str]:
    return [
        f"/tickets/{w.ticket_id}",
        f"/tickets/{w.ticket_id}/timeline",
        f"/tickets/photos/{w.photo_id}",
        f"/dwellings/{w.dwelling_id}/logbook",
        f"/dwellings/{w.dwelling_id}/logbook/print",
        f"/logbook/documents/{w.document_id}",
    ]


def staff_pages(w: World) -> list[str]:
    return [
        f"/desk/dwellings/{w.dwelling_id}",
        f"/desk/dwellings/{w.dwelling_id}/logbook/new",
        f"/desk?building={w.building_id}",
        f"/desk/queue?building={w.building_id}",
        f"/desk/dwellings?building={w.building_id}",
    ]


def writes(w: World) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/tickets/{w.ticket_id}/status", {"status": "resolved", "message": "x"}),
        (f"/tickets/{w.ticket_id}/priority", {"priority": "urgent"}),
        (f"/tickets/{w.ticket_id}/assignee", {"assignee": ""}),
        (f"/tickets/{w.ticket_id}/reply", {"body": "Intrusion"}),
        (f"/tickets/{w.ticket_id}/rate", {"rating": "1"}),
        (f"/desk/dwellings/{w.dwelling_id}/parcels", {"size": "small", "carrier": "X"}),
        (f"/desk/parcels/{w.parcel_id}/hand-over", {"collected_by_name": "Voleur"}),
        (f"/visits/{w.visit_id}/cancel", {}),
        (
            f"/desk/dwellings/{w.dwelling_id}/logbook/new",
            {"kind": "repair", "title": "Faux", "happened_on": "2026-01-01"},
        ),
    ]


def csrf(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def status_of(client, path: str) -> int:
    with client.get(path) as response:
        return response.status_code


def assert_nothing_changed(w: World) -> None:
    db.session.expire_all()
    ticket = db.session.get(Ticket, w.ticket_id)
    assert ticket is not None and ticket.status == TicketStatus.NEW and ticket.updates == []
    assert ticket.priority.value == "normal"
    parcel = db.session.get(Parcel, w.parcel_id)
    assert parcel is not None and parcel.collected_at is None
    assert db.session.query(Parcel).count() == 1
    visit = db.session.get(Visit, w.visit_id)
    assert visit is not None and visit.cancelled_at is None
    assert len(logbook.list_entries(w.concierge_a, w.dwelling_id)[1]) == 1


@pytest.mark.parametrize("who", ["bob", "carol", "concierge_b"])
def test_outsiders_get_404_everywhere_and_change_nothing(client, login, world, who):
    person = getattr(world, who)
    login(person)
    token = csrf(client)
    for path in pages(world) + staff_pages(world):
        assert status_of(client, path) == 404, path
    for path, data in writes(world):
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 404, path
    assert_nothing_changed(world)


def test_the_resident_sees_her_things_but_not_the_staff_pages(client, login, world):
    login(world.alice)
    token = csrf(client)
    for path in pages(world):
        assert status_of(client, path) == 200, path
    for path in staff_pages(world):
        assert status_of(client, path) == 404, path
    staff_writes = {"status", "priority", "assignee"}
    for path, data in writes(world):
        action = path.rsplit("/", 1)[1]
        if action in {"reply", "rate", "cancel"}:
            continue  # hers to do; tested elsewhere
        response = client.post(path, data={"csrf_token": token, **data})
        expected = 403 if action in staff_writes else 404
        assert response.status_code == expected, path
    assert_nothing_changed(world)


def test_the_buildings_concierge_sees_everything(client, login, world):
    login(world.concierge_a)
    for path in pages(world) + staff_pages(world):
        assert status_of(client, path) == 200, path
    assert status_of(client, "/tickets") == 302  # staff go to the desk
    assert status_of(client, "/my-home") == 404


def test_a_neighbour_sees_only_her_own_home(client, login, world):
    login(world.bob)
    assert status_of(client, "/my-home") == 200
    assert "La Poste" not in client.get("/my-home").get_data(as_text=True)
    assert client.get("/api/concierge/my-parcels").get_json()["count"] == 0
    assert client.get("/api/concierge/desk-count").get_json()["count"] == 0
    assert "Fuite" not in client.get("/tickets").get_data(as_text=True)


def test_live_events_reach_only_those_entitled(world, socket_client, client, login):
    sockets = {
        name: socket_client(getattr(world, name))
        for name in ("alice", "bob", "carol", "concierge_a", "concierge_b")
    }
    for sock in sockets.values():
        sock.get_received()
    tickets.do_change_status(world.concierge_a, world.ticket_id, "acknowledged")
    parcels.do_log_parcel(world.concierge_a, world.dwelling_id, carrier="DHL")
    db.session.commit()  # as the request would: the events leave after the commit
    received = {
        name: {e["name"] for e in sock.get_received() if e["name"].startswith("concierge.")}
        for name, sock in sockets.items()
    }
    assert received["alice"] == {tickets.EVENT_CHANGED, parcels.EVENT_LOGGED}
    assert received["concierge_a"] == {tickets.EVENT_CHANGED, parcels.EVENT_LOGGED}
    assert received["bob"] == received["carol"] == received["concierge_b"] == set()
