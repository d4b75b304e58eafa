"""Events published by another process reach sockets through the real Redis queue."""

from __future__ import annotations

import pytest
import socketio as socketio_client

from portal import realtime
from portal.auth.service import do_issue_card
from portal.extensions import db
from portal.factory import create_app
from tests.factories import make_building, make_resident
from tests.live import Listener, live_server, log_in_with_card

pytestmark = pytest.mark.redis


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
        db.session.commit()  # the server reads them from its own process

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
