"""Fail fast: work that cannot get a database connection soon is refused at once with
`unavailable` and a retry-after hint, never queued blind (a socket connection waits a
bounded time for a place, among a bounded number of others); refusals are counted."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from messaging import service
from portal import admission
from portal.config import from_env
from portal.db import TurnNotFree, one_at_a_time, plan_pools
from portal.extensions import db as _db
from portal.factory import create_app
from tests import conftest
from tests.conftest import TEST_CONFIG, IsolatedClient, on_postgresql
from tests.factories import make_building, make_resident
from tests.queries import statements

POOL_TIMEOUT = 0.2  # seconds: small, so that a test waiting for the pool stays short


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The test app with one database connection per worker and a short wait for it."""
    with conftest.test_database(tmp_path) as uri:
        tight = {
            "SQLALCHEMY_DATABASE_URI": uri,
            "PORTAL_UPLOAD_DIR": str(tmp_path / "uploads"),
            # PostgreSQL: a pool of one; SQLite: the one serialised connection.
            "DB_POOL_SIZE": 1,
            "DB_MAX_OVERFLOW": 0,
            "DB_POOL_TIMEOUT": POOL_TIMEOUT,
            "SQLITE_SERIALIZE": not on_postgresql(),
            "SQLITE_POOL_TIMEOUT": POOL_TIMEOUT,
            "DB_ADMISSION_LIMIT": 4,
        }
        application = create_app({**TEST_CONFIG, **tight})
        application.test_client_class = IsolatedClient
        with application.app_context():
            _db.create_all()
            yield application
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


@pytest.fixture
def pair(app):
    building = make_building()
    alice, bob = make_resident(building), make_resident(building)
    conversation_id = service.get_or_create_direct(alice, bob.id).id
    _db.session.commit()
    return alice, bob, conversation_id


def _send(sock, conversation_id: int) -> dict:
    payload = {"conversation_id": conversation_id, "client_id": str(uuid.uuid4()), "body": "Hi"}
    return sock.emit("send_message", payload, callback=True)


def _hold_every_connection() -> object:
    """Take the pool's only connection, as a burst of other requests would."""
    _db.session.commit()
    _db.session.close()
    return _db.engine.connect()


def test_a_send_with_the_pool_exhausted_answers_unavailable_within_two_seconds(
    app, pair, socket_client
):
    alice, _bob, conversation_id = pair
    sock = socket_client(alice)
    held = _hold_every_connection()
    try:
        started = time.monotonic()
        ack = _send_without_commit(sock, conversation_id)
        waited = time.monotonic() - started
    finally:
        held.close()
    assert ack["ok"] is False and ack["error"] == "unavailable"
    assert "unavailable" in ack["message"]
    assert ack["retry_after"] == app.config["DB_RETRY_AFTER"]
    assert waited < 2  # the bound; the pool's wait is POOL_TIMEOUT
    assert admission.of(app).refused["pool_timeout"] == 1
    assert _send(sock, conversation_id)["ok"] is True  # once a connection is free again


def _send_without_commit(sock, conversation_id: int) -> dict:
    """Emit without the test client's commit first (the test holds the only connection)."""
    payload = {"conversation_id": conversation_id, "client_id": str(uuid.uuid4()), "body": "Hi"}
    return super(type(sock), sock).emit("send_message", payload, callback=True)


def test_a_page_and_an_api_call_with_the_pool_exhausted_answer_503_with_retry_after(
    app, pair, login
):
    alice, _bob, _conversation_id = pair
    client = login(alice)
    client.get("/")  # warm: the first request loads what every page needs
    held = _hold_every_connection()
    try:
        api = client.open("/api/messaging/unread")
        page = client.open("/", headers={"Accept-Language": "en"})
    finally:
        held.close()
    assert api.status_code == 503 and api.headers["Retry-After"] == "2"
    assert api.get_json()["error"] == "unavailable" and api.get_json()["retry_after"] == 2
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert "briefly unavailable" in page.get_data(as_text=True)


def test_past_the_admission_limit_an_event_is_refused_before_touching_the_database(
    app, pair, socket_client, client
):
    alice, _bob, conversation_id = pair
    sock = socket_client(alice)
    gate = admission.of(app)
    for _ in range(gate.limit):
        gate.enter()
    try:
        _db.session.commit()
        with statements() as seen:
            ack = _send_without_commit(sock, conversation_id)
        health = client.get("/healthz").get_json()
    finally:
        for _ in range(gate.limit):
            gate.leave()
    assert ack["ok"] is False and ack["error"] == "unavailable" and ack["retry_after"] == 2
    assert seen == []
    assert health["status"] == "ok"  # shedding load is not a failure
    figures = health["details"]["admission"]
    assert figures["refused"] == 1 and figures["refused_by_reason"] == {"admission": 1}
    assert figures["in_flight"] == gate.limit == figures["limit"] == 4
    assert _send(sock, conversation_id)["ok"] is True


def test_past_the_admission_limit_a_page_is_refused_with_503(app, pair, login):
    alice, _bob, _conversation_id = pair
    client = login(alice)
    gate = admission.of(app)
    for _ in range(gate.limit):
        gate.enter()
    try:
        page = client.get("/", headers={"Accept-Language": "en"})
        health = client.get("/healthz")
    finally:
        for _ in range(gate.limit):
            gate.leave()
    assert page.status_code == 503 and page.headers["Retry-After"] == "2"
    assert health.status_code == 200  # /healthz is never refused
    assert gate.refused["admission"] == 1 and gate.in_flight == 0


def test_requests_give_their_admission_place_back(app, pair, login):
    client = login(pair[0])
    for _ in range(3 * admission.of(app).limit):
        assert client.get("/").status_code == 200
    assert admission.of(app).in_flight == 0 and not admission.of(app).refused


