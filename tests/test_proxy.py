"""Behind a reverse proxy (BV_PROXY_HOPS): each real client is counted, links and HSTS follow
the public address the proxy forwards, and nobody can fake those headers past it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from activities import service as activities
from portal.auth import service as auth
from portal.config import ENV_KEYS, ConfigError, from_env
from portal.extensions import db as _db
from portal.factory import create_app
from portal.people.models import Person, Role
from portal.security import STRICT_TRANSPORT_SECURITY
from tests import conftest
from tests.activities.test_service import make_activity
from tests.factories import STAFF_PASSWORD, make_building, make_resident, make_staff

PUBLIC_HOST = "bonvoisin.example.org"
ALICE = "203.0.113.10"
BRUNO = "203.0.113.20"


@pytest.fixture
def hops() -> int:
    """BV_PROXY_HOPS for the app of the test: one nginx in front, unless a test says 0."""
    return 1


@pytest.fixture
def app(tmp_path: Path, hops: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The conftest app, created with BV_PROXY_HOPS=<hops> read from the environment (and
    no other setting from it)."""
    for variable in ENV_KEYS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("BV_PROXY_HOPS", str(hops))
    with conftest.test_database(tmp_path) as uri:
        application = create_app(
            {
                **conftest.TEST_CONFIG,
                "READ_ENV": True,
                "SQLALCHEMY_DATABASE_URI": uri,
                "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
            }
        )
        application.test_client_class = conftest.IsolatedClient
        with application.app_context():
            _db.create_all()
            yield application
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


def behind_nginx(
    client: FlaskClient, address: str, *, scheme: str = "https", forwarded_for: str | None = None
) -> FlaskClient:
    """Send every request of `client` as deploy/nginx.conf forwards it for a browser at
    `address` (the worker itself sees nginx, 127.0.0.1). `forwarded_for` is what arrives
    when the browser sent an X-Forwarded-For of its own (nginx appends to it)."""
    client.environ_base.update(
        {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_X_FORWARDED_FOR": forwarded_for or address,
            "HTTP_X_FORWARDED_PROTO": scheme,
            "HTTP_X_FORWARDED_HOST": PUBLIC_HOST,
            "HTTP_X_FORWARDED_PORT": "443" if scheme == "https" else "80",
            # Browsers send it; over HTTPS the CSRF check compares it with the public host.
            "HTTP_REFERER": f"{scheme}://{PUBLIC_HOST}/",
        }
    )
    return client


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def staff_login(client: FlaskClient, email: str, password: str) -> int:
    token = csrf_token(client, "/login/staff")
    data = {"csrf_token": token, "email": email, "password": password}
    return client.post("/login/staff", data=data).status_code


def fail_staff_logins(client: FlaskClient, times: int) -> None:
    """Wrong passwords for as many different emails: only the per-client limit counts."""
    for attempt in range(times):
        assert staff_login(client, f"nobody{attempt}@example.org", "wrong password") == 422


def staff_limit(app: Flask) -> int:
    return int(app.config["AUTH_STAFF_LOGIN_LIMIT"].split()[0])


# --- Configuration -------------------------------------------------------------------------


def test_proxy_hops_are_read_from_the_environment(app: Flask):
    assert from_env({"BV_PROXY_HOPS": "2"}) == {"PORTAL_PROXY_HOPS": 2}
    assert app.config["PORTAL_PROXY_HOPS"] == 1


def test_no_proxy_is_trusted_by_default():
    app = create_app(dict(conftest.TEST_CONFIG))
    assert app.config["PORTAL_PROXY_HOPS"] == 0


def test_a_negative_number_of_proxies_is_refused():
    with pytest.raises(ConfigError, match="BV_PROXY_HOPS"):
        create_app({**conftest.TEST_CONFIG, "PORTAL_PROXY_HOPS": -1})


# --- Rate limits count each real client ---------------------------------------------------


def test_staff_login_limits_each_forwarded_address_separately(app: Flask):
    alice = behind_nginx(app.test_client(), ALICE)
    bruno = behind_nginx(app.test_client(), BRUNO)
    coordinator = make_staff(Role.COORDINATOR)
    fail_staff_logins(alice, staff_limit(app))
    assert staff_login(alice, coordinator.email, STAFF_PASSWORD) == 429
    assert staff_login(bruno, coordinator.email, STAFF_PASSWORD) == 302


