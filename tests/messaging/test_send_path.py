"""The persisted send's cost: its statements, and no echo to the socket that sent it."""

from __future__ import annotations

import pytest

from messaging import service
from messaging.models import Conversation, Membership
from portal.errors import DomainError
from portal.extensions import db as _db
from tests.conftest import on_postgresql
from tests.messaging.conftest import cid
from tests.queries import statements

# Who is logged in; (SQLite: BEGIN IMMEDIATE); in one read, the conversation (locked), the
# membership, for a one-to-one the blocks, and the message a retry of this client id stored;
# then the writes: on SQLite the message, the last message and the read pointer; on
# PostgreSQL one statement doing all three (the send-order lock is taken on a connection of
# its own).
MOST_STATEMENTS = 3 if on_postgresql() else 6


def _send(sock, conversation_id: int, body: str = "Coucou") -> dict:
    payload = {"conversation_id": conversation_id, "client_id": cid(), "body": body}
    return sock.emit("send_message", payload, callback=True)


def test_a_send_reaches_the_senders_other_sockets_but_not_the_one_that_sent_it(
    world, socket_client
):
    conversation = service.get_or_create_direct(world.alice, world.bob.id)
    sending, other_tab, bob = (socket_client(p) for p in (world.alice, world.alice, world.bob))
    for sock in (sending, other_tab, bob):
        sock.get_received()
    ack = _send(sending, conversation.id)
    assert ack["ok"] is True and ack["message"]["body"] == "Coucou"

    def created(sock) -> list[str]:
        return [
            m["args"][0]["body"] for m in sock.get_received() if m["name"] == service.EVENT_CREATED
        ]

    assert created(sending) == []  # it has its acknowledgement
    assert created(other_tab) == ["Coucou"]
    assert created(bob) == ["Coucou"]


def test_a_send_costs_a_bounded_number_of_statements(world, socket_client):
    conversation_id = service.get_or_create_direct(world.alice, world.bob.id).id
    alice = socket_client(world.alice)
    _send(alice, conversation_id, "first")  # warm
    with statements() as seen:
        assert _send(alice, conversation_id)["ok"] is True
    writes = [s for s in seen if s.split()[0] in {"WITH", "INSERT", "UPDATE", "DELETE"}]
    if on_postgresql():
        # Lock, one write statement, commit: the message, the last message, the read pointer.
        assert len(writes) == 1, seen
        assert all(
            part in writes[0]
            for part in (
                "INSERT INTO messages",
                "UPDATE conversations",
                "UPDATE conversation_members",
            )
        ), writes
    else:
        assert len(writes) == 3, seen  # the message, the last message, the read pointer
    assert len(seen) <= MOST_STATEMENTS, seen
    # Who is logged in is read once: the sender is not read again after the send's first commit.
    assert sum("FROM people" in s for s in seen) == 1, seen


def test_a_send_moves_the_last_message_and_the_senders_read_pointer(world, socket_client):
    conversation = service.get_or_create_direct(world.alice, world.bob.id)
    alice = socket_client(world.alice)
    ack = _send(alice, conversation.id, "Bonjour Bob")
    message_id = ack["message"]["id"]
    _db.session.expire_all()
    stored = _db.session.get(Conversation, conversation.id)
    assert stored.last_message_id == message_id
    assert stored.last_message_at.isoformat() == ack["message"]["created_at"]
    reader = _db.session.get(Membership, (conversation.id, world.alice.id))
    assert reader.last_read_message_id == message_id
    assert service.unread_counts(world.bob, [conversation.id]) == {conversation.id: 1}
    assert service.unread_counts(world.alice, [conversation.id]) == {}


def test_a_staff_announcement_gives_its_writer_a_read_pointer(world, socket_client):
    channel = service.get_or_create_announcements(world.building.id)
    ack = _send(socket_client(world.coordinator), channel.id, "Réunion jeudi")
    _db.session.expire_all()
    reader = _db.session.get(Membership, (channel.id, world.coordinator.id))
    assert reader is not None and reader.last_read_message_id == ack["message"]["id"]
    assert _db.session.get(Conversation, channel.id).last_message_id == ack["message"]["id"]


def test_only_a_block_between_the_two_people_of_a_one_to_one_stops_a_send(world):
    direct = service.get_or_create_direct(world.alice, world.bob.id)
    group = service.do_create_group(world.alice, "Jardin", [world.bob.id, world.carol.id])
    service.do_block(world.alice, world.carol.id)
    # Alice blocked Carol: her one-to-one with Bob and the group they share still take posts.
    assert service.do_send_message(world.alice, direct.id, client_id=cid(), body="Bob").created
    assert service.do_send_message(world.carol, group.id, client_id=cid(), body="Tous").created
    blocked_direct = service.get_or_create_direct(world.carol, world.alice.id)
    with pytest.raises(DomainError) as refused:
        service.do_send_message(world.carol, blocked_direct.id, client_id=cid(), body="Alice ?")
    assert refused.value.code == "blocked"


def test_a_desk_send_with_a_read_pointer_costs_as_much_as_a_one_to_one(world, socket_client):
    desk_id = service.get_or_create_desk(world.alice).id
    alice = socket_client(world.alice)
    _send(alice, desk_id, "first")  # warm; her read pointer exists from now on
    with statements() as seen:
        ack = _send(alice, desk_id, "Mon évier fuit")
    assert ack["ok"] is True
    assert len(seen) <= MOST_STATEMENTS, seen
    _db.session.expire_all()
    reader = _db.session.get(Membership, (desk_id, world.alice.id))
    assert reader.last_read_message_id == ack["message"]["id"]


def test_a_retry_is_answered_with_the_stored_message_even_after_leaving(world, socket_client):
    group = service.do_create_group(world.alice, "Jardin", [world.bob.id, world.carol.id])
    bob = socket_client(world.bob)
    payload = {"conversation_id": group.id, "client_id": cid(), "body": "Je viens"}
    first = bob.emit("send_message", payload, callback=True)
    service.do_leave(world.bob, _db.session.get(Conversation, group.id))
    _db.session.commit()
    with statements() as seen:
        again = bob.emit("send_message", payload, callback=True)
    assert again["ok"] is True and again["duplicate"] is True
    assert again["message"] == first["message"]
    assert not [s for s in seen if s.split()[0] in {"WITH", "INSERT", "UPDATE"}], seen
    # A new send from the group he left is refused.
    refused = _send(bob, group.id)
    assert refused["ok"] is False and refused["error"] == "not_found"
