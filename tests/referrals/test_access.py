"""The partner role's access matrix: every route of the app and every Socket.IO event.

A partner reaches their referral pages, their settings, help, their notifications and their
data rights; every other endpoint answers 404 (default-deny, portal.auth.confined), and
every client-to-server event but the page's heartbeat and whoami is refused."""

from __future__ import annotations

import re

import pytest

from portal.auth import confined
from portal.extensions import socketio
from portal.people.models import Role
from tests.referrals.conftest import Cast, send, token

# What a partner may open (beside the base endpoints every confined role has).
PARTNER_PAGES = {
    "referrals.mine",
    "referrals.mine_list",
    "referrals.new",
    "home.settings",
    "home.help_page",
    "notifications.index",
    "notifications.open_one",
    "notifications.read_all",
    "notifications.api_unread",
    "people.avatar",
}
# Opening these logs the partner out or downloads their data: checked once, at the end.
LEAVING = {"auth.logout", "datarights.ask_erasure"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
CLIENT_EVENTS_BUILT_IN = {"connect", "disconnect"}


def rules(app):
    """(endpoint, method, path) for every rule and method of the app, ids filled with 1."""
    found = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - SKIPPED_METHODS):
            found.append((rule.endpoint, method, path))
    return found


def test_the_partner_role_is_confined_to_its_pages(app):
    assert confined.is_confined(Role.PARTNER)
    assert confined.home_endpoint(Role.PARTNER) == "referrals.mine"
    for endpoint in PARTNER_PAGES:
        assert confined.endpoint_allowed(Role.PARTNER, endpoint), endpoint


def test_every_other_route_answers_404_to_a_partner(app, client, login, cast: Cast):
    send(cast)  # a referral exists (id 1): the staff's pages of it stay closed too
    login(cast.partner)
    csrf = token(client)
    opened = []
    for endpoint, method, path in rules(app):
        if endpoint in LEAVING or endpoint == "auth.account_link":
            continue
        response = client.open(path, method=method, data={"csrf_token": csrf})
        if confined.endpoint_allowed(Role.PARTNER, endpoint):
            assert response.status_code < 500, (endpoint, method, response.status_code)
            opened.append(endpoint)
        elif endpoint == "home.index":
            assert response.status_code == 302
            assert response.headers["Location"].endswith("/referrals")
        else:
            assert response.status_code == 404, (endpoint, method, response.status_code)
    assert {"referrals.mine", "referrals.new", "home.settings"} <= set(opened)
    blueprints = {"referrals", "home", "notifications", "people", "datarights", "health", "auth"}
    strays = [e for e in opened if e.split(".")[0] not in blueprints and not e.endswith("static")]
    assert strays == []


@pytest.mark.parametrize(
    "path",
    [
        "/staff/referrals",
        "/staff/referrals/1",
        "/staff/partners",
        "/api/referrals/badge",
        "/directory",
        "/messages",
        "/announcements",
        "/wellbeing/to-call",
    ],
)
def test_partner_never_reads_the_staffs_or_residents_pages(client, login, cast: Cast, path):
    send(cast)
    login(cast.partner)
    assert client.get(path).status_code == 404


def test_a_partner_reads_their_own_referrals_only(client, login, cast: Cast):
    send(cast, text="Seen by Sonia.")
    send(cast, cast.other_partner, text="Seen by Marc.")
    login(cast.partner)
    for path in ("/referrals", "/referrals/list"):
        page = client.get(path).get_data(as_text=True)
        assert "Seen by Sonia." not in page  # the partner's own words are not echoed back
        assert "Seen by Marc." not in page
        assert page.count("data-referral=") == 1


def test_every_socket_event_but_heartbeat_and_whoami_is_refused(socket_client, cast: Cast):
    sock = socket_client(cast.partner)
    events = set(socketio.server.handlers["/"]) - CLIENT_EVENTS_BUILT_IN
    assert len(events) > 5  # the app's events are all here
    allowed = confined.allowed_events(Role.PARTNER)
    assert allowed == {"heartbeat", "whoami"}
    for name in sorted(events):
        ack = sock.emit(name, {}, callback=True)
        if name in allowed:
            assert ack["ok"] is True, name
        else:
            assert ack["ok"] is False and ack["error"] == "not_found", (name, ack)
    assert sock.emit("whoami", {}, callback=True)["buildings"] == []


def test_leaving_pages_stay_open_to_a_partner(client, login, cast: Cast):
    login(cast.partner)
    assert client.post("/my-data", data={"csrf_token": token(client)}).status_code == 200
    response = client.post("/logout", data={"csrf_token": token(client)})
    assert response.status_code == 302
