"""Catch-up is cheap: its statements do not grow with the conversations a client names."""

from __future__ import annotations

from messaging import service
from tests.factories import make_resident
from tests.messaging.conftest import cid
from tests.queries import statements

MOST_STATEMENTS = 12  # the catch-up event, unread total included


def _conversations(world, app, count: int) -> dict[str, int]:
    """Bob's `count` one-to-one conversations, each with two messages; his last ids."""
    app.config["MESSAGING_SEND_LIMIT"] = "10000/second"
    last_ids: dict[str, int] = {}
    for _ in range(count):
        neighbour = make_resident(world.building)
        conversation = service.get_or_create_direct(neighbour, world.bob.id)
        first = service.do_send_message(neighbour, conversation.id, client_id=cid(), body="1")
        service.do_send_message(neighbour, conversation.id, client_id=cid(), body="2")
        last_ids[str(conversation.id)] = first.message.id
    return last_ids


def _catch_up_statements(world, socket_client, last_ids: dict[str, int]) -> tuple[int, dict]:
    bob = socket_client(world.bob)
    bob.emit("catch_up", {"conversations": last_ids}, callback=True)  # warm the caches
    with statements() as seen:
        ack = bob.emit("catch_up", {"conversations": last_ids}, callback=True)
    return len(seen), ack


def test_catch_up_costs_the_same_statements_for_3_or_40_conversations(world, app, socket_client):
    few, few_ack = _catch_up_statements(world, socket_client, _conversations(world, app, 3))
    announcements = service.get_or_create_announcements(world.building.id)
    service.do_send_message(world.concierge, announcements.id, client_id=cid(), body="Info")
    many_ids = _conversations(world, app, 40)
    many_ids[str(announcements.id)] = 0
    many, many_ack = _catch_up_statements(world, socket_client, many_ids)
    assert few_ack["ok"] and many_ack["ok"]
    assert len(many_ack["messages"]) == 41
    assert all(
        [m["body"] for m in many_ack["messages"][key]] == ["2"]
        for key in many_ids
        if key != str(announcements.id)
    )
    assert [m["body"] for m in many_ack["messages"][str(announcements.id)]] == ["Info"]
    assert many == few <= MOST_STATEMENTS


def test_catch_up_leaves_out_what_the_person_may_not_read_in_one_go(world, app):
    mine = _conversations(world, app, 2)
    theirs = service.get_or_create_direct(world.alice, world.carol.id)
    service.do_send_message(world.alice, theirs.id, client_id=cid(), body="private")
    desk = service.get_or_create_desk(world.alice)
    other_announcements = service.get_or_create_announcements(world.other_building.id)
    asked = {**mine, str(theirs.id): 0, str(desk.id): 0, str(other_announcements.id): 0}
    result = service.catch_up(world.bob, asked)
    assert set(result) == {int(key) for key in mine}


def test_catch_up_returns_at_most_its_bound_per_conversation(world, app, monkeypatch):
    monkeypatch.setattr(service, "CATCH_UP_MESSAGES", 3)
    app.config["MESSAGING_SEND_LIMIT"] = "10000/second"
    conversation = service.get_or_create_direct(world.alice, world.bob.id)
    for n in range(5):
        service.do_send_message(world.alice, conversation.id, client_id=cid(), body=str(n))
    result = service.catch_up(world.bob, {str(conversation.id): 0})
    assert [m["body"] for m in result[conversation.id]] == ["0", "1", "2"]


def test_just_after_a_redis_loss_catch_up_reaches_back_to_the_loss(world, db, monkeypatch):
    """A client that got a newer live event while waiting for its moment to catch up still
    gets what was lost while Redis was away, however long before its newest id."""
    from datetime import timedelta

    from portal import realtime

    conversation = service.get_or_create_direct(world.alice, world.bob.id)
    lost, newer = (
        service.do_send_message(world.alice, conversation.id, client_id=cid(), body=body).message
        for body in ("lost", "newer")
    )
    lost.created_at = newer.created_at - timedelta(seconds=40)
    db.session.commit()
    asked = {str(conversation.id): newer.id}
    assert service.catch_up(world.bob, asked)[conversation.id] == []  # the usual 5 s overlap
    monkeypatch.setattr(realtime, "_gap", None)
    realtime._note_gap(lost.created_at - timedelta(seconds=1), 60)
    bodies = [m["body"] for m in service.catch_up(world.bob, asked)[conversation.id]]
    assert bodies == ["lost"]