@pytest.mark.parametrize("hops", [0])
def test_without_trusted_proxies_the_forwarded_address_is_ignored(app: Flask):
    alice = behind_nginx(app.test_client(), ALICE)
    coordinator = make_staff(Role.COORDINATOR)
    fail_staff_logins(alice, staff_limit(app))
    # Writing another address in X-Forwarded-For does not make a new client.
    pretender = behind_nginx(app.test_client(), BRUNO)
    assert staff_login(pretender, coordinator.email, STAFF_PASSWORD) == 429


def test_only_the_address_the_trusted_proxy_wrote_counts(app: Flask):
    """More forwarded hops than configured: what the client wrote before nginx's entry is
    ignored, so changing it at every try escapes nothing."""
    coordinator = make_staff(Role.COORDINATOR)
    for attempt in range(staff_limit(app)):
        forged = f"198.51.100.{attempt + 1}, {ALICE}"
        alice = behind_nginx(app.test_client(), ALICE, forwarded_for=forged)
        assert staff_login(alice, f"nobody{attempt}@example.org", "wrong password") == 422
    again = behind_nginx(app.test_client(), ALICE, forwarded_for=f"198.51.100.99, {ALICE}")
    assert staff_login(again, coordinator.email, STAFF_PASSWORD) == 429
    # The forged addresses were never counted as clients of their own.
    forged_one = behind_nginx(app.test_client(), "198.51.100.1")
    assert staff_login(forged_one, coordinator.email, STAFF_PASSWORD) == 302


def enrol_tablet(client: FlaskClient, resident: Person) -> None:
    """Log in once with the resident's card: the tablet then offers photo login."""
    path = f"/login/card/{auth.do_issue_card(resident, issued_by=None)}"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 302


def pin_login(client: FlaskClient, resident: Person, pin: str, token: str) -> int:
    return client.post(
        f"/login/pin/{resident.id}", data={"csrf_token": token, "pin": pin}
    ).status_code


@pytest.mark.parametrize(("hops", "other_tablet_answer"), [(1, 302), (0, 429)])
def test_photo_login_throttle_counts_each_tablet_address(app: Flask, other_tablet_answer: int):
    building = make_building()
    jeanne = make_resident(building, pin="2580")
    marcel = make_resident(building, first_name="Marcel", pin="1357")
    first_tablet = behind_nginx(app.test_client(), ALICE)
    other_tablet = behind_nginx(app.test_client(), BRUNO)
    enrol_tablet(first_tablet, jeanne)
    enrol_tablet(other_tablet, marcel)
    token = csrf_token(first_tablet, f"/login/pin/{jeanne.id}")
    limit = int(app.config["AUTH_PIN_LOGIN_LIMIT"].split()[0])
    for _ in range(limit):
        assert pin_login(first_tablet, jeanne, "0000", token) == 422
    assert pin_login(first_tablet, jeanne, "2580", token) == 429
    other_token = csrf_token(other_tablet, f"/login/pin/{marcel.id}")
    assert pin_login(other_tablet, marcel, "1357", other_token) == other_tablet_answer


# --- External links carry the public scheme and host --------------------------------------


@pytest.fixture
def coordinator_behind_nginx(
    app: Flask, login: Callable[..., FlaskClient]
) -> tuple[FlaskClient, Person]:
    coordinator = make_staff(Role.COORDINATOR)
    return login(coordinator, behind_nginx(app.test_client(), ALICE)), coordinator


def card_links(html: str) -> list[str]:
    return re.findall(r"[a-z]+://[^\s\"<]*/login/card/[A-Za-z0-9_\-]+", html)


def test_a_printed_card_links_to_the_public_https_address(coordinator_behind_nginx):
    client, coordinator = coordinator_behind_nginx
    resident = make_resident(coordinator.building)
    answer = client.post(
        f"/staff/residents/{resident.id}/card", data={"csrf_token": csrf_token(client)}
    )
    assert answer.status_code == 200
    links = card_links(answer.get_data(as_text=True))
    assert links and all(link.startswith(f"https://{PUBLIC_HOST}/login/card/") for link in links)


def test_cards_printed_for_a_building_link_to_the_public_https_address(coordinator_behind_nginx):
    client, coordinator = coordinator_behind_nginx
    building = coordinator.building
    make_resident(building, first_name="Rose")
    make_resident(building, first_name="Paul")
    data = {"csrf_token": csrf_token(client), "scope": "without_card"}
    answer = client.post(f"/staff/buildings/{building.id}/cards", data=data)
    assert answer.status_code == 200
    links = card_links(answer.get_data(as_text=True))
    assert len(set(links)) == 2
    assert all(link.startswith(f"https://{PUBLIC_HOST}/login/card/") for link in links)


