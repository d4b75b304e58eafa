"""Socket.IO for the relative role: every event of the application is refused but the few
of their conversations; their socket hears nothing of the building; their messages reach
the resident live, through the same no-loss messaging."""

from __future__ import annotations

from typing import Any

from flask import Flask

from messaging import service as messaging
from messaging.family import service
from messaging.family.access import RELATIVE_EVENTS
from portal import realtime
from portal.auth import confined
from portal.extensions import db, socketio
from portal.people.models import Role
from tests.family.conftest import Cast, join


def _events(app: Flask) -> list[str]:
    return sorted(n for n in socketio.server.handlers["/"] if n not in {"connect", "disconnect"})


def test_every_event_is_refused_to_a_relative_but_their_own(
    app: Flask, cast: Cast, socket_client: Any
) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    sock = socket_client(relative)
    assert sock.is_connected()
    names = _events(app)
    assert {"send_message", "catch_up", "heartbeat"} <= set(names)
    for name in names:
        for payload in ({}, {"conversation_id": 1, "message_id": 1, "request_id": 1}):
            ack = sock.emit(name, payload, callback=True)
            assert isinstance(ack, dict), name
            if confined.event_allowed(Role.RELATIVE, name):
                assert ack.get("error") != "server_error", (name, ack)
            else:
                assert ack["ok"] is False and ack["error"] == "not_found", (name, ack)
                assert ack["message"]


def test_the_same_events_stay_open_to_residents(cast: Cast, socket_client: Any) -> None:
    ack = socket_client(cast.paul).emit("whoami", {}, callback=True)
    assert ack["ok"] is True


def test_relative_writes_and_the_resident_hears_it_live(cast: Cast, socket_client: Any) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    [link] = service.list_residents_of(relative)
    resident_sock, relative_sock, neighbour_sock = (
        socket_client(p) for p in (cast.jeanne, relative, cast.paul)
    )
    for sock in (resident_sock, relative_sock, neighbour_sock):
        sock.get_received()
    ack = relative_sock.emit(
        "send_message",
        {"conversation_id": link.conversation_id, "client_id": "c-julie-0001", "body": "Bisous"},
        callback=True,
    )
    assert ack["ok"] is True
    heard = [m for m in resident_sock.get_received() if m["name"] == messaging.EVENT_CREATED]
    assert [m["args"][0]["body"] for m in heard] == ["Bisous"]
    assert neighbour_sock.get_received() == []
    # A retry is answered with the stored message (no loss, no double).
    again = relative_sock.emit(
        "send_message",
        {"conversation_id": link.conversation_id, "client_id": "c-julie-0001", "body": "Bisous"},
        callback=True,
    )
    assert again["duplicate"] is True


def test_relative_cannot_write_or_catch_up_elsewhere(cast: Cast, socket_client: Any) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    neighbours = messaging.get_or_create_direct(cast.jeanne, cast.paul.id)
    messaging.do_send_message(cast.paul, neighbours.id, client_id="c-paul-0001", body="secret")
    db.session.commit()
    sock = socket_client(relative)
    ack = sock.emit(
        "send_message",
        {"conversation_id": neighbours.id, "client_id": "c-julie-0002", "body": "x"},
        callback=True,
    )
    assert ack["ok"] is False and ack["error"] == "not_found"
    caught = sock.emit("catch_up", {"conversations": {str(neighbours.id): 0}}, callback=True)
    assert "secret" not in repr(caught)


def test_relative_socket_hears_nothing_of_the_building(cast: Cast, socket_client: Any) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    relative_sock, resident_sock = socket_client(relative), socket_client(cast.jeanne)
    relative_sock.get_received()
    resident_sock.get_received()
    realtime.emit_now("announcements.published", {"x": 1}, realtime.building_room(cast.building.id))
    assert relative_sock.get_received() == []
    assert [m["name"] for m in resident_sock.get_received()] == ["announcements.published"]


def test_removed_relative_is_refused_at_once(cast: Cast, socket_client: Any) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    [link] = service.list_circle(cast.jeanne.id)
    sock = socket_client(relative)
    service.do_remove(cast.jeanne, link.id)
    db.session.commit()
    ack = (
        sock.emit(
            "send_message",
            {"conversation_id": link.conversation_id, "client_id": "c-julie-0003", "body": "x"},
            callback=True,
        )
        if sock.is_connected()
        else {"ok": False}
    )
    assert ack["ok"] is False


def test_relative_events_are_those_of_a_conversation() -> None:
    assert set(RELATIVE_EVENTS) == {
        "send_message",
        "mark_read",
        "typing",
        "catch_up",
        "toggle_reaction",
    }
    assert confined.allowed_events(Role.RELATIVE) >= set(RELATIVE_EVENTS)
