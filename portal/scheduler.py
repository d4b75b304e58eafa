"""One APScheduler instance; each domain contributes jobs through register_jobs().

Every process with the scheduler enabled (each web worker with BV_SCHEDULER=1, or a
`flask scheduler run`) stands for election (portal/leadership.py); only the leader's
scheduler runs jobs, and a standby takes over within SCHEDULER_LEADER_RETRY_SECONDS of the
leader's death.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal import leadership
from portal.db import Base, utcnow
from portal.extensions import db
from portal.transaction import owns_transaction

log = logging.getLogger(__name__)

JobRegistrar = Callable[[BaseScheduler, Flask], None]
EXTENSION_KEY = "bv_scheduler"


class SchedulerHeartbeat(Base):
    """The last time the leading scheduler proved it was alive, and who it is (one row)."""

    __tablename__ = "scheduler_heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    beat_at: Mapped[datetime]
    leader_host: Mapped[str | None] = mapped_column(String(255))
    leader_pid: Mapped[int | None]
    leader_since: Mapped[datetime | None]  # the first beat of this leader


@dataclass(frozen=True)
class Heartbeat:
    """What /healthz tells about the scheduler."""

    beat_at: datetime
    leader_host: str | None
    leader_pid: int | None
    leader_since: datetime | None

    @property
    def leader(self) -> str | None:
        """The leader as "host:pid" (None for a beat written before leaders were named)."""
        if self.leader_host is None or self.leader_pid is None:
            return None
        return f"{self.leader_host}:{self.leader_pid}"


def in_app_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    """Run a job function inside the app context; the job owns its transaction (committed
    when it returns, undone when it fails) and never leaves one open. Under an elected
    scheduler it runs only while this process leads, and commits only while it still does."""
    owned = owns_transaction(func)

    def run(*args: Any, **kwargs: Any) -> Any:
        runner: LeaderRunner | None = app.extensions.get(EXTENSION_KEY, {}).get("runner")
        if runner is not None and not runner.leading:
            log.warning("job %s skipped: this process no longer leads", run.__name__)
            return None
        with app.app_context():
            try:
                if runner is not None and runner.fenced:
                    # Every commit of the job first checks that this process still leads.
                    leadership.fence_session(db.session(), runner.elector)
                return owned(*args, **kwargs)
            finally:
                db.session.remove()

    run.__name__ = getattr(func, "__name__", "job")
    return run


def schedule_every(
    scheduler: BaseScheduler, app: Flask, job_id: str, func: Callable[..., Any], **every: Any
) -> None:
    """Add a job that runs at this interval (`minutes=5`, `days=1`…) in its own transaction
    (in_app_context); one run at a time, and runs missed while the process was busy or down
    are done once, not each."""
    scheduler.add_job(
        in_app_context(app, func),
        "interval",
        id=job_id,
        name=job_id,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        **every,
    )


def record_heartbeat() -> datetime:
    """Write the leader's heartbeat and who it is (the job's wrapper commits it); /healthz
    reads it."""
    now = utcnow()
    host, pid = leadership.identity()
    beat = db.session.get(SchedulerHeartbeat, 1)
    if beat is None:
        beat = SchedulerHeartbeat(id=1, beat_at=now)
        db.session.add(beat)
    if (beat.leader_host, beat.leader_pid) != (host, pid) or beat.leader_since is None:
        beat.leader_host, beat.leader_pid, beat.leader_since = host, pid, now
    beat.beat_at = now
    return now


def get_heartbeat() -> Heartbeat | None:
    """The last heartbeat and the leader that wrote it."""
    beat = db.session.get(SchedulerHeartbeat, 1)
    if beat is None:
        return None
    return Heartbeat(beat.beat_at, beat.leader_host, beat.leader_pid, beat.leader_since)


def get_last_heartbeat() -> datetime | None:
    beat = get_heartbeat()
    return beat.beat_at if beat else None


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """The portal's own jobs."""
    schedule_every(
        scheduler,
        app,
        "portal.heartbeat",
        record_heartbeat,
        seconds=app.config["SCHEDULER_HEARTBEAT_SECONDS"],
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
    # Shorter (or longer) intervals for some jobs: the failover test, a slow machine.
    for job_id, seconds in app.config["SCHEDULER_JOB_SECONDS"].items():
        scheduler.reschedule_job(job_id, trigger="interval", seconds=float(seconds))
    return scheduler


class LeaderRunner:
    """Stands for election and runs the jobs while this process leads.

    A standby tries to take the lead every SCHEDULER_LEADER_RETRY_SECONDS; the leader checks
    its lock as often and stops its scheduler at once when it lost it (jobs already running
    cannot commit any more: their commits are fenced). Each time it takes the lead, it starts
    a fresh scheduler, whose first job is the heartbeat naming the new leader.
    """

    def __init__(self, app: Flask, elector: leadership.Elector | None = None) -> None:
        self.app = app
        with app.app_context():
            self.elector = elector or leadership.make_elector(db.engine, app.config)
        self.fenced = not isinstance(self.elector, leadership.NoElection)
        self.retry_seconds = float(app.config["SCHEDULER_LEADER_RETRY_SECONDS"])
        self.leading = False
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.fenced:
            leadership.install_fence()
        build_scheduler(app, blocking=False)  # a setting it refuses stops it now, not later

    def step(self) -> bool:
        """One round: a standby tries to take the lead, the leader checks it still has it;
        returns whether this process leads now."""
        if not self.leading:
            if self.elector.try_lead():
                self._take_lead()
        elif not self.elector.still_leads():
            self._lose_lead("lost the lead (its lock's connection dropped); standing by")
        return self.leading

    def run(self) -> None:
        """Stand for election until stopped (the calling thread's loop)."""
        app = self.app
        app.extensions[EXTENSION_KEY]["runner"] = self
        host, pid = leadership.identity()
        log.info("scheduler standing for election as %s:%s", host, pid)
        try:
            while not self._stop.is_set():
                try:
                    self.step()
                except Exception:
                    log.exception("scheduler election round failed; trying again")
                    # Never hold the lock without running the jobs.
                    self._lose_lead("stopped leading after an error; standing by")
                self._stop.wait(self.retry_seconds)
        finally:
            # Still holding the lock, let running jobs finish: the next leader starts after.
            self._lose_lead("stopped leading: the process stops", logging.INFO, wait=True)

    def start(self) -> threading.Thread:
        """Stand for election in a background thread (a web worker's)."""
        self._thread = threading.Thread(target=self.run, name="scheduler-election", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = None) -> None:
        """Stop standing; the leader stops its jobs and gives the lead up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _take_lead(self) -> None:
        scheduler = build_scheduler(self.app, blocking=False)
        assert isinstance(scheduler, BackgroundScheduler)
        host, pid = leadership.identity()
        log.info("scheduler leads as %s:%s with %d jobs", host, pid, len(scheduler.get_jobs()))
        self.leading = True
        self.scheduler = scheduler
        scheduler.start()

    def _lose_lead(self, why: str, level: int = logging.ERROR, *, wait: bool = False) -> None:
        was_leading, self.leading = self.leading, False
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None and scheduler.running:
            # Lost: running jobs go on but their commits fail (fenced), so no waiting.
            scheduler.shutdown(wait=wait)
        self.elector.resign()
        if was_leading:
            log.log(level, "scheduler %s", why)


def start_in_process(app: Flask) -> LeaderRunner | None:
    """Stand for election inside a web worker, when enabled (BV_SCHEDULER)."""
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    runner = LeaderRunner(app)
    runner.start()
    return runner


def run_standalone(app: Flask) -> None:
    """Run the scheduler alone (`flask scheduler run`): it stands for election like the
    web workers do, and runs the jobs while it leads."""
    runner = LeaderRunner(app)
    try:
        runner.run()
    except KeyboardInterrupt:
        log.info("scheduler stopped")


def init_app(app: Flask, job_registrars: Iterable[JobRegistrar]) -> None:
    app.extensions[EXTENSION_KEY] = {"registrars": list(job_registrars)}
