"""Hostile and odd input (issue 17, cases 2–5), through the real routes and socket events:
ids too large for the database, NUL bytes, lone surrogates and deeply nested JSON answer a
4xx or `ok: false` with a message, never a 500 or `server_error`; text is stored without
NUL. And the error answers themselves: they roll the session back before drawing the page,
and answer plain translated text when the page cannot be drawn.

Runs on SQLite, and on PostgreSQL with BV_TEST_DATABASE=postgresql (DATABASE_URL_TEST), which
refuses what SQLite lets through (NUL in text, numbers beyond integer and bigint).
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from activities import proposals
from activities import service as activities
from activities.models import Proposal
from concierge.desk import parcels, tickets
from concierge.desk.models import LogbookDocument, Parcel, TicketUpdate
from concierge.exchange import service as helping
from messaging import service as messaging
from messaging.models import Message
from portal import errors
from portal.extensions import db, socketio
from portal.people.models import Building, Person, Role
from portal.validation import MAX_BIG_ID, MAX_ID, BigIdConverter, IdConverter
from tests.activities.test_service import in_days
from tests.factories import make_building, make_organisation, make_resident, make_staff

HUGE = "99999999999999999999999"
# Query-string ids and places that name nothing: too large for integer or bigint, negative,
# not whole, not ASCII digits ("²" passes str.isdigit() but not int()), not a number at all.
ODD_TEXT = [HUGE, str(MAX_ID + 1), str(MAX_BIG_ID + 1), "-1", "1.5", "1e300", "x", "²", " 1"]
# What a socket payload may carry where an id is expected.
ODD_VALUES: list[Any] = [10**30, 1e300, -1, 0, "x", True, None, 2**63, [1], {"id": 1}, "1"]
NOT_UNDERSTOOD_OR_NOT_FOUND = {"bad_request", "not_found"}


@dataclass
class World:
    building: Building
    alice: Person
    bob: Person
    concierge: Person
    coordinator: Person
    conversation_id: int
    message_id: int
    announcement_id: int
    ticket_id: int
    parcel_id: int
    proposal_id: int
    request_id: int
    occurrence_id: int


@pytest.fixture
def world(app: Flask) -> World:
    """One building with two residents, its concierge and coordinator, and one of each thing
    an id may name: a conversation and its message, an announcement, a ticket, a parcel, a
    proposal, a help request and an activity's date."""
    org = make_organisation()
    building = make_building(org)
    alice = make_resident(building, first_name="Alice")
    bob = make_resident(building, first_name="Bob")
    concierge = make_staff(Role.CONCIERGE, [building], organisation=org)
    coordinator = make_staff(Role.COORDINATOR, [building], organisation=org)
    conversation = messaging.get_or_create_direct(alice, bob.id)
    message = messaging.do_send_message(alice, conversation.id, client_id=cid(), body="Coucou")
    channel = messaging.get_or_create_announcements(building.id)
    news = messaging.do_send_message(coordinator, channel.id, client_id=cid(), body="Fête")
    ticket = tickets.do_create_ticket(alice, category="repair", description="Fuite")
    assert alice.dwelling_id is not None
    parcel = parcels.do_log_parcel(concierge, alice.dwelling_id, carrier="La Poste")
    start = in_days(5, hour=19)
    proposal = proposals.do_propose(
        alice, title="Belote", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    request = helping.do_create_request(
        alice, kind="groceries", window_start=in_days(1), window_end=in_days(1, hour=18)
    )
    activity = activities.do_create_activity(
        coordinator,
        building.id,
        title="Yoga",
        starts_at=in_days(2, hour=10),
        ends_at=in_days(2, hour=11),
        capacity=5,
    )
    db.session.commit()
    return World(
        building=building,
        alice=alice,
        bob=bob,
        concierge=concierge,
        coordinator=coordinator,
        conversation_id=conversation.id,
        message_id=message.message.id,
        announcement_id=news.message.id,
        ticket_id=ticket.id,
        parcel_id=parcel.id,
        proposal_id=proposal.id,
        request_id=request.id,
        occurrence_id=activity.occurrences[0].id,
    )


def cid() -> str:
    return str(uuid.uuid4())


def csrf(client: FlaskClient) -> str:
    """The CSRF token the pages carry (the session's)."""
    html = client.get("/messages").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A form post with the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def post_json(client: FlaskClient, url: str, body: Any) -> Any:
    """A JSON post as the pages send it (CSRF token in the header)."""
    return client.post(
        url,
        json=body,
        headers={"Accept": "application/json", "X-CSRFToken": csrf(client)},
    )


def refused_calmly(answer: Any) -> None:
    """A socket acknowledgement that refuses with a message, not a server error."""
    assert isinstance(answer, dict), answer
    assert answer["ok"] is False, answer
    assert answer["error"] in NOT_UNDERSTOOD_OR_NOT_FOUND, answer
    assert isinstance(answer["message"], str) and answer["message"].strip(), answer


# Case 2: ids too large for the database ------------------------------------------------------


def test_a_message_id_beyond_bigint_is_not_found(client, login, world):
    login(world.alice)
    assert client.get(f"/messages/{HUGE}").status_code == 404
    answer = client.get(f"/api/messaging/conversations/{HUGE}/messages")
    assert answer.status_code == 404 and answer.get_json()["ok"] is False


def _id_routes(app: Flask) -> list[tuple[str, str, list[str]]]:
    """Every route that takes an id in its path: (method, rule, id arguments)."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        ids = [a for a in rule.arguments if isinstance(converters[a], IdConverter | BigIdConverter)]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            if ids:
                found.append((method, rule.rule, ids))
    return found


def _url(rule: str, ids: list[str], value: int) -> str:
    """The rule's path with `value` for every id and a plausible word for the rest."""
    path = rule
    for name in ids:
        path = re.sub(rf"<[a-z]+:{name}>", str(value), path)
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "hide", path)


