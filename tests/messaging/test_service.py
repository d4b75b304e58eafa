from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import insert

from messaging import service
from messaging.models import Block, Conversation, ConversationKind, Message
from portal.people import service as people
from tests import media
from tests.conftest import code
from tests.messaging.conftest import cid, jpeg_bytes


def test_direct_conversation_is_unique_per_pair(world):
    first = service.get_or_create_direct(world.alice, world.bob.id)
    again = service.get_or_create_direct(world.bob, world.alice.id)
    assert first.id == again.id
    assert first.kind == ConversationKind.DIRECT


def test_losing_the_race_for_a_direct_conversation_answers_the_winner_and_keeps_the_rest(
    world, db, monkeypatch
):
    """Another request inserts the same pair's conversation between the lookup and the insert:
    the loser answers with the winner's row, and its own earlier steps are not undone."""
    service.do_block(world.carol, world.stranger.id)  # an earlier step of the same transaction
    real_begin_nested = db.session.begin_nested
    winner: list[int] = []

    def concurrent_insert_first():
        low, high = sorted((world.alice.id, world.bob.id))
        row = {
            "building_id": world.building.id,
            "kind": ConversationKind.DIRECT,
            "direct_key": f"{low}:{high}",
            "title": "",
        }
        winner.append(db.session.execute(insert(Conversation).values(row)).inserted_primary_key[0])
        return real_begin_nested()

    monkeypatch.setattr(db.session, "begin_nested", concurrent_insert_first)

    found = service.get_or_create_direct(world.alice, world.bob.id)

    assert winner and found.id == winner[0]
    db.session.commit()
    assert db.session.get(Block, (world.carol.id, world.stranger.id)) is not None
    assert db.session.query(Conversation).filter_by(kind=ConversationKind.DIRECT).count() == 1


def test_no_direct_conversation_across_buildings(world):
    assert code(service.get_or_create_direct, world.alice, world.stranger.id) == "not_found"


def test_send_is_committed_then_published_to_members_only(world, events):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    result = service.do_send_message(world.alice, conv.id, client_id=cid(), body=" Bonjour ! ")
    assert result.created and result.message.body == "Bonjour !"
    created = events.named(service.EVENT_CREATED)
    assert sorted(e.to for e in created) == sorted(
        [f"user:{world.alice.id}", f"user:{world.bob.id}"]
    )
    assert created[0].payload["id"] == result.message.id


def test_retry_with_same_client_id_stores_one_message(world, db, events):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    client_id = cid()
    first = service.do_send_message(world.alice, conv.id, client_id=client_id, body="Une fois")
    second = service.do_send_message(world.alice, conv.id, client_id=client_id, body="Une fois")
    assert (first.created, second.created) == (True, False)
    assert second.message.id == first.message.id
    assert db.session.query(Message).count() == 1
    assert len(events.named(service.EVENT_CREATED)) == 2  # one per member, once


def test_message_ids_increase(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    ids = [
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=str(n)).message.id
        for n in range(5)
    ]
    assert ids == sorted(ids) and len(set(ids)) == 5


