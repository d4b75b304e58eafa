"""Faults: the database away for a moment, Redis restarting, a worker killed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from messaging import service
from messaging.models import Message
from portal.auth.service import do_issue_card
from portal.extensions import db
from portal.factory import create_app
from portal.realtime import RESYNC_EVENT
from tests.factories import make_building, make_resident
from tests.live import Listener, free_port, live_server, log_in_with_card
from tests.messaging.conftest import cid

REDIS_SERVER = shutil.which("redis-server")


@contextmanager
def database_away() -> Iterator[None]:
    """Every new database connection fails, as when the server restarts or fails over."""

    def refuse(*_args: object) -> None:
        raise OperationalError("connect", {}, ConnectionRefusedError("database is away"))

    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(db.engine, "do_connect", refuse)
        db.session.remove()


def test_a_send_while_the_database_is_away_fails_clearly_and_its_retry_lands_once(
    world, socket_client
):
    conversation_id = service.get_or_create_direct(world.alice, world.bob.id).id
    db.session.commit()  # database_away() starts a new session: the conversation must be kept
    alice = socket_client(world.alice)
    payload = {"conversation_id": conversation_id, "client_id": cid(), "body": "Tu es là ?"}
    with database_away():
        refused = alice.emit("send_message", payload, callback=True)
    assert refused["ok"] is False and refused["error"] == "unavailable"
    assert "unavailable" in refused["message"]
    retried = alice.emit("send_message", payload, callback=True)
    assert retried["ok"] is True and retried["duplicate"] is False
    again = alice.emit("send_message", payload, callback=True)
    assert again["duplicate"] is True
    assert db.session.query(Message).filter_by(conversation_id=conversation_id).count() == 1


def test_a_page_while_the_database_is_away_says_so_without_a_crash(world, login):
    client = login(world.alice)
    with database_away():
        page = client.get("/", headers={"Accept-Language": "en"})
        api = client.get("/api/messaging/unread")
    assert page.status_code == 503
    assert "briefly unavailable" in page.get_data(as_text=True)
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"


class PrivateRedis:
    """A Redis of this test's own (nothing on disk), to stop and start at will."""

    def __init__(self, port: int, folder: Path) -> None:
        assert REDIS_SERVER
        self.port, self.folder = port, folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing answers on port {port}")


def _seed_two_residents(uri: str) -> tuple[int, list[str]]:
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
    return conversation_id, cards


def _send(listener: Listener, conversation_id: int, body: str) -> dict:
    payload = {"conversation_id": conversation_id, "client_id": str(uuid.uuid4()), "body": body}
    ack = listener.client.call("send_message", payload, timeout=10)
    assert ack["ok"] is True, ack
    return ack["message"]


def _wait_for(listener: Listener, name: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(event_name == name for event_name, _ in listener.received):
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
def test_after_redis_restarts_clients_of_every_worker_catch_up(tmp_path):
    uri = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    conversation_id, cards = _seed_two_residents(uri)
    redis = PrivateRedis(free_port(), tmp_path)
    redis.start()
    env = {"REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"}
    try:
        with live_server(uri, tmp_path, env) as first, live_server(uri, tmp_path, env) as second:
            sender = Listener(first.url, log_in_with_card(first.url, cards[0]))
            receiver = Listener(second.url, log_in_with_card(second.url, cards[1]))
            try:
                _send(sender, conversation_id, "avant")
                redis.stop()
                # Sent while Redis is away: stored, but its live event is lost.
                lost = _send(sender, conversation_id, "pendant")
                redis.start()
                assert _wait_for(receiver, RESYNC_EVENT, 20), second.log()
                # One socket on that worker: its catch-up is spread over the shortest window.
                resyncs = [data for name, data in receiver.received if name == RESYNC_EVENT]
                assert resyncs[0] == {"window_s": 1}
                caught = receiver.client.call(
                    "catch_up", {"conversations": {str(conversation_id): 0}}, timeout=10
                )
                messages = caught["messages"][str(conversation_id)]
                assert [m["body"] for m in messages] == ["avant", "pendant"]
                assert messages[-1]["id"] == lost["id"]
                # Live delivery works again through the restarted Redis.
                receiver.received.clear()
                _send(sender, conversation_id, "après")
                assert _wait_for(receiver, service.EVENT_CREATED, 10), second.log()
            finally:
                sender.close()
                receiver.close()
    finally:
        redis.stop()


def test_clients_of_a_killed_worker_reconnect_to_another_and_catch_up(tmp_path, redis_url):
    uri = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    conversation_id, cards = _seed_two_residents(uri)
    env = {"REDIS_URL": redis_url}
    with live_server(uri, tmp_path, env) as first, live_server(uri, tmp_path, env) as second:
        sender = Listener(second.url, log_in_with_card(second.url, cards[0]))
        http = log_in_with_card(first.url, cards[1])
        receiver = Listener(first.url, http)
        try:
            seen = _send(sender, conversation_id, "un")["id"]
            assert _wait_for(receiver, service.EVENT_CREATED, 10)
            first.process.kill()  # SIGKILL: no goodbye
            first.process.wait(timeout=10)
            missed = _send(sender, conversation_id, "deux")
            receiver.close()
            # Same session cookie, another worker: the tablet's reconnect.
            moved = Listener(second.url, http)
            try:
                caught = moved.client.call(
                    "catch_up", {"conversations": {str(conversation_id): seen}}, timeout=10
                )
                assert [m["id"] for m in caught["messages"][str(conversation_id)]] == [missed["id"]]
            finally:
                moved.close()
        finally:
            sender.close()
