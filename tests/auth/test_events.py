from __future__ import annotations

from portal import realtime
from portal.auth import service
from portal.extensions import socketio
from tests.factories import make_building, make_resident, make_staff
from tests.queries import statements


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


def test_events_after_the_session_ended_in_another_process_are_refused(app, db, socket_client):
    resident = make_resident()
    sock = socket_client(resident)
    assert sock.emit("whoami", {}, callback=True)["ok"] is True  # the person is kept now
    # Another process ended the sessions: the version changed, and the end reached this
    # process through the queue; this process does not close the socket itself.
    resident.session_version += 1
    db.session.commit()
    socketio.emit(realtime.SESSION_ENDED_EVENT, {}, to=realtime.user_room(resident.id))
    ack = sock.emit("whoami", {}, callback=True)
    assert ack["ok"] is False
    assert ack["error"] == "unauthenticated"


def test_a_sockets_events_reuse_the_person_for_a_few_seconds(app, db, socket_client, monkeypatch):
    resident = make_resident()
    resident_id = resident.id
    sock = socket_client(resident)
    sock.emit("whoami", {}, callback=True)
    db.session.commit()
    db.session.expunge_all()  # the test's session shares the events' (a server's does not)
    with statements() as kept:
        assert sock.emit("whoami", {}, callback=True)["person_id"] == resident_id
    assert not [s for s in kept if "FROM people" in s], kept
    monkeypatch.setattr(service, "KEEP_SECONDS", 0.0)  # what is kept is out of date at once
    service.forget_kept_person(resident_id)
    sock.emit("whoami", {}, callback=True)
    db.session.expunge_all()
    with statements() as read:
        assert sock.emit("whoami", {}, callback=True)["person_id"] == resident_id
    assert [s for s in read if "FROM people" in s], read


def test_a_connection_reads_the_person_anew(app, db, socket_client):
    resident = make_resident()
    socket_client(resident).emit("whoami", {}, callback=True)  # kept
    resident.active = False  # closed behind the kept copy's back, without ending sessions
    db.session.commit()
    assert not socket_client(resident).is_connected()


def test_an_ending_from_the_queue_drops_the_kept_person(app):
    manager = realtime.CatchUpRedisManager("redis://127.0.0.1:1/0", channel="unused")
    service._kept["42:3"] = (float("inf"), make_resident())
    service._kept["420:1"] = (float("inf"), make_resident())
    message = {"event": realtime.SESSION_ENDED_EVENT, "data": [{}], "namespace": "/"}
    manager._handle_emit({**message, "room": realtime.user_room(42)})
    assert "42:3" not in service._kept and "420:1" in service._kept
    service._kept.pop("420:1")
