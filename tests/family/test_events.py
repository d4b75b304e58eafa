"""Socket.IO for the relative role: every event of the application is refused but the few
of their conversations; their socket hears nothing of the building; their messages reach
the resident live, through the same no-loss messaging."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from messaging import service as messaging
from messaging.family import service
from messaging.family.access import RELATIVE_EVENTS
from portal import realtime
from portal.auth import confined
from portal.extensions import db, socketio
from portal.people.models import Person, Role
from tests import media
from tests.family.conftest import Cast, join, token
from tests.family.others import build_others, snapshot

# Every client-to-server event a relative may send, written out here rather than read from
# the code under test: a conversation of their circle, a call, the page's presence check.
RELATIVE_SOCKET_EVENTS = {
    "send_message",
    "mark_read",
    "typing",
    "catch_up",
    "toggle_reaction",
    "call_start",
    "call_answer",
    "call_decline",
    "call_hangup",
    "call_signal",
    "call_catch_up",
    "heartbeat",
    "whoami",
}


def _events(app: Flask) -> list[str]:
    return sorted(n for n in socketio.server.handlers["/"] if n not in {"connect", "disconnect"})


def _received(sock: Any) -> list[str]:
    return [m["name"] for m in sock.get_received()]


def test_every_event_is_refused_to_a_relative_but_their_own(
    app: Flask, cast: Cast, socket_client: Any
) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    sock = socket_client(relative)
    assert sock.is_connected()
    names = _events(app)
    assert set(names) >= RELATIVE_SOCKET_EVENTS  # the list names real events
    assert len(set(names) - RELATIVE_SOCKET_EVENTS) >= 3  # and the others are walked too
    for name in names:
        for payload in ({}, {"conversation_id": 1, "message_id": 1, "request_id": 1}):
            ack = sock.emit(name, payload, callback=True)
            assert isinstance(ack, dict), name
            if name in RELATIVE_SOCKET_EVENTS:
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


def test_the_app_allows_a_relative_exactly_the_written_events(app: Flask) -> None:
    """Every domain's `allow_event` for the role adds up to the list above, and each of the
    application's events is allowed or not as the list says."""
    assert confined.allowed_events(Role.RELATIVE) == RELATIVE_SOCKET_EVENTS
    for name in _events(app):
        assert confined.event_allowed(Role.RELATIVE, name) is (name in RELATIVE_SOCKET_EVENTS)


def test_allowed_events_refuse_someone_elses_conversations_and_messages(
    cast: Cast, julie: Person, socket_client: Any
) -> None:
    """Reacting, marking read and typing are open to a relative, for their own conversations
    only: on the resident's other conversations, the building's announcements or another
    family's group they answer not_found, change nothing and tell nobody."""
    others = build_others(cast)
    sock = socket_client(julie)
    listeners = [socket_client(p) for p in (cast.jeanne, cast.paul, cast.coordinator)]
    for listener in listeners:
        listener.get_received()
    before = snapshot()
    for message_id in others.message_ids:
        ack = sock.emit("toggle_reaction", {"message_id": message_id, "emoji": "👍"}, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found", (message_id, ack)
    last = max(others.message_ids)
    for conversation_id in others.conversation_ids:
        read = {"conversation_id": conversation_id, "message_id": last}
        ack = sock.emit("mark_read", read, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found", (conversation_id, ack)
        ack = sock.emit("typing", {"conversation_id": conversation_id}, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found", (conversation_id, ack)
    assert snapshot() == before
    assert [_received(listener) for listener in listeners] == [[], [], []]
    # The same events work in her own conversation: the refusals above are the objects'.
    [link] = service.list_residents_of(julie)
    mine = messaging.do_send_message(
        cast.jeanne, link.conversation_id, client_id="c-jeanne-001", body="Bisous"
    ).message
    db.session.commit()
    listeners[0].get_received()
    read = {"conversation_id": link.conversation_id, "message_id": mine.id}
    assert sock.emit("mark_read", read, callback=True)["last_read_message_id"] == mine.id
    assert sock.emit("typing", {"conversation_id": link.conversation_id}, callback=True)["ok"]
    assert messaging.EVENT_TYPING in _received(listeners[0])
    reaction = sock.emit("toggle_reaction", {"message_id": mine.id, "emoji": "👍"}, callback=True)
    assert reaction["error"] == "not_allowed"  # reactions are for announcements


def test_relative_sends_a_photo_and_a_voice_message_the_resident_receives(
    client: FlaskClient, login, cast: Cast, julie: Person, socket_client: Any
) -> None:
    """Through the real upload route and send event, as the conversation page does; the
    resident hears both live and opens both files."""
    [link] = service.list_residents_of(julie)
    resident_sock, relative_sock = socket_client(cast.jeanne), socket_client(julie)
    resident_sock.get_received()
    login(julie)
    csrf = token(client)
    files = {
        "photo": {"file": (io.BytesIO(media.photo()), "IMG_0042.jpg")},
        "voice": {
            "file": (io.BytesIO(media.recording("chrome", 2.5)), "voice"),
            "duration_ms": "2500",
        },
    }
    attachments = {}
    for kind, fields in files.items():
        uploaded = client.post(
            "/api/messaging/uploads",
            data={"kind": kind, **fields},
            headers={"X-CSRFToken": csrf},
            content_type="multipart/form-data",
        )
        assert uploaded.status_code == 201, uploaded.get_json()
        attachments[kind] = uploaded.get_json()["attachment"]
        ack = relative_sock.emit(
            "send_message",
            {
                "conversation_id": link.conversation_id,
                "client_id": f"c-julie-{kind}",
                "kind": kind,
                "attachment_id": attachments[kind]["id"],
            },
            callback=True,
        )
        assert ack["ok"] is True, ack
    heard = [
        m["args"][0] for m in resident_sock.get_received() if m["name"] == messaging.EVENT_CREATED
    ]
    assert [(m["kind"], m["attachment"]["id"], m["sender"]["id"]) for m in heard] == [
        ("photo", attachments["photo"]["id"], julie.id),
        ("voice", attachments["voice"]["id"], julie.id),
    ]
    assert 2400 <= heard[1]["attachment"]["duration_ms"] <= 2600
    login(cast.jeanne)
    page = client.get(f"/api/messaging/conversations/{link.conversation_id}/messages").get_json()
    assert [m["kind"] for m in page["messages"]] == ["photo", "voice"]
    for kind, mimetype in (("photo", "image/jpeg"), ("voice", "audio/webm")):
        with client.get(attachments[kind]["url"]) as opened:
            assert opened.status_code == 200 and opened.mimetype == mimetype, kind
            assert len(opened.get_data()) > 100, kind
    # Nobody else of the building opens them.
    login(cast.paul)
    for attachment in attachments.values():
        assert client.get(attachment["url"]).status_code == 404