@pytest.mark.parametrize("role", ["alice", "concierge"])
def test_every_route_answers_not_found_to_ids_beyond_the_database(app, client, login, world, role):
    """~100 GET and POST routes, each with an id one past integer (one past bigint for
    message ids) and a 23-digit one: 404 before any query, as resident and as staff."""
    login(getattr(world, role))
    token = csrf(client)
    routes = _id_routes(app)
    assert len(routes) > 60, routes
    for method, rule, ids in routes:
        big = "bigid" in rule
        for value in (MAX_BIG_ID + 1 if big else MAX_ID + 1, int(HUGE)):
            url = _url(rule, ids, value)
            if method == "GET":
                answer = client.get(url)
            else:
                answer = client.post(url, data={"csrf_token": token})
            assert answer.status_code == 404, (method, url, answer.status_code)


@pytest.mark.parametrize("name", ["before", "after"])
def test_a_place_in_a_conversation_that_is_not_one_is_a_bad_request(client, login, world, name):
    login(world.alice)
    url = f"/api/messaging/conversations/{world.conversation_id}/messages"
    for value in [v for v in ODD_TEXT if v != str(MAX_ID + 1)]:  # a message id is a bigint
        answer = client.get(url, query_string={name: value})
        assert answer.status_code == 400, (value, answer.status_code)
        assert answer.get_json()["ok"] is False and answer.get_json()["message"]
    for value in ("0", str(world.message_id), str(MAX_BIG_ID), ""):
        assert client.get(url, query_string={name: value}).status_code == 200, value


def test_a_building_in_the_query_that_is_not_an_id_is_not_found(client, login, world):
    login(world.concierge)
    for path in ("/desk", "/desk/queue", "/desk/dwellings", "/wellbeing/to-call"):
        assert client.get(path).status_code == 200, path
        for value in ODD_TEXT:
            answer = client.get(path, query_string={"building": value})
            assert answer.status_code == 404, (path, value, answer.status_code)
    login(world.coordinator)
    for value in ODD_TEXT:
        answer = client.get("/neighbours/figures", query_string={"building": value})
        assert answer.status_code == 404, (value, answer.status_code)


