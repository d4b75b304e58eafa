"""Reading conversations: unread counts, who reads what, and how many SQL statements a page
costs (the same however many conversations there are: no statement per conversation)."""

from __future__ import annotations

from messaging import service
from portal.extensions import db
from tests.factories import make_resident
from tests.messaging.conftest import cid
from tests.queries import statements as counting_statements


def test_unread_counts_without_a_read_pointer_count_every_message_from_others(world):
    channel = service.get_or_create_announcements(world.building.id)
    for n in range(3):
        service.do_send_message(world.coordinator, channel.id, client_id=cid(), body=f"Info {n}")

    assert service.unread_counts(world.alice, [channel.id]) == {channel.id: 3}
    assert service.unread_counts(world.coordinator, [channel.id]) == {}

    service.do_mark_read(world.alice, channel.id, channel.last_message_id)
    assert service.unread_counts(world.alice, [channel.id]) == {}


def test_unread_counts_mix_conversations_with_and_without_a_pointer(world):
    direct = service.get_or_create_direct(world.alice, world.bob.id)
    channel = service.get_or_create_announcements(world.building.id)
    first = service.do_send_message(world.alice, direct.id, client_id=cid(), body="Un").message
    service.do_send_message(world.alice, direct.id, client_id=cid(), body="Deux")
    service.do_send_message(world.coordinator, channel.id, client_id=cid(), body="Info")
    service.do_mark_read(world.bob, direct.id, first.id)

    counts = service.unread_counts(world.bob, [direct.id, channel.id])

    assert counts == {direct.id: 1, channel.id: 1}
    assert service.total_unread(world.bob) == 2


def test_a_group_left_is_no_longer_listed_but_desk_and_announcements_are(world):
    group = service.do_create_group(world.alice, "Tricot", [world.bob.id])
    service.do_leave(world.bob, group)

    kinds = {s.conversation.kind.value for s in service.list_conversations(world.bob)}
    ids = {s.conversation.id for s in service.list_conversations(world.bob)}

    assert group.id not in ids
    assert kinds == {"desk", "announcements"}


def test_search_titles_one_to_one_results_with_the_partner_name(world, client, login):
    direct = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_send_message(world.alice, direct.id, client_id=cid(), body="Une tarte aux pommes")
    login(world.alice)

    html = client.get("/messages/search?q=tarte").get_data(as_text=True)

    assert world.bob.full_name in html


def test_conversation_offers_unblock_only_to_who_blocked(world, client, login):
    direct = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_block(world.alice, world.bob.id)
    db.session.commit()

    login(world.alice)
    mine = client.get(f"/messages/{direct.id}").get_data(as_text=True)
    login(world.bob)
    theirs = client.get(f"/messages/{direct.id}").get_data(as_text=True)

    assert "Unblock Bob" in mine
    assert "Unblock" not in theirs


def test_inbox_statements_do_not_grow_with_the_number_of_conversations(world, client, login):
    def add_neighbours(count: int) -> None:
        for n in range(count):
            other = make_resident(world.building, first_name=f"Voisin{n}", pin=None)
            direct = service.get_or_create_direct(world.alice, other.id)
            service.do_send_message(other, direct.id, client_id=cid(), body="Bonjour")
            group = service.do_create_group(other, f"Groupe {n}", [world.alice.id])
            service.do_send_message(other, group.id, client_id=cid(), body="Salut")

    login(world.alice)
    add_neighbours(1)
    client.get("/messages")
    with counting_statements() as few:
        assert client.get("/messages").status_code == 200
    add_neighbours(8)
    with counting_statements() as many:
        assert client.get("/messages").status_code == 200

    assert len(many) == len(few)


def test_the_inbox_shows_the_latest_conversations_then_all_on_request(
    world, client, login, monkeypatch
):
    monkeypatch.setattr(service, "INBOX_LIMIT", 3)
    neighbours = []
    for n in range(5):
        other = make_resident(world.building, first_name=f"Voisin{n}", pin=None)
        direct = service.get_or_create_direct(world.alice, other.id)
        service.do_send_message(other, direct.id, client_id=cid(), body=f"Message {n}")
        neighbours.append(other)
    login(world.alice)

    first = client.get("/messages").get_data(as_text=True)
    everything = client.get("/messages?all=1").get_data(as_text=True)
    api = client.get("/api/messaging/conversations").get_json()

    assert [f"Voisin{n}" in first for n in range(5)] == [False, False, True, True, True]
    assert 'href="/messages?all=1"' in first
    assert all(f"Voisin{n}" in everything for n in range(5))
    assert 'href="/messages?all=1"' not in everything
    assert len(api["conversations"]) == 3
    assert "all=1" in everything.split('id="conversation-list"')[1].split(">")[0]
