"""/healthz: is the database reachable, Redis reachable, the scheduler alive?"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal import admission, scheduler
from portal.db import utcnow
from portal.extensions import db, limiter

bp = Blueprint("health", __name__)

OK, FAILING, OFF = "ok", "failing", "off"


def check_database() -> str:
    """Can the database answer a query?"""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return FAILING
    return OK


def check_redis() -> str:
    """Does Redis answer, when one is configured ("off" otherwise)?"""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return OFF
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        try:
            client.ping()
        finally:
            client.close()
    except Exception:
        return FAILING
    return OK


def check_scheduler() -> tuple[str, dict[str, Any] | None]:
    """A recent heartbeat from the leading scheduler (a worker's or `flask scheduler run`),
    and who leads with how old a heartbeat (None when the scheduler is not checked)."""
    if not current_app.config["HEALTH_REQUIRE_SCHEDULER"]:
        return OFF, None
    try:
        beat = scheduler.get_heartbeat()
    except Exception:
        db.session.rollback()
        beat = None
    if beat is None:
        return FAILING, {"leader": None, "leader_since": None, "heartbeat_age_seconds": None}
    age = utcnow() - beat.beat_at
    max_age = timedelta(seconds=current_app.config["HEALTH_SCHEDULER_MAX_AGE"])
    details = {
        "leader": beat.leader,
        "leader_since": beat.leader_since.isoformat() if beat.leader_since else None,
        "heartbeat_age_seconds": round(age.total_seconds(), 1),
    }
    return (OK if age <= max_age else FAILING), details


def report() -> dict[str, Any]:
    """Every check, and "ok" only when none is failing; the details give this worker's
    admission figures and, with the scheduler checked, the leader and its heartbeat's age."""
    checks = {"database": check_database(), "redis": check_redis()}
    checks["scheduler"], scheduler_details = check_scheduler()
    healthy = FAILING not in checks.values()
    result: dict[str, Any] = {"status": OK if healthy else FAILING, "checks": checks}
    # What this worker refused at once (`unavailable`) since it started, and what runs now:
    # load shed on purpose, not a failure, so it leaves the status alone.
    result["details"] = {"admission": admission.of().details()}
    if scheduler_details is not None:
        result["details"]["scheduler"] = scheduler_details
    return result


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 when healthy, 503 otherwise (for the load balancer and the monitoring)."""
    result = report()
    return jsonify(result), 200 if result["status"] == OK else 503


def init_app(app: Flask) -> None:
    """The scheduler may be silent three heartbeats (and 30 s) before /healthz fails."""
    app.config.setdefault(
        "HEALTH_SCHEDULER_MAX_AGE", 3 * app.config["SCHEDULER_HEARTBEAT_SECONDS"] + 30
    )
    app.register_blueprint(bp)