def test_the_ticket_assignee_refuses_a_number_the_database_cannot_hold(client, login, world):
    login(world.concierge)
    url = f"/tickets/{world.ticket_id}/assignee"
    for value in [*ODD_TEXT, str(2**40)]:
        answer = post(client, url, {"assignee": value})
        assert answer.status_code == 422, (value, answer.status_code)
        assert "Not a valid choice" in answer.get_data(as_text=True), value
    assert post(client, url, {"assignee": str(world.concierge.id)}).status_code == 302
    assert tickets.access_ticket(world.concierge, world.ticket_id).assignee_id == (
        world.concierge.id
    )


def test_forms_that_name_a_person_refuse_odd_numbers_calmly(client, login, world):
    """Hand-over, a neighbour proposed by the desk, attendance, a proposal's capacity and a
    resident chosen for a ticket: refused (or ignored) with a message, never a 500."""
    login(world.concierge)
    for value in ODD_TEXT:
        hand_over = post(
            client, f"/desk/parcels/{world.parcel_id}/hand-over", {"collected_by": value}
        )
        assert hand_over.status_code == 400, (value, hand_over.status_code)
        asked = post(
            client, f"/neighbours/requests/{world.request_id}/propose", {"neighbour": value}
        )
        assert asked.status_code == 302, (value, asked.status_code)
        new_ticket = client.get("/tickets/new", query_string={"resident": value})
        assert new_ticket.status_code == 200, value
    assert db.session.get(Parcel, world.parcel_id).collected_at is None
    login(world.coordinator)
    for value in [v for v in ODD_TEXT if v.strip() != "1"]:  # " 1" is 1 place, once stripped
        came = post(
            client,
            f"/activities/occurrences/{world.occurrence_id}/attendance",
            {"present": value},
        )
        assert came.status_code == 302, (value, came.status_code)
        approve = post(
            client, f"/activities/proposals/{world.proposal_id}/approve", {"capacity": value}
        )
        assert approve.status_code == 302, (value, approve.status_code)
        page = client.get(approve.headers["Location"]).get_data(as_text=True)
        assert "between 1 and 1000" in page, value
    assert db.session.get(Proposal, world.proposal_id).status.value == "pending"


def test_the_json_api_refuses_an_attachment_id_beyond_the_database(client, login, world):
    login(world.alice)
    url = f"/api/messaging/conversations/{world.conversation_id}/messages"
    for value in [10**30, 2**31, -1, 1e300, "x", True]:
        body = {"client_id": cid(), "kind": "photo", "attachment_id": value}
        answer = post_json(client, url, body)
        assert answer.status_code == 422, (value, answer.status_code)
        assert answer.get_json()["error"] == "bad_file"


# Case 2 over Socket.IO -----------------------------------------------------------------------


def _emit(sock: Any, event: str, payload: Any) -> Any:
    return sock.emit(event, payload, callback=True)


def test_messaging_events_refuse_odd_ids_with_a_message(socket_client, world):
    sock = socket_client(world.alice)
    for value in ODD_VALUES:
        refused_calmly(_emit(sock, "typing", {"conversation_id": value}))
        refused_calmly(_emit(sock, "toggle_reaction", {"message_id": value, "emoji": "👍"}))
        refused_calmly(
            _emit(
                sock,
                "send_message",
                {"conversation_id": value, "client_id": cid(), "body": "Coucou"},
            )
        )
    for value in ODD_VALUES:
        if value != 0:  # 0 is "read nothing yet": accepted
            refused_calmly(
                _emit(
                    sock,
                    "mark_read",
                    {"conversation_id": world.conversation_id, "message_id": value},
                )
            )
        refused_calmly(_emit(sock, "mark_read", {"conversation_id": value, "message_id": 1}))
    assert _emit(sock, "typing", {"conversation_id": world.conversation_id})["ok"] is True
    extra = sock.emit("typing", {"conversation_id": world.conversation_id}, "more", callback=True)
    refused_calmly(extra)  # one payload per event, no more
    reacted = _emit(sock, "toggle_reaction", {"message_id": world.announcement_id, "emoji": "👍"})
    assert reacted["ok"] is True


