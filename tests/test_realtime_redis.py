"""Events published by another process reach sockets through the real Redis queue."""

from __future__ import annotations

import os
import re
import threading

import pytest
import requests
import socketio as socketio_client

from portal import realtime
from portal.auth.service import do_issue_card
from portal.extensions import db
from portal.factory import create_app
from tests.factories import make_building, make_resident
from tests.live import live_server

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL_TEST")
    if not url:
        pytest.skip("REDIS_URL_TEST is not set: no Redis to share events through")
    return url


def log_in_with_card(base_url: str, token: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base_url}/login/card/{token}", timeout=5)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert csrf, page.text
    response = http.post(
        f"{base_url}/login/card/{token}",
        data={"csrf_token": csrf.group(1)},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    return http


class Listener:
    """A python-socketio client that records every event it receives."""

    def __init__(self, base_url: str, http: requests.Session | None) -> None:
        self.client = socketio_client.Client(reconnection=False)
        self.received: list[tuple[str, object]] = []
        self.arrived = threading.Event()
        self.client.on("*", self._record)
        cookie = "; ".join(f"{k}={v}" for k, v in (http.cookies.items() if http else []))
        self.client.connect(base_url, headers={"Cookie": cookie}, transports=["websocket"])

    def _record(self, event: str, data: object = None) -> None:
        self.received.append((event, data))
        self.arrived.set()

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


def test_event_from_another_process_reaches_only_its_addressee(tmp_path, redis_url):
    uri = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    publisher = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri, "REDIS_URL": redis_url}
    )
    with publisher.app_context():
        db.create_all()
        building = make_building()
        alice, bob = make_resident(building), make_resident(building)
        alice_card, bob_card = (do_issue_card(p, issued_by=None) for p in (alice, bob))
        alice_id = alice.id

    with live_server(uri, tmp_path, {"REDIS_URL": redis_url}) as server:
        alice_socket = Listener(server.url, log_in_with_card(server.url, alice_card))
        bob_socket = Listener(server.url, log_in_with_card(server.url, bob_card))
        try:
            with publisher.app_context():
                realtime.publish("test.parcel_arrived", {"n": 1}, to=realtime.user_room(alice_id))
                db.session.commit()
            assert alice_socket.arrived.wait(10), server.log()
            assert alice_socket.received == [("test.parcel_arrived", {"n": 1})]
            assert not bob_socket.arrived.wait(1)
        finally:
            alice_socket.close()
            bob_socket.close()


def test_socket_without_a_session_is_refused(tmp_path, redis_url):
    uri = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
    with (
        live_server(uri, tmp_path, {"REDIS_URL": redis_url}) as server,
        pytest.raises(socketio_client.exceptions.ConnectionError),
    ):
        Listener(server.url, None)