def test_a_send_waiting_for_its_turn_gives_up_after_the_wait(app):
    entered, release = threading.Event(), threading.Event()

    def holder() -> None:
        with app.app_context(), one_at_a_time(_db.engine, 9, 77, wait=POOL_TIMEOUT):
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert entered.wait(10)
        with pytest.raises(TurnNotFree), one_at_a_time(_db.engine, 9, 77, wait=POOL_TIMEOUT):
            pass
    finally:
        release.set()
        thread.join()
    with one_at_a_time(_db.engine, 9, 77, wait=POOL_TIMEOUT):
        pass  # free again


def test_pools_and_waits_follow_from_one_setting():
    plan = plan_pools({"WORKER_CONCURRENCY": 20, "DB_POOL_TIMEOUT": 1.5})
    assert plan == {
        "pool_size": 10,
        "max_overflow": 10,
        "pool_timeout": 1.5,
        "order_pool": 5,
        "admission_limit": 40,
    }
    given = plan_pools({"WORKER_CONCURRENCY": 20, "DB_POOL_TIMEOUT": 1, "DB_MAX_OVERFLOW": 0})
    assert given["max_overflow"] == 0 and given["pool_size"] == 10
    assert from_env({"BV_WORKER_CONCURRENCY": "8"})["WORKER_CONCURRENCY"] == 8
    app = create_app({**TEST_CONFIG, "WORKER_CONCURRENCY": 8})
    assert admission.of(app).limit == 16


def test_past_the_admission_limit_a_socket_connection_is_refused_with_retry_after(
    app, pair, socket_client
):
    gate = admission.of(app)
    for _ in range(gate.limit):
        gate.enter()
    try:
        sock = socket_client(pair[0])
    finally:
        for _ in range(gate.limit):
            gate.leave()
    assert not sock.is_connected()
    assert gate.refused["admission"] == 1
    assert socket_client(pair[0]).is_connected()  # room again: the reconnect is let in


def _enter_in_thread(gate: admission.Admission, wait: float) -> tuple[threading.Thread, list]:
    outcome: list = []

    def enter() -> None:
        started = time.monotonic()
        try:
            gate.enter(wait)
            outcome.append(("in", time.monotonic() - started))
        except admission.Overloaded:
            outcome.append(("refused", time.monotonic() - started))

    thread = threading.Thread(target=enter)
    thread.start()
    return thread, outcome


def _wait_for_waiters(gate: admission.Admission, count: int) -> None:
    deadline = time.monotonic() + 5
    while gate.waiting < count and time.monotonic() < deadline:
        time.sleep(0.01)
    assert gate.waiting == count


def test_a_connection_waiting_for_a_place_gets_the_one_freed():
    gate = admission.Admission(limit=1, retry_after=2)
    gate.enter()
    thread, outcome = _enter_in_thread(gate, wait=5)
    _wait_for_waiters(gate, 1)
    gate.leave()
    thread.join(5)
    assert outcome and outcome[0][0] == "in" and outcome[0][1] < 5
    assert gate.in_flight == 1 and gate.waiting == 0


def test_a_wait_for_a_place_ends_refused_after_its_time():
    gate = admission.Admission(limit=1, retry_after=2)
    gate.enter()
    thread, outcome = _enter_in_thread(gate, wait=0.2)
    thread.join(5)
    assert outcome[0][0] == "refused" and outcome[0][1] >= 0.2
    assert gate.in_flight == 1 and gate.waiting == 0


def test_no_more_than_limit_wait_the_next_is_refused_at_once():
    gate = admission.Admission(limit=1, retry_after=2)
    gate.enter()
    waiter, _ = _enter_in_thread(gate, wait=5)
    _wait_for_waiters(gate, 1)
    with pytest.raises(admission.Overloaded):
        gate.enter(wait=5)  # one waits already: a second one would queue blind
    gate.leave()
    waiter.join(5)
    assert gate.in_flight == 1 and gate.waiting == 0


def test_an_event_past_the_bound_waits_a_moment_for_a_place_and_is_served(app, pair, socket_client):
    alice, _bob, conversation_id = pair
    sock = socket_client(alice)
    app.config["DB_POOL_TIMEOUT"] = 3.0  # the event waits up to 1 s for a place
    gate = admission.of(app)
    for _ in range(gate.limit):
        gate.enter()
    freed = threading.Timer(0.1, gate.leave)  # one operation ends a moment later
    freed.start()
    try:
        ack = _send(sock, conversation_id)
    finally:
        freed.join()
        for _ in range(gate.limit - 1):
            gate.leave()
    assert ack["ok"] is True, ack
    assert gate.refused["admission"] == 0 and gate.in_flight == 0


def test_a_connection_may_wait_behind_more_than_the_bound():
    gate = admission.Admission(limit=1, retry_after=2)
    gate.enter()
    first, first_outcome = _enter_in_thread_behind(gate, queue=4)
    _wait_for_waiters(gate, 1)
    second, second_outcome = _enter_in_thread_behind(gate, queue=4)
    _wait_for_waiters(gate, 2)  # an event (queue = the bound, 1) would have been refused
    gate.leave()
    first.join(5)
    gate.leave()
    second.join(5)
    assert first_outcome[0][0] == second_outcome[0][0] == "in"
    assert gate.in_flight == 1 and gate.waiting == 0


def _enter_in_thread_behind(gate: admission.Admission, queue: int) -> tuple[threading.Thread, list]:
    outcome: list = []

    def enter() -> None:
        try:
            gate.enter(5, queue)
            outcome.append(("in",))
        except admission.Overloaded:
            outcome.append(("refused",))

    thread = threading.Thread(target=enter)
    thread.start()
    return thread, outcome
