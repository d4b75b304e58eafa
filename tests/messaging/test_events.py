from __future__ import annotations

from messaging import service
from tests.messaging.conftest import cid


def test_send_message_acknowledges_and_reaches_both_members(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    alice, bob, carol = (socket_client(p) for p in (world.alice, world.bob, world.carol))
    for sock in (alice, bob, carol):
        sock.get_received()
    client_id = cid()
    ack = alice.emit(
        "send_message",
        {"conversation_id": conv.id, "client_id": client_id, "body": "Coucou"},
        callback=True,
    )
    assert ack["ok"] is True and ack["duplicate"] is False
    assert ack["message"]["client_id"] == client_id
    received = [m for m in bob.get_received() if m["name"] == service.EVENT_CREATED]
    assert [m["args"][0]["body"] for m in received] == ["Coucou"]
    assert carol.get_received() == []


def test_retry_answers_with_the_stored_message(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    alice = socket_client(world.alice)
    payload = {"conversation_id": conv.id, "client_id": cid(), "body": "Une seule fois"}
    first = alice.emit("send_message", payload, callback=True)
    second = alice.emit("send_message", payload, callback=True)
    assert second["ok"] and second["duplicate"] is True
    assert second["message"]["id"] == first["message"]["id"]


def test_send_into_a_conversation_one_is_not_in_is_refused(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    ack = socket_client(world.stranger).emit(
        "send_message", {"conversation_id": conv.id, "client_id": cid(), "body": "x"}, callback=True
    )
    assert ack == {"ok": False, "error": "not_found", "message": ack["message"]}
    assert ack["message"]


def test_malformed_payloads_get_a_clear_acknowledgement(world, socket_client):
    alice = socket_client(world.alice)
    for payload in (None, "text", {"conversation_id": "1"}, {"conversation_id": True}):
        ack = alice.emit("send_message", payload, callback=True)
        assert ack["ok"] is False and ack["error"] == "bad_request", payload


def test_too_long_message_is_refused_with_a_translated_message(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    ack = socket_client(world.alice).emit(
        "send_message",
        {"conversation_id": conv.id, "client_id": cid(), "body": "x" * 2001},
        callback=True,
    )
    assert ack["error"] == "too_long" and "2000" in ack["message"]


def test_catch_up_after_reconnect_returns_missed_messages_once(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    seen = service.do_send_message(world.alice, conv.id, client_id=cid(), body="avant").message
    bob = socket_client(world.bob)
    bob.disconnect()
    for text in ("un", "deux", "trois"):
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=text)
    bob.connect()
    ack = bob.emit("catch_up", {"conversations": {str(conv.id): seen.id}}, callback=True)
    assert [m["body"] for m in ack["messages"][str(conv.id)]] == ["un", "deux", "trois"]
    assert ack["unread_total"] == 4


def test_mark_read_updates_the_other_member(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    message = service.do_send_message(world.alice, conv.id, client_id=cid(), body="lu ?").message
    alice, bob = socket_client(world.alice), socket_client(world.bob)
    alice.get_received()
    ack = bob.emit(
        "mark_read", {"conversation_id": conv.id, "message_id": message.id}, callback=True
    )
    assert ack == {"ok": True, "last_read_message_id": message.id}
    events = [m for m in alice.get_received() if m["name"] == service.EVENT_READ]
    assert events[0]["args"][0]["person_id"] == world.bob.id


def test_typing_reaches_the_others_without_storing_anything(world, socket_client):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    alice, bob = socket_client(world.alice), socket_client(world.bob)
    bob.get_received()
    assert alice.emit("typing", {"conversation_id": conv.id}, callback=True) == {"ok": True}
    typing = [m for m in bob.get_received() if m["name"] == service.EVENT_TYPING]
    assert typing[0]["args"][0]["name"] == "Alice"


def test_desk_staff_hear_the_desk_room(world, socket_client):
    desk = service.get_or_create_desk(world.alice)
    concierge = socket_client(world.concierge)
    concierge.get_received()
    socket_client(world.alice).emit(
        "send_message",
        {"conversation_id": desk.id, "client_id": cid(), "body": "Fuite"},
        callback=True,
    )
    bodies = [
        m["args"][0]["body"] for m in concierge.get_received() if m["name"] == service.EVENT_CREATED
    ]
    assert bodies == ["Fuite"]


def test_socket_events_are_rate_limited(world, socket_client, app):
    app.config["SOCKETIO_EVENT_LIMIT"] = "3/10 seconds"
    alice = socket_client(world.alice)
    results = [alice.emit("heartbeat", {}, callback=True)["ok"] for _ in range(4)]
    assert results == [True, True, True, False]
