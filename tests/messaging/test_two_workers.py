"""Two real server processes share events through the real Redis."""

from __future__ import annotations

import uuid

import pytest

from messaging import service
from portal.auth.service import do_issue_card
from portal.extensions import db
from portal.factory import create_app
from tests.factories import make_building, make_resident
from tests.live import Listener, live_server, log_in_with_card

pytestmark = pytest.mark.redis


def test_message_sent_through_one_worker_reaches_a_client_of_the_other(tmp_path, redis_url):
    uri = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        building = make_building()
        alice, bob = make_resident(building), make_resident(building)
        conversation_id = service.get_or_create_direct(alice, bob.id).id
        cards = [do_issue_card(p, issued_by=None) for p in (alice, bob)]
        db.session.commit()  # the servers read it from their own processes
        db.session.remove()
        db.engine.dispose()

    env = {"REDIS_URL": redis_url}
    with live_server(uri, tmp_path, env) as first, live_server(uri, tmp_path, env) as second:
        sender = Listener(first.url, log_in_with_card(first.url, cards[0]))
        receiver = Listener(second.url, log_in_with_card(second.url, cards[1]))
        try:
            client_id = str(uuid.uuid4())
            ack = sender.client.call(
                "send_message",
                {"conversation_id": conversation_id, "client_id": client_id, "body": "Salut"},
                timeout=10,
            )
            assert ack["ok"] is True, ack
            assert receiver.arrived.wait(10), second.log()
            created = [d for name, d in receiver.received if name == service.EVENT_CREATED]
            assert [(m["id"], m["body"]) for m in created] == [(ack["message"]["id"], "Salut")]
        finally:
            sender.close()
            receiver.close()
