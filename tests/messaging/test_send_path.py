"""The persisted send's cost: its statements, and no echo to the socket that sent it."""

from __future__ import annotations

from messaging import service
from tests.messaging.conftest import cid
from tests.queries import statements

# Who is logged in; the client id already stored?; (SQLite: BEGIN IMMEDIATE); the
# conversation, locked; the membership; blocks (one-to-one); insert; last message; read pointer.
MOST_STATEMENTS = 9


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
    writes = [s for s in seen if s.split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert len(writes) == 3, seen  # the message, the last message, the read pointer
    assert len(seen) <= MOST_STATEMENTS, seen
    # Who is logged in is read once: the sender is not read again after the send's first commit.
    assert sum("FROM people" in s for s in seen) == 1, seen