@pytest.mark.parametrize(
    ("body", "expected"),
    [("", "empty"), ("   ", "empty"), ("x" * 2001, "too_long"), (42, "bad_body")],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(world, db, body, expected):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    refused = code(service.do_send_message, world.alice, conv.id, client_id=cid(), body=body)
    assert refused == expected
    assert db.session.query(Message).count() == 0


@pytest.mark.parametrize("client_id", [None, "", "short", "x" * 65, "has space!!"])
def test_bad_client_ids_are_refused(world, client_id):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    assert code(service.do_send_message, world.alice, conv.id, client_id=client_id, body="x") == (
        "bad_id"
    )


def test_non_members_cannot_read_or_post(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    assert not service.may_read(world.carol, conv)
    assert code(service.do_send_message, world.carol, conv.id, client_id=cid(), body="x") == (
        "not_found"
    )
    assert code(service.access_conversation, world.stranger, conv.id) == "not_found"


def test_blocking_stops_direct_messages_both_ways(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_block(world.alice, world.bob.id)
    assert code(service.do_send_message, world.bob, conv.id, client_id=cid(), body="x") == (
        "blocked"
    )
    assert code(service.do_send_message, world.alice, conv.id, client_id=cid(), body="x") == (
        "blocked"
    )
    service.do_unblock(world.alice, world.bob.id)
    assert service.do_send_message(world.bob, conv.id, client_id=cid(), body="ok").created


def test_staff_cannot_be_blocked(world):
    assert code(service.do_block, world.alice, world.concierge.id) == "staff"


def test_groups_and_leaving(world, events):
    group = service.do_create_group(world.coordinator, "Tricot", [world.alice.id, world.bob.id])
    assert service.may_read(world.alice, group) and not service.may_read(world.carol, group)
    service.do_leave(world.bob, group)
    assert not service.may_read(world.bob, group)
    service.do_send_message(world.alice, group.id, client_id=cid(), body="On tricote ?")
    rooms = {e.to for e in events.named(service.EVENT_CREATED)}
    assert f"user:{world.bob.id}" not in rooms
    assert {f"user:{world.alice.id}", f"user:{world.coordinator.id}"} <= rooms


def test_group_members_must_live_in_the_building(world):
    assert code(service.do_create_group, world.alice, "Mix", [world.stranger.id]) == "bad_member"
    assert code(service.do_create_group, world.alice, " ", [world.bob.id]) == "bad_title"


def test_announcements_staff_write_residents_read(world, events):
    channel = service.get_or_create_announcements(world.building.id)
    assert code(service.do_send_message, world.alice, channel.id, client_id=cid(), body="x") == (
        "read_only"
    )
    message = service.do_send_message(
        world.coordinator, channel.id, client_id=cid(), body="Coupure d'eau jeudi"
    ).message
    assert [e.to for e in events.named(service.EVENT_CREATED)] == [f"building:{world.building.id}"]
    assert service.may_read(world.alice, channel)
    assert not service.may_read(world.stranger, channel)
    reactions = service.do_toggle_reaction(world.alice, message.id, "👍")
    assert reactions == [{"emoji": "👍", "count": 1}]
    assert service.do_toggle_reaction(world.alice, message.id, "👍") == []
    assert code(service.do_toggle_reaction, world.alice, message.id, "💩") == "bad_reaction"


def test_desk_conversation_is_answered_as_the_desk(world, events):
    desk = service.get_or_create_desk(world.alice)
    service.do_send_message(world.alice, desk.id, client_id=cid(), body="Fuite sous l'évier")
    assert service.may_read(world.concierge, desk) and service.may_read(world.coordinator, desk)
    assert not service.may_read(world.bob, desk)
    reply = service.do_send_message(world.concierge, desk.id, client_id=cid(), body="J'arrive")
    payload = service.message_payload(reply.message)
    assert payload["sender"]["desk"] is True
    assert payload["sender"]["id"] is None  # the desk speaks, not a named person
    rooms = {e.to for e in events.named(service.EVENT_CREATED)}
    assert rooms == {f"user:{world.alice.id}", f"desk:{world.building.id}"}


def test_unread_counts_follow_the_read_pointer(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    ids = [
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=str(n)).message.id
        for n in range(3)
    ]
    assert service.unread_counts(world.bob, [conv.id]) == {conv.id: 3}
    assert service.unread_counts(world.alice, [conv.id]) == {}
    service.do_mark_read(world.bob, conv.id, ids[1])
    assert service.unread_counts(world.bob, [conv.id]) == {conv.id: 1}
    service.do_mark_read(world.bob, conv.id, ids[0])  # never goes backwards
    assert service.unread_counts(world.bob, [conv.id]) == {conv.id: 1}
    assert service.total_unread(world.bob) == 1


def test_read_receipt_is_published_to_the_conversation(world, db, events):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    message = service.do_send_message(world.alice, conv.id, client_id=cid(), body="Lu ?").message
    service.do_mark_read(world.bob, conv.id, message.id)
    db.session.commit()  # as the socket event would: the receipt leaves once committed
    read = events.named(service.EVENT_READ)
    assert {e.to for e in read} == {f"user:{world.alice.id}", f"user:{world.bob.id}"}
    assert read[0].payload["last_read_message_id"] == message.id
    states = {s["person_id"]: s for s in service.read_states(conv)}
    assert states[world.bob.id]["read_at"] is not None


def test_list_conversations_latest_first_with_desk_and_announcements(world):
    one = service.get_or_create_direct(world.alice, world.bob.id)
    two = service.get_or_create_direct(world.alice, world.carol.id)
    service.do_send_message(world.bob, one.id, client_id=cid(), body="premier")
    service.do_send_message(world.carol, two.id, client_id=cid(), body="second")
    summaries = service.list_conversations(world.alice)
    kinds = [s.conversation.kind for s in summaries]
    assert summaries[0].conversation.id == two.id
    assert summaries[0].unread == 1
    assert ConversationKind.DESK in kinds and ConversationKind.ANNOUNCEMENTS in kinds


def test_catch_up_returns_only_what_came_after(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    first = service.do_send_message(world.alice, conv.id, client_id=cid(), body="1").message
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="2")
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="3")
    other = service.get_or_create_direct(world.carol, world.alice.id)
    result = service.catch_up(world.bob, {str(conv.id): first.id, str(other.id): 0, "x": "y"})
    assert [m["body"] for m in result[conv.id]] == ["2", "3"]
    assert other.id not in result  # Bob is not in Carol and Alice's conversation


def test_catch_up_also_returns_a_moment_before_the_last_id(world, db):
    """A later message's event arrived but an earlier one's was lost: it still comes back."""
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    old, _lost, seen = (
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=body).message
        for body in ("old", "lost", "seen")
    )
    old.created_at = seen.created_at - timedelta(minutes=1)
    db.session.commit()
    result = service.catch_up(world.bob, {str(conv.id): seen.id})
    assert [m["body"] for m in result[conv.id]] == ["lost"]


def test_history_pages_of_fifty(world, app):
    app.config["MESSAGING_SEND_LIMIT"] = "1000/second"
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    for n in range(60):
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=f"m{n}")
    latest = service.list_messages(world.bob, conv)
    assert latest[0].body == "m10" and len(latest) == 50
    older = service.list_messages(world.bob, conv, before_id=latest[0].id)
    assert [m.body for m in older] == [f"m{n}" for n in range(10)]