def test_a_forwarded_prefix_is_not_trusted(coordinator_behind_nginx):
    """nginx serves the portal at the root and sets no prefix: one a client sends is ignored."""
    client, coordinator = coordinator_behind_nginx
    resident = make_resident(coordinator.building)
    client.environ_base["HTTP_X_FORWARDED_PREFIX"] = "/elsewhere"
    answer = client.post(
        f"/staff/residents/{resident.id}/card", data={"csrf_token": csrf_token(client)}
    )
    links = card_links(answer.get_data(as_text=True))
    assert links and all(link.startswith(f"https://{PUBLIC_HOST}/login/card/") for link in links)


@pytest.mark.parametrize("hops", [0])
def test_without_trusted_proxies_links_keep_the_workers_own_address(coordinator_behind_nginx):
    client, coordinator = coordinator_behind_nginx
    resident = make_resident(coordinator.building)
    answer = client.post(
        f"/staff/residents/{resident.id}/card", data={"csrf_token": csrf_token(client)}
    )
    links = card_links(answer.get_data(as_text=True))
    assert links and all(link.startswith("http://localhost/login/card/") for link in links)


def test_the_calendar_feed_link_and_its_events_use_the_public_https_address(
    app: Flask, login: Callable[..., FlaskClient]
):
    building = make_building()
    occurrence = make_activity(make_staff(Role.COORDINATOR, [building]), building).occurrences[0]
    resident = make_resident(building)
    activities.do_sign_up(resident, occurrence.id)
    client = login(resident, behind_nginx(app.test_client(), ALICE))
    page = "/activities/my-calendar"
    html = client.post(page, data={"csrf_token": csrf_token(client, page)}).get_data(as_text=True)
    match = re.search(r"[a-z]+://[^\s\"<]*/activities/feed/[^\s\"<]+\.ics", html)
    assert match and match.group(0).startswith(f"https://{PUBLIC_HOST}/activities/feed/")
    calendar_app = behind_nginx(app.test_client(), BRUNO)
    feed = calendar_app.get(match.group(0).removeprefix(f"https://{PUBLIC_HOST}"))
    assert feed.status_code == 200
    (event,) = Calendar.from_ical(feed.data).walk("VEVENT")
    assert str(event["URL"]).startswith(f"https://{PUBLIC_HOST}/activities/")
    one_date = client.get(f"/activities/occurrences/{occurrence.id}.ics")
    (event,) = Calendar.from_ical(one_date.data).walk("VEVENT")
    assert str(event["URL"]).startswith(f"https://{PUBLIC_HOST}/activities/")


# --- HSTS over HTTPS only ------------------------------------------------------------------


def test_hsts_is_sent_over_forwarded_https(app: Flask):
    response = behind_nginx(app.test_client(), ALICE).get("/login")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == STRICT_TRANSPORT_SECURITY
    max_age = int(re.search(r"max-age=(\d+)", STRICT_TRANSPORT_SECURITY).group(1))
    assert max_age >= 365 * 24 * 3600
    assert "includeSubDomains" in STRICT_TRANSPORT_SECURITY


def test_hsts_is_sent_on_refusals_too(app: Flask):
    response = behind_nginx(app.test_client(), ALICE).get("/no-such-page")
    assert response.status_code == 404
    assert "Strict-Transport-Security" in response.headers


def test_hsts_is_not_sent_over_http(app: Flask):
    forwarded_http = behind_nginx(app.test_client(), ALICE, scheme="http").get("/login")
    assert "Strict-Transport-Security" not in forwarded_http.headers
    direct = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in direct.headers


@pytest.mark.parametrize("hops", [0])
def test_without_trusted_proxies_a_forwarded_https_is_not_believed(app: Flask):
    response = behind_nginx(app.test_client(), ALICE).get("/login")
    assert "Strict-Transport-Security" not in response.headers


# --- Socket.IO through the proxy -----------------------------------------------------------


def socket_handshake(client: FlaskClient, origin: str) -> int:
    """Open an Engine.IO session by long-polling, as the browser's first request does."""
    path = "/socket.io/?EIO=4&transport=polling"
    return client.get(path, headers={"Origin": origin}).status_code


def test_sockets_from_the_public_origin_are_accepted_behind_the_proxy(app: Flask):
    client = behind_nginx(app.test_client(), ALICE)
    assert socket_handshake(client, f"https://{PUBLIC_HOST}") == 200
    assert socket_handshake(client, "https://elsewhere.example") == 400