def test_catch_up_refuses_odd_ids_with_a_message(socket_client, world):
    sock = socket_client(world.bob)
    for value in ODD_VALUES:
        if value in (0, None, "1") and not isinstance(value, bool):
            continue  # a last id of 0 (or null, or "1") is a place the client may send
        refused_calmly(
            _emit(sock, "catch_up", {"conversations": {str(world.conversation_id): value}})
        )
    for key in (HUGE, str(MAX_ID + 1), "-1", "x", "1e300", "²"):
        refused_calmly(_emit(sock, "catch_up", {"conversations": {key: 0}}))
    refused_calmly(_emit(sock, "catch_up", {"conversations": 10**30}))
    fine = _emit(sock, "catch_up", {"conversations": {str(world.conversation_id): 0}})
    assert fine["ok"] is True
    assert [m["body"] for m in fine["messages"][str(world.conversation_id)]] == ["Coucou"]


@pytest.mark.parametrize(
    ("event", "who"),
    [("get_help_request", "bob"), ("get_help_details", "alice"), ("take_help_request", "bob")],
)
def test_help_request_events_refuse_odd_ids_with_a_message(socket_client, world, event, who):
    sock = socket_client(getattr(world, who))
    for value in ODD_VALUES:
        refused_calmly(_emit(sock, event, {"request_id": value}))
    refused_calmly(_emit(sock, event, 10**30))
    assert _emit(sock, event, {"request_id": world.request_id})["ok"] is True


# Case 3: NUL bytes --------------------------------------------------------------------------


def _stored_bodies(conversation_id: int) -> list[str]:
    db.session.expire_all()
    stmt = select(Message.body).where(Message.conversation_id == conversation_id)
    return list(db.session.scalars(stmt.order_by(Message.id)))


def test_a_message_with_nul_is_stored_without_it_by_every_road(client, login, socket_client, world):
    conversation = world.conversation_id
    login(world.alice)
    form = post(client, f"/messages/{conversation}", {"client_id": cid(), "body": "Bon\x00jour"})
    assert form.status_code == 302, form.get_data(as_text=True)[:300]
    url = f"/api/messaging/conversations/{conversation}/messages"
    sent = post_json(client, url, {"client_id": cid(), "body": "Sa\x00lut"})
    assert sent.status_code == 201 and sent.get_json()["message"]["body"] == "Salut"
    sock = socket_client(world.bob)
    ack = _emit(
        sock,
        "send_message",
        {"conversation_id": conversation, "client_id": cid(), "body": "Mer\x00ci"},
    )
    assert ack["ok"] is True and ack["message"]["body"] == "Merci"
    assert _stored_bodies(conversation)[-3:] == ["Bonjour", "Salut", "Merci"]


def test_a_ticket_reply_with_nul_is_stored_without_it(client, login, world):
    login(world.alice)
    answer = post(client, f"/tickets/{world.ticket_id}/reply", {"body": "Mer\x00ci\x00"})
    assert answer.status_code == 302
    db.session.expire_all()
    stmt = select(TicketUpdate.body).where(TicketUpdate.ticket_id == world.ticket_id)
    bodies = [b for b in db.session.scalars(stmt) if b]
    assert "Merci" in bodies and not any("\x00" in b for b in bodies)


def test_a_proposal_decision_with_nul_is_stored_without_it(client, login, world):
    login(world.coordinator)
    url = f"/activities/proposals/{world.proposal_id}/decline"
    assert post(client, url, {"message": "Pas\x00 cette fois"}).status_code == 302
    db.session.expire_all()
    proposal = db.session.get(Proposal, world.proposal_id)
    assert proposal.status.value == "declined"
    assert proposal.decision_message == "Pas cette fois"


def test_a_parcel_note_with_nul_is_stored_without_it(client, login, world):
    login(world.concierge)
    url = f"/desk/dwellings/{world.alice.dwelling_id}/parcels"
    data = {"carrier": "Chrono\x00post", "size": "small", "note": "Fra\x00gile"}
    assert post(client, url, data).status_code == 302
    db.session.expire_all()
    stmt = select(Parcel).where(Parcel.dwelling_id == world.alice.dwelling_id)
    latest = db.session.scalars(stmt.order_by(Parcel.id.desc())).first()
    assert (latest.carrier, latest.note) == ("Chronopost", "Fragile")