def test_rate_limit_twenty_messages_per_ten_seconds(world, app):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    for n in range(20):
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=str(n))
    assert code(service.do_send_message, world.alice, conv.id, client_id=cid(), body="21") == (
        "rate_limited"
    )


def test_report_and_hide(world, db, events):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    message = service.do_send_message(world.alice, conv.id, client_id=cid(), body="Méchant").message
    assert code(service.do_report, world.alice, message.id) == "own_message"
    assert code(service.do_report, world.carol, message.id) == "not_found"
    service.do_report(world.bob, message.id, "insulte")
    assert [r.message_id for r in service.list_open_reports(world.coordinator)] == [message.id]
    assert code(service.do_hide_message, world.concierge, message.id) == "forbidden"
    service.do_hide_message(world.coordinator, message.id)
    db.session.commit()  # as the request would: the hiding leaves once committed
    assert service.list_messages(world.bob, conv) == []
    assert service.list_open_reports(world.coordinator) == []
    hidden = events.named(service.EVENT_HIDDEN)
    assert {e.to for e in hidden} == {f"user:{world.alice.id}", f"user:{world.bob.id}"}


def test_search_finds_only_readable_messages(world):
    mine = service.get_or_create_direct(world.alice, world.bob.id)
    theirs = service.get_or_create_direct(world.bob, world.carol.id)
    service.do_send_message(world.alice, mine.id, client_id=cid(), body="La fête des voisins")
    service.do_send_message(world.bob, theirs.id, client_id=cid(), body="fête secrète")
    assert [m.body for m in service.search(world.alice, "fête")] == ["La fête des voisins"]
    assert service.search(world.alice, "%") == []
    assert service.search(world.alice, "f") == []


