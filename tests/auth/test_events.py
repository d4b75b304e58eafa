from __future__ import annotations

from portal.auth import service
from portal.extensions import socketio
from tests.factories import make_building, make_resident, make_staff


def test_anonymous_socket_is_refused(app, client):
    sock = socketio.test_client(app, flask_test_client=client)
    assert not sock.is_connected()


def test_whoami_acknowledges_with_the_person_and_their_buildings(app, socket_client):
    building = make_building()
    resident = make_resident(building)
    sock = socket_client(resident)
    ack = sock.emit("whoami", {}, callback=True)
    assert ack == {"ok": True, "person_id": resident.id, "buildings": [building.id]}


def test_staff_socket_joins_every_covered_building(app, socket_client):
    first, second = make_building(), make_building()
    coordinator = make_staff(buildings=[first, second])
    ack = socket_client(coordinator).emit("whoami", {}, callback=True)
    assert ack["buildings"] == sorted([first.id, second.id])


def test_ending_sessions_tells_and_disconnects_every_socket(app, db, socket_client, events):
    resident = make_resident()
    tablet = socket_client(resident)
    phone = socket_client(resident)
    assert tablet.is_connected() and phone.is_connected()
    service.do_end_sessions(resident)
    assert tablet.is_connected() and not events  # nothing happens before the commit
    db.session.commit()
    assert [e.name for e in events] == ["portal.session_ended"]
    assert not tablet.is_connected()
    assert not phone.is_connected()


def test_events_after_session_end_are_refused(app, db, socket_client):
    resident = make_resident()
    sock = socket_client(resident)
    # Bump the version without disconnecting, as another process would.
    resident.session_version += 1
    db.session.commit()
    ack = sock.emit("whoami", {}, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "unauthenticated"