def test_a_file_name_with_nul_is_stored_without_it(client, login, world):
    login(world.concierge)
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    data = {
        "kind": "repair",
        "title": "Chau\x00dière",
        "happened_on": date.today().isoformat(),
        "body": "Révi\x00sion",
        "documents": (io.BytesIO(pdf), "factu\x00re.pdf"),
    }
    url = f"/desk/dwellings/{world.alice.dwelling_id}/logbook/new"
    answer = post(client, url, data, content_type="multipart/form-data")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    db.session.expire_all()
    titles = list(db.session.scalars(select(LogbookDocument.title)))
    assert titles and not any("\x00" in (t or "") for t in titles)


# Case 4: lone surrogates --------------------------------------------------------------------


def test_a_lone_surrogate_is_replaced_over_json_and_over_the_socket(
    client, login, socket_client, world
):
    conversation = world.conversation_id
    login(world.alice)
    url = f"/api/messaging/conversations/{conversation}/messages"
    # The escapes as they travel: a lone surrogate, then a real pair (an emoji).
    raw = '{"client_id": "' + cid() + '", "body": "a\\ud800b \\ud83d\\ude00"}'
    sent = client.post(
        url,
        data=raw,
        content_type="application/json",
        headers={"Accept": "application/json", "X-CSRFToken": csrf(client)},
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert sent.get_json()["message"]["body"] == "a\ufffdb 😀"  # a real pair stays itself
    sock = socket_client(world.bob)
    ack = _emit(
        sock,
        "send_message",
        {"conversation_id": conversation, "client_id": cid(), "body": "\ud800"},
    )
    assert ack["ok"] is True and ack["message"]["body"] == "\ufffd"
    assert _stored_bodies(conversation)[-2:] == ["a\ufffdb 😀", "\ufffd"]


# Case 5: deep JSON --------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 5000])
def test_deeply_nested_json_is_a_bad_request_with_a_message(client, login, world, depth):
    login(world.alice)
    url = f"/api/messaging/conversations/{world.conversation_id}/messages"
    answer = client.post(
        url,
        data="[" * depth + "]" * depth,
        content_type="application/json",
        headers={"Accept": "application/json", "X-CSRFToken": csrf(client)},
    )
    assert answer.status_code == 400
    assert answer.get_json()["ok"] is False and answer.get_json()["message"]


def _raw_emit(sock: Any, packet: str) -> Any:
    """Hand the server an EVENT packet as written on the wire (ack id 9); its answer."""
    db.session.commit()
    sock.acks = None
    socketio.server._handle_eio_message(sock.eio_sid, "29" + packet)
    return sock.acks["args"][0] if sock.acks else None


def test_a_deeply_nested_socket_packet_is_refused_with_a_message(socket_client, world):
    """The server cannot read it, yet the event's handler answers `bad_request` (no
    traceback, no silence); a packet whose event cannot even be named is dropped."""
    sock = socket_client(world.alice)
    for depth in (40, 5000):
        nested = "[" * depth + "]" * depth
        refused_calmly(_raw_emit(sock, '["typing",' + nested + "]"))
        refused_calmly(_raw_emit(sock, '["catch_up",{"conversations":' + nested + "}]"))
    assert _raw_emit(sock, "[" * 5000 + "]" * 5000) is None
    assert _raw_emit(sock, '["typing", not json') == {
        "ok": False,
        "error": "bad_request",
        "message": "The request could not be understood.",
    }
    ack = _emit(sock, "typing", {"conversation_id": world.conversation_id})
    assert ack["ok"] is True


# Forms sent as something else ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [[1, "two", [3]], 5, "text", None, {"body": [[1]], "internal": {"a": 1}}, {"body": 10**30}],
)
def test_a_form_sent_as_json_of_any_shape_is_refused_calmly(client, login, world, body):
    """Flask-WTF reads a JSON body as the form's fields: only text (and numbers, as text)
    reaches a field; anything else is no field, and the form refuses as usual."""
    login(world.alice)
    token = csrf(client)
    headers = {"X-CSRFToken": token}
    for url in (
        f"/tickets/{world.ticket_id}/reply",
        f"/messages/{world.conversation_id}",
        "/notifications/read",
        f"/activities/occurrences/{world.occurrence_id}/signup",
    ):
        answer = client.post(url, json=body, headers=headers)
        assert answer.status_code < 500, (url, answer.status_code)


