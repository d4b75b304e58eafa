from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from messaging import service
from messaging.models import Conversation, ConversationKind, Membership, Message, Report
from portal import realtime
from tests.messaging.conftest import cid, jpeg_bytes


def token(client, path="/messages") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def test_inbox_lists_conversations_with_unread_counts(world, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="Bonjour Bob")
    login(world.bob)
    html = client.get("/messages").get_data(as_text=True)
    assert "Bonjour Bob" in html
    assert "1 unread" in html
    assert "Announcements of the building" in html and "The concierge desk" in html


def test_conversation_page_escapes_user_text(world, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="<script>alert(1)</script>")
    login(world.bob)
    html = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    "path",
    [
        "/messages/{conv}",
        "/api/messaging/conversations/{conv}/messages",
    ],
)
def test_outsiders_get_404_on_someone_elses_conversation(world, db, client, login, path):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    for outsider in (world.carol, world.stranger):
        login(outsider)
        assert client.get(path.format(conv=conv.id)).status_code == 404


def test_outsiders_cannot_post_into_a_conversation(world, db, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    login(world.carol)
    csrf = token(client)
    response = client.post(
        f"/api/messaging/conversations/{conv.id}/messages",
        json={"client_id": cid(), "body": "intrusion"},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    form = client.post(
        f"/messages/{conv.id}", data={"csrf_token": csrf, "body": "x", "client_id": cid()}
    )
    assert form.status_code == 404
    assert service.list_messages(world.alice, conv) == []


def test_json_send_is_idempotent(world, db, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    login(world.alice)
    csrf = token(client)
    body = {"client_id": cid(), "body": "Par HTTP"}
    url = f"/api/messaging/conversations/{conv.id}/messages"
    first = client.post(url, json=body, headers={"X-CSRFToken": csrf})
    again = client.post(url, json=body, headers={"X-CSRFToken": csrf})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["duplicate"] is True


def test_json_post_without_csrf_is_refused(world, db, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    login(world.alice)
    response = client.post(
        f"/api/messaging/conversations/{conv.id}/messages", json={"client_id": cid(), "body": "x"}
    )
    assert response.status_code == 400


def test_form_send_works_without_javascript(world, db, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    login(world.alice)
    html = client.get(f"/messages/{conv.id}").get_data(as_text=True)
    client_id = re.search(r'id="client-id" name="client_id" type="hidden" value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    data = {"csrf_token": csrf.group(1), "client_id": client_id.group(1), "body": "Sans JS"}
    assert client.post(f"/messages/{conv.id}", data=data).status_code == 302
    assert client.post(f"/messages/{conv.id}", data=data).status_code == 302  # resubmit: once
    assert [m.body for m in service.list_messages(world.alice, conv)] == ["Sans JS"]


def test_history_api_pages_backwards(world, client, login, app):
    app.config["MESSAGING_SEND_LIMIT"] = "1000/second"
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    ids = [
        service.do_send_message(world.alice, conv.id, client_id=cid(), body=str(n)).message.id
        for n in range(55)
    ]
    login(world.bob)
    latest = client.get(f"/api/messaging/conversations/{conv.id}/messages").get_json()
    assert len(latest["messages"]) == 50 and latest["has_more"] is True
    older = client.get(
        f"/api/messaging/conversations/{conv.id}/messages?before={latest['messages'][0]['id']}"
    ).get_json()
    assert [m["id"] for m in older["messages"]] == ids[:5]
    assert (
        client.get(f"/api/messaging/conversations/{conv.id}/messages?before=x").status_code == 400
    )


def test_upload_then_send_a_photo_and_fetch_it(world, db, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    db.session.commit()
    login(world.alice)
    csrf = token(client)
    response = client.post(
        "/api/messaging/uploads",
        data={"kind": "photo", "file": (io.BytesIO(jpeg_bytes()), "IMG_0001.jpg")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    attachment = response.get_json()["attachment"]
    assert "IMG_0001" not in attachment["url"]
    sent = service.do_send_message(
        world.alice, conv.id, client_id=cid(), kind="photo", attachment_id=attachment["id"]
    )
    assert sent.created
    login(world.bob)
    with client.get(attachment["url"]) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    with client.get(attachment["thumb_url"]) as thumb:
        assert thumb.status_code == 200
    login(world.carol)
    assert client.get(attachment["url"]).status_code == 404


def test_upload_of_a_non_image_is_refused_clearly(world, client, login):
    login(world.alice)
    response = client.post(
        "/api/messaging/uploads",
        data={"kind": "photo", "file": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg")},
        headers={"X-CSRFToken": token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "bad_type"


def test_start_direct_conversation_from_the_directory(world, client, login):
    login(world.alice)
    html = client.get("/messages/new").get_data(as_text=True)
    assert world.bob.last_name in html and world.stranger.last_name not in html
    response = client.post(f"/messages/with/{world.bob.id}", data={"csrf_token": token(client)})
    assert response.status_code == 302
    unreachable = client.post(
        f"/messages/with/{world.stranger.id}", data={"csrf_token": token(client)}
    )
    assert unreachable.status_code == 404


def test_reports_page_is_for_the_coordinator(world, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    message = service.do_send_message(world.alice, conv.id, client_id=cid(), body="vilain").message
    login(world.bob)
    response = client.post(f"/messages/report/{message.id}", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert client.get("/messages/reports").status_code == 404
    login(world.coordinator)
    assert "vilain" in client.get("/messages/reports").get_data(as_text=True)
    hide = client.post(f"/messages/reports/{message.id}/hide", data={"csrf_token": token(client)})
    assert hide.status_code == 302
    assert service.list_messages(world.bob, conv) == []


def test_search_page(world, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="Le marché de Wazemmes")
    login(world.bob)
    html = client.get("/messages/search?q=march%C3%A9").get_data(as_text=True)
    assert "Le marché de Wazemmes" in html
    assert "1 message found" in html


def test_home_tile_shows_unread_badge(world, client, login):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    service.do_send_message(world.alice, conv.id, client_id=cid(), body="Coucou")
    login(world.bob)
    html = client.get("/").get_data(as_text=True)
    assert 'href="/messages"' in html and "1 new" in html
    assert client.get("/api/messaging/unread").get_json()["count"] == 1


# All or nothing: a step failing half-way leaves nothing of the steps before it --------------


class Boom(RuntimeError):
    """The failure injected into a later step."""


def fail_on_call(number: int, calls: list[object], real):
    """A stand-in that behaves like `real`, then raises Boom on its `number`-th call."""

    def stand_in(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            raise Boom("injected")
        return real(*args, **kwargs)

    return stand_in


def count(db, stmt) -> int:
    return int(db.session.scalar(stmt) or 0)


def test_a_group_whose_creation_fails_half_way_leaves_no_group_and_no_members(
    world, db, client, login, events, monkeypatch
):
    login(world.alice)
    csrf = token(client, "/messages/groups/new")
    calls: list[object] = []
    # The group and its three members are written; telling the third member fails.
    monkeypatch.setattr(realtime, "publish", fail_on_call(3, calls, realtime.publish))
    members = [str(world.bob.id), str(world.carol.id)]
    data = {"csrf_token": csrf, "title": "Tricot", "members": members}

    response = client.post("/messages/groups/new", data=data)

    assert response.status_code == 500
    assert len(calls) == 3  # the failure came after the group and its members were flushed
    groups = select(func.count(Conversation.id)).where(Conversation.kind == ConversationKind.GROUP)
    assert count(db, groups) == 0
    assert count(db, select(func.count()).select_from(Membership)) == 0
    assert events.named(service.EVENT_CONVERSATION) == []
    # The same form, sent again without the failure, creates the group once.
    monkeypatch.undo()
    assert client.post("/messages/groups/new", data=data).status_code == 302
    assert count(db, groups) == 1
    assert count(db, select(func.count()).select_from(Membership)) == 3


def test_hiding_that_fails_half_way_keeps_the_message_shown_and_its_report_open(
    world, db, client, login, events, monkeypatch
):
    conv = service.get_or_create_direct(world.alice, world.bob.id)
    message = service.do_send_message(world.alice, conv.id, client_id=cid(), body="vilain").message
    service.do_report(world.bob, message.id, "insulte")
    db.session.commit()
    login(world.coordinator)
    csrf = token(client)
    # The message is hidden and its event queued; closing its reports then fails.
    monkeypatch.setattr(service, "_resolve_reports", fail_on_call(1, [], service._resolve_reports))

    response = client.post(f"/messages/reports/{message.id}/hide", data={"csrf_token": csrf})

    assert response.status_code == 500
    hidden = select(func.count(Message.id)).where(Message.hidden_at.is_not(None))
    assert count(db, hidden) == 0
    still_open = select(func.count(Report.id)).where(Report.resolved_at.is_(None))
    assert count(db, still_open) == 1
    assert events.named(service.EVENT_HIDDEN) == []
    assert [m.body for m in service.list_messages(world.bob, conv)] == ["vilain"]
