"""Family circle pages, and the access matrix of the relative role: every route of the
application, every method, with real ids of every table; a relative reaches only their own
pages and the conversations of their circle, and sees nothing of the building."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from messaging import service as messaging
from messaging.family import service
from messaging.family.access import RELATIVE_ENDPOINTS
from messaging.models import Conversation, Report
from portal import mail
from portal.auth import confined
from portal.extensions import db
from portal.people.models import Person, Role
from portal.wellbeing import service as wellbeing
from tests.family.conftest import Cast, join, last_token, post, token
from tests.family.others import build_others, snapshot

HOME_REDIRECTS = {"home.index", "messaging.inbox"}
# Allowed endpoints that end the session: their own tests cover them.
SESSION_ENDING = {"auth.logout", "family.close_account"}

# Every endpoint a relative may reach, written out here rather than read from the code under
# test (portal.auth.confined, messaging.family.access); static files aside.
RELATIVE_PAGES = {
    # Their family pages, joining and logging in.
    "family.home",
    "family.resident",
    "family.close_account",
    "family.join",
    "family.login",
    "family.login_link",
    # The conversations of their circle (each route checks the conversation, message or file).
    "messaging.conversation",
    "messaging.send_from_form",
    "messaging.media",
    "messaging.api_messages",
    "messaging.api_send",
    "messaging.api_upload",
    "messaging.api_unread",
    "messaging.leave",
    "messaging.report",
    # Their call log and the people they may call.
    "calls.index",
    # Their notifications, settings, help page and avatars.
    "notifications.index",
    "notifications.api_unread",
    "notifications.open_one",
    "notifications.read_all",
    "home.settings",
    "home.help_page",
    "people.avatar",
    # What every confined person reaches: logging in and out, language, vendored files,
    # the health check, their data rights.
    "auth.login",
    "auth.logout",
    "auth.account_link",
    "home.set_language",
    "home.vendor",
    "health.healthz",
    "datarights.export_mine",
    "datarights.ask_erasure",
}
RELATIVE_BLUEPRINTS = {
    "family",
    "messaging",
    "calls",
    "notifications",
    "home",
    "people",
    "auth",
    "health",
    "datarights",
}
# Allowed endpoints that answer 404 to every request of the matrix: it holds no token, no
# file and no notification of the relative's (their own tests open them with real ones), and
# asking for erasure is for residents only (the route's own check answers 404).
NOTHING_OF_THEIRS_IN_THE_MATRIX = {
    "family.join",
    "family.login_link",
    "auth.account_link",
    "messaging.media",
    "notifications.open_one",
    "home.vendor",
    "datarights.ask_erasure",
}


def _is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


# The resident's side ---------------------------------------------------------------------


def test_resident_invites_from_my_family(client: FlaskClient, login, cast: Cast) -> None:
    login(cast.jeanne)
    page = client.get(f"/family/residents/{cast.jeanne.id}")
    assert page.status_code == 200
    assert client.get("/family").headers["Location"].endswith(f"/family/residents/{cast.jeanne.id}")
    answer = post(
        client,
        f"/family/residents/{cast.jeanne.id}/invite",
        {
            "first_name": "Julie",
            "last_name": "Martin",
            "relation": "my daughter",
            "channel": "email",
            "email": "julie@example.org",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    [sent] = mail.outbox()
    assert sent.to == ["julie@example.org"]
    circle = client.get(f"/family/residents/{cast.jeanne.id}").get_data(as_text=True)
    assert "Julie Martin" in circle


def test_invite_form_shows_the_refusal(client: FlaskClient, login, cast: Cast) -> None:
    login(cast.jeanne)
    answer = post(
        client,
        f"/family/residents/{cast.jeanne.id}/invite",
        {"first_name": "Julie", "last_name": "Martin", "channel": "email", "email": ""},
    )
    assert answer.status_code == 422
    assert mail.outbox() == []


def test_coordinator_must_tick_the_agreement(client: FlaskClient, login, cast: Cast) -> None:
    login(cast.coordinator)
    url = f"/family/residents/{cast.jeanne.id}/invite"
    fields = {"first_name": "Julie", "last_name": "M", "channel": "email", "email": "j@example.org"}
    assert post(client, url, fields).status_code == 422
    assert post(client, url, {**fields, "consent": "y"}).status_code == 302
    assert client.get("/family").status_code == 200  # the coordinator's list of residents


def test_others_cannot_see_or_change_a_circle(client: FlaskClient, login, cast: Cast) -> None:
    join(cast.jeanne, "julie@example.org")
    [link] = service.list_circle(cast.jeanne.id)
    for person in (cast.paul, cast.other_coordinator, cast.concierge, cast.outsider):
        login(person)
        assert client.get(f"/family/residents/{cast.jeanne.id}").status_code == 404
        assert client.get(f"/family/links/{link.id}/remove").status_code == 404
        assert post(client, f"/family/links/{link.id}/remove").status_code == 404
        assert (
            post(client, f"/family/links/{link.id}/visibility", {"check_in": "y"}).status_code
            == 404
        )
    assert service.in_circle(cast.jeanne.id, link.relative_id)


def test_remove_asks_then_removes(client: FlaskClient, login, cast: Cast) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    [link] = service.list_circle(cast.jeanne.id)
    login(cast.jeanne)
    confirm = client.get(f"/family/links/{link.id}/remove")
    assert confirm.status_code == 200
    assert service.in_circle(cast.jeanne.id, relative.id)
    assert post(client, f"/family/links/{link.id}/remove").status_code == 302
    assert not service.in_circle(cast.jeanne.id, relative.id)


def test_resident_ticks_what_a_relative_sees(client: FlaskClient, login, cast: Cast) -> None:
    join(cast.jeanne, "julie@example.org")
    [link] = service.list_circle(cast.jeanne.id)
    login(cast.jeanne)
    assert post(client, f"/family/links/{link.id}/visibility", {"check_in": "y"}).status_code == 302
    db.session.refresh(link)
    assert link.sees_check_in and not link.sees_activities
    assert post(client, f"/family/links/{link.id}/emergency", {"named": "1"}).status_code == 302
    db.session.refresh(link)
    assert link.emergency_contact_id is not None


# The relative's side --------------------------------------------------------------------


def test_relative_joins_by_the_link_and_lands_on_their_family(
    client: FlaskClient, cast: Cast
) -> None:
    service.do_invite(
        cast.jeanne, cast.jeanne.id, first_name="Julie", last_name="Martin", email="j@example.org"
    )
    db.session.commit()
    url = f"/family/join/{last_token()}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    answer = client.post(
        url,
        data={
            "csrf_token": csrf,
            "first_name": "Julie",
            "last_name": "Martin",
            "email": "j@example.org",
            "method": "password",
            "password": "a long enough secret",
            "confirm": "a long enough secret",
        },
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/family")
    home = client.get("/family").get_data(as_text=True)
    assert cast.jeanne.full_name in home
    assert client.get("/").headers["Location"].endswith("/family")
    # The link worked once.
    assert client.get(url).status_code == 404


def test_relative_logs_in_with_password_or_link(client: FlaskClient, cast: Cast) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    page = client.get("/family/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    sent = client.post(
        "/family/login", data={"csrf_token": csrf, "email": relative.email, "action": "link"}
    )
    assert sent.status_code == 200
    url = f"/family/login/{last_token('login')}"
    assert client.get(url).status_code == 200
    html = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    assert client.post(url, data={"csrf_token": csrf}).status_code == 302
    assert client.get("/family").status_code == 200


def test_relative_sees_the_news_the_resident_shares(client: FlaskClient, login, cast: Cast) -> None:
    relative = join(cast.jeanne, "julie@example.org")
    login(relative)
    page = client.get(f"/family/with/{cast.jeanne.id}").get_data(as_text=True)
    assert "check-in-state" not in page
    [link] = service.list_circle(cast.jeanne.id)
    service.do_set_visibility(cast.jeanne, link.id, activities_shown=False, check_in_shown=True)
    wellbeing.do_opt_in(cast.jeanne)
    db.session.commit()
    page = client.get(f"/family/with/{cast.jeanne.id}").get_data(as_text=True)
    assert 'data-state="waiting"' in page
    wellbeing.do_check_in(cast.jeanne)
    db.session.commit()
    page = client.get(f"/family/with/{cast.jeanne.id}").get_data(as_text=True)
    assert 'data-state="done"' in page
    assert client.get(f"/family/with/{cast.paul.id}").status_code == 404


# The access matrix ----------------------------------------------------------------------


@dataclass
class Matrix:
    relative: Person
    own_ids: set[int]


def _fill(rule: str, value: int) -> str:
    """The rule's path with `value` for every number and a plausible word for the rest."""
    path = re.sub(r"<(?:int|bigid):[a-z_]+>", str(value), rule)
    path = re.sub(r"<(?:path:)?filename>", "x.css", path)
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "x", path)