def test_a_form_sent_as_a_json_object_of_text_still_works(client, login, world):
    login(world.alice)
    url = f"/tickets/{world.ticket_id}/reply"
    answer = client.post(url, json={"body": "Mer\u0000ci !"}, headers={"X-CSRFToken": csrf(client)})
    assert answer.status_code == 302
    db.session.expire_all()
    stmt = select(TicketUpdate.body).where(TicketUpdate.ticket_id == world.ticket_id)
    assert "Merci !" in list(db.session.scalars(stmt))


def test_an_api_call_with_a_forged_token_is_refused_in_json(client, login, world):
    login(world.alice)
    url = f"/api/messaging/conversations/{world.conversation_id}/messages"
    answer = client.post(
        url,
        json={"client_id": cid(), "body": "Coucou"},
        headers={"Accept": "application/json", "X-CSRFToken": "forged"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["ok"] is False and answer.get_json()["message"]


def test_a_multipart_part_without_a_name_is_no_field(client, login, world):
    login(world.alice)
    token = csrf(client)
    body = (
        b"--B\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n"
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--B\r\nContent-Disposition: form-data; name="body"\r\n\r\nMerci\r\n--B--\r\n'
    )
    answer = client.post(
        f"/tickets/{world.ticket_id}/reply",
        data=body,
        content_type="multipart/form-data; boundary=B",
    )
    assert answer.status_code == 302


# The error answers never fail themselves ----------------------------------------------------


def _text(status: int, locale: str) -> str:
    with force_locale(locale):
        return str(errors.ERROR_MESSAGES[status])


@pytest.fixture
def broken_error_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The error page cannot be drawn (a template error, say)."""

    def fail(template: str, **_context: Any) -> str:
        raise RuntimeError(f"cannot draw {template}")

    monkeypatch.setattr(errors, "render_template", fail)


def test_error_pages_that_cannot_be_drawn_answer_plain_translated_text(
    app, client, login, world, broken_error_page, monkeypatch
):
    login(world.alice)
    not_there = client.get("/no-such-page")
    assert not_there.status_code == 404 and not_there.mimetype == "text/plain"
    assert not_there.get_data(as_text=True) == _text(404, "en")
    missing = client.get(f"/messages/{MAX_ID}")  # a refusal from the service: NotFound
    assert missing.status_code == 404 and missing.get_data(as_text=True) == _text(404, "en")
    expired = client.post(f"/messages/{world.conversation_id}", data={"body": "x"})
    assert expired.status_code == 400 and expired.mimetype == "text/plain"

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(messaging, "list_conversations", crash)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    failed = client.get("/messages")
    assert failed.status_code == 500 and failed.mimetype == "text/plain"
    assert failed.get_data(as_text=True) == _text(500, "fr") != _text(500, "en")

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(messaging, "list_conversations", unreachable)
    away = client.get("/messages")
    assert away.status_code == 503 and away.get_data(as_text=True) == _text(503, "fr")


def test_error_page_rolls_a_failed_flush_back_before_reading(
    app, client, login, world, monkeypatch
):
    """A failed write leaves the session unusable; the page, which reads the database (as
    the top bar does), is drawn in full all the same."""
    login(world.alice)
    real_render = errors.render_template
    reads: list[int] = []

    def render_reading(template: str, **context: Any) -> str:
        reads.append(len(db.session.scalars(select(Person.id)).all()))
        return real_render(template, **context)

    def failing_write(*_args: Any, **_kwargs: Any) -> Any:
        db.session.add(Person(first_name=None))  # NOT NULL columns: the flush fails
        db.session.flush()

    monkeypatch.setattr(errors, "render_template", render_reading)
    monkeypatch.setattr(messaging, "list_conversations", failing_write)
    failed = client.get("/messages")
    assert failed.status_code == 500 and failed.mimetype == "text/html"
    assert _text(500, "en") in failed.get_data(as_text=True)
    assert reads and reads[0] >= 4
