"""/healthz and the request log."""

from __future__ import annotations

import io
import json
import logging

import pytest

from portal import logs, scheduler


def test_healthz_is_ok_with_a_reachable_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    checks = {"database": "ok", "redis": "off", "scheduler": "off"}
    body = response.get_json()
    assert {"status": body["status"], "checks": body["checks"]} == {
        "status": "ok",
        "checks": checks,
    }
    assert body["details"]["admission"]["refused"] == 0


def test_healthz_fails_when_redis_cannot_be_reached(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"] == "failing"


def test_healthz_wants_a_recent_scheduler_heartbeat(app, client, db):
    app.config["HEALTH_REQUIRE_SCHEDULER"] = True
    assert client.get("/healthz").get_json()["checks"]["scheduler"] == "failing"
    scheduler.record_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["checks"]["scheduler"] == "ok"


def test_healthz_reaches_the_real_redis(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    assert client.get("/healthz").get_json()["checks"]["redis"] == "ok"


def test_every_response_carries_a_request_id(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abcdef123456"})
    assert given.headers["X-Request-ID"] == "abcdef123456"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["X-Request-ID"]) == 32


@pytest.fixture
def json_log():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure(json_lines=True, stream=stream)
    yield stream
    root.handlers, root.level = saved


def test_request_log_is_json_with_the_route_not_the_token(app, client, json_log):
    app.after_request_funcs.setdefault(None, []).append(logs._log_request)
    client.get("/login/card/secret-token-value", headers={"X-Request-ID": "req-12345678"})
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line]
    record = next(line for line in lines if line["message"] == "request")
    assert record["request_id"] == "req-12345678"
    assert record["route"] == "/login/card/<token>" and record["method"] == "GET"
    assert {"time", "level", "status", "duration_ms"} <= record.keys()
    assert "secret-token-value" not in json.dumps(lines)