@pytest.fixture
def matrix(app: Flask, cast: Cast) -> Matrix:
    """A relative in Jeanne's circle, and a building full of things they must not see."""
    from tests.datarights.world import build_world

    build_world()
    relative = join(cast.jeanne, "julie@example.org")
    [link] = service.list_circle(cast.jeanne.id)
    neighbours = messaging.get_or_create_direct(cast.jeanne, cast.paul.id)
    messaging.do_send_message(cast.paul, neighbours.id, client_id="c-paul-0001", body="hello")
    messaging.do_send_message(relative, link.conversation_id, client_id="c-julie-001", body="hi")
    db.session.commit()
    return Matrix(relative, {link.conversation_id})


def test_every_route_is_closed_to_a_relative_but_their_own(
    app: Flask, client: FlaskClient, login, matrix: Matrix
) -> None:
    login(matrix.relative)
    csrf = token(client)
    top = max(
        db.session.scalar(select(db.func.max(Person.id))),
        db.session.scalar(select(db.func.max(Conversation.id))),
    )
    checked = 0
    opened: set[str] = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        allowed = rule.endpoint in RELATIVE_PAGES or _is_static(rule.endpoint)
        if rule.endpoint in SESSION_ENDING:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            values = range(1, top + 1) if "<int:" in rule.rule or "<bigid:" in rule.rule else [0]
            for value in values:
                url = _fill(rule.rule, value)
                answer = client.open(
                    url,
                    method=method,
                    data={"csrf_token": csrf},
                    headers={"X-CSRFToken": csrf},
                )
                checked += 1
                if allowed:
                    assert answer.status_code < 500, (rule.endpoint, method, url)
                    if answer.status_code != 404:
                        opened.add(rule.endpoint)
                    continue
                if rule.endpoint in HOME_REDIRECTS and method == "GET":
                    assert answer.status_code == 302, (method, url)
                    assert answer.headers["Location"].endswith("/family"), (method, url)
                    continue
                assert answer.status_code == 404, (rule.endpoint, method, url, answer.status_code)
                if "<int:" not in rule.rule and "<bigid:" not in rule.rule:
                    break
    assert checked > 200
    # Each page of the list really opens (not a 404 of the confinement), but those the
    # matrix has nothing for.
    expected = RELATIVE_PAGES - SESSION_ENDING - NOTHING_OF_THEIRS_IN_THE_MATRIX
    assert {e for e in opened if not _is_static(e)} == expected