def test_photo_upload_is_reencoded_without_metadata(world):
    attachment = service.do_save_upload(world.alice, "photo", jpeg_bytes())
    from messaging import uploads

    stored = uploads.path_of(attachment.file_name)
    with Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
    assert attachment.thumb_name and attachment.file_name != attachment.thumb_name


def test_fake_photo_and_oversized_files_are_refused(world, app):
    assert code(service.do_save_upload, world.alice, "photo", b"GIF89a not really") == "bad_type"
    assert code(service.do_save_upload, world.alice, "photo", b"<?php evil ?>") == "bad_type"
    app.config["MESSAGING_MAX_PHOTO_BYTES"] = 100
    assert code(service.do_save_upload, world.alice, "photo", jpeg_bytes()) == "too_large"
    assert code(service.do_save_upload, world.alice, "voice", b"RIFF....WAVE") == "bad_type"
    assert code(service.do_save_upload, world.alice, "exe", b"MZ") == "bad_type"


def test_voice_message_checks_container_and_duration(world, app):
    webm = media.recording("chrome", 2.5)  # a real WebM/Opus recording, as Chrome makes
    attachment = service.do_save_upload(world.alice, "voice", webm, "30500")
    # The length is measured from the file; what the client says is not believed.
    assert attachment.mime_type == "audio/webm"
    assert attachment.duration_ms is not None and 2450 <= attachment.duration_ms <= 2600
    assert (
        code(service.do_save_upload, world.alice, "voice", webm[:4] + b"\x00" * 100) == "bad_type"
    )
    app.config["MESSAGING_MAX_VOICE_SECONDS"] = 1
    assert code(service.do_save_upload, world.alice, "voice", webm, "200") == "too_long"


def test_attachments_are_visible_to_conversation_readers_only(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    photo = service.do_save_upload(world.alice, "photo", jpeg_bytes())
    assert code(service.access_attachment, world.bob, photo.id) == "not_found"  # not sent yet
    service.do_send_message(
        world.alice, conv.id, client_id=cid(), kind="photo", attachment_id=photo.id
    )
    assert service.access_attachment(world.bob, photo.id).id == photo.id
    assert code(service.access_attachment, world.carol, photo.id) == "not_found"


def test_someone_elses_attachment_cannot_be_sent(world):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    photo = service.do_save_upload(world.carol, "photo", jpeg_bytes())
    refused = code(
        service.do_send_message,
        world.alice,
        conv.id,
        client_id=cid(),
        kind="photo",
        attachment_id=photo.id,
    )
    assert refused == "bad_file"


def test_presence_can_be_hidden(world):
    people.do_touch_presence(world.alice)
    assert service.presence_of(world.alice)["online"] is True
    service.do_set_presence_visibility(world.alice, False)
    assert service.presence_of(world.alice) == {"online": False, "last_seen_at": None}


def test_png_is_accepted_and_converted(world):
    buffer = io.BytesIO()
    Image.new("RGBA", (30, 30), (255, 0, 0, 128)).save(buffer, "PNG")
    attachment = service.do_save_upload(world.alice, "photo", buffer.getvalue())
    assert attachment.mime_type == "image/jpeg"


def test_add_message_stands_or_falls_with_the_callers_transaction(world, db, events):
    conversation = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    message = service.add_message(world.alice, conversation.id, client_id=cid(), body="Bonjour")
    assert message.id is not None and events == []  # nothing leaves before the commit
    db.session.rollback()
    assert db.session.query(Message).count() == 0 and events == []
    kept = service.add_message(world.alice, conversation.id, client_id=cid(), body="Bonjour")
    db.session.commit()
    assert [e.payload["id"] for e in events.named(service.EVENT_CREATED)] == [kept.id] * len(
        events.named(service.EVENT_CREATED)
    )
    assert events.named(service.EVENT_CREATED)
    assert db.session.get(Conversation, conversation.id).last_message_id == kept.id
