"""One APScheduler instance; each domain contributes jobs through register_jobs()."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.extensions import db
from portal.transaction import owns_transaction

log = logging.getLogger(__name__)

JobRegistrar = Callable[[BaseScheduler, Flask], None]
EXTENSION_KEY = "bv_scheduler"


class SchedulerHeartbeat(Base):
    """The last time the scheduler process proved it was alive (one row)."""

    __tablename__ = "scheduler_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    beat_at: Mapped[datetime]


def in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a job function inside the app context; the job owns its transaction (committed
    when it returns, undone when it fails) and never leaves one open."""
    owned = owns_transaction(func)

    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            try:
                return owned(*args, **kwargs)
            finally:
                db.session.remove()

    run.__name__ = getattr(func, "__name__", "job")
    return run


def record_heartbeat() -> datetime:
    """Write the scheduler's heartbeat (the job's wrapper commits it); /healthz reads it."""
    now = utcnow()
    beat = db.session.get(SchedulerHeartbeat, 1)
    if beat is None:
        db.session.add(SchedulerHeartbeat(id=1, beat_at=now))
    else:
        beat.beat_at = now
    return now


def get_last_heartbeat() -> datetime | None:
    beat = db.session.get(SchedulerHeartbeat, 1)
    return beat.beat_at if beat else None


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """The portal's own jobs."""
    scheduler.add_job(
        in_app_context(app, record_heartbeat),
        "interval",
        seconds=app.config["SCHEDULER_HEARTBEAT_SECONDS"],
        id="portal.heartbeat",
        name="portal.heartbeat",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=utcnow(),
    )


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    """Create the scheduler with every registered domain's jobs."""
    timezone = app.config["BABEL_DEFAULT_TIMEZONE"]
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=timezone) if blocking else BackgroundScheduler(timezone=timezone)
    )
    for registrar in app.extensions[EXTENSION_KEY]["registrars"]:
        registrar(scheduler, app)
    return scheduler


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Start the scheduler inside a single-process server, when enabled."""
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    scheduler = build_scheduler(app, blocking=False)
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start()
    log.info("scheduler started in-process with %d jobs", len(scheduler.get_jobs()))
    return scheduler


def run_standalone(app: Flask) -> None:
    """Run the scheduler alone, for deployments with several web workers."""
    scheduler = build_scheduler(app, blocking=True)
    log.info("scheduler running alone with %d jobs", len(scheduler.get_jobs()))
    scheduler.start()


def init_app(app: Flask, job_registrars: Iterable[JobRegistrar]) -> None:
    app.extensions[EXTENSION_KEY] = {"registrars": list(job_registrars)}