def test_the_app_allows_a_relative_exactly_the_written_endpoints(app: Flask) -> None:
    """The confinement's registrations (every domain's `confine`) add up to the list above:
    an endpoint opened by mistake, or one closed by mistake, fails here."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= RELATIVE_PAGES  # the list names real endpoints
    allowed = {e for e in endpoints if confined.endpoint_allowed(Role.RELATIVE, e)}
    assert {e for e in allowed if not _is_static(e)} == RELATIVE_PAGES
    blueprints = {e.split(".")[0] for e in allowed if not _is_static(e)}
    assert blueprints <= RELATIVE_BLUEPRINTS, blueprints - RELATIVE_BLUEPRINTS


def test_allowed_routes_show_only_the_circle(
    app: Flask, client: FlaskClient, login, matrix: Matrix, cast: Cast
) -> None:
    """The messaging pages a relative may open answer 404 for every conversation, message,
    picture and file but those of their circle."""
    login(matrix.relative)
    conversations = db.session.scalars(select(Conversation.id)).all()
    assert len(conversations) > len(matrix.own_ids)
    for conversation_id in conversations:
        page = client.get(f"/messages/{conversation_id}")
        api = client.get(f"/api/messaging/conversations/{conversation_id}/messages")
        expected = 200 if conversation_id in matrix.own_ids else 404
        assert page.status_code == expected, conversation_id
        assert api.status_code == expected, conversation_id
    for person_id in db.session.scalars(select(Person.id)).all():
        picture = client.get(f"/people/{person_id}/avatar.svg")
        visible = person_id in {matrix.relative.id, cast.jeanne.id}
        assert picture.status_code == (200 if visible else 404), person_id
    unread = client.get("/api/messaging/unread").get_json()
    assert unread is not None


def test_allowed_routes_refuse_someone_elses_files_messages_and_groups(
    client: FlaskClient, login, cast: Cast, julie: Person
) -> None:
    """The messaging routes open to a relative (a file, reporting, leaving, sending) answer
    404 for the resident's other conversations, the building's announcements and another
    family's group, and change nothing."""
    others = build_others(cast)
    login(julie)
    csrf = token(client)
    as_json = {"Accept": "application/json", "X-CSRFToken": csrf}
    before = snapshot()
    for attachment_id in others.attachment_ids:
        assert client.get(f"/media/{attachment_id}").status_code == 404, attachment_id
        assert client.get(f"/media/{attachment_id}?size=thumb").status_code == 404, attachment_id
    for message_id in others.message_ids:
        url = f"/messages/report/{message_id}"
        assert post(client, url, {"reason": "spam"}).status_code == 404, message_id
        answer = client.post(url, data={"csrf_token": csrf}, headers=as_json)
        assert answer.status_code == 404, message_id
        assert answer.get_json()["error"] == "not_found", message_id
    for conversation_id in others.conversation_ids:
        leave = f"/messages/{conversation_id}/leave"
        assert client.get(leave).status_code == 404, conversation_id
        assert post(client, leave).status_code == 404, conversation_id
        sent = post(client, f"/messages/{conversation_id}", {"body": "coucou"})
        assert sent.status_code == 404, conversation_id
        api = client.post(
            f"/api/messaging/conversations/{conversation_id}/messages",
            json={"client_id": f"c-julie-{conversation_id:04d}", "body": "coucou"},
            headers=as_json,
        )
        assert api.status_code == 404 and api.get_json()["error"] == "not_found", conversation_id
    assert snapshot() == before
    # The same routes work on what is hers: the 404s above are the objects', not the role's.
    [link] = service.list_residents_of(julie)
    mine = messaging.do_send_message(
        cast.jeanne, link.conversation_id, client_id="c-jeanne-001", body="Bisous"
    ).message
    assert post(client, f"/messages/report/{mine.id}", {"reason": "test"}).status_code == 302
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 1
    back = client.get(f"/messages/{link.conversation_id}/leave")
    assert back.status_code == 302 and back.headers["Location"].endswith(
        f"/messages/{link.conversation_id}"
    )


def test_relative_pages_name_nothing_of_the_building(
    client: FlaskClient, login, matrix: Matrix, cast: Cast
) -> None:
    login(matrix.relative)
    for url in (
        "/family",
        f"/family/with/{cast.jeanne.id}",
        "/settings",
        "/help",
        "/notifications",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert cast.building.name not in html, url
        assert cast.paul.last_name not in html, url
        assert "/directory" not in html and "/neighbours" not in html, url


def test_relative_role_is_registered_as_confined() -> None:
    assert confined.is_confined(Role.RELATIVE)
    assert all(confined.endpoint_allowed(Role.RELATIVE, e) for e in RELATIVE_ENDPOINTS)
    for hidden in (
        "people.neighbours",
        "announcements.index",
        "concierge.help_board",
        "messaging.new_message",
        "messaging.start_direct",
        "activities.calendar",
    ):
        assert not confined.endpoint_allowed(Role.RELATIVE, hidden), hidden
    # Unconfined roles are untouched.
    assert confined.endpoint_allowed(Role.RESIDENT, "people.neighbours")
