"""Scheduled jobs of calls: settle calls whose screens went away, once a minute; purge the
call log past its retention period, daily."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from messaging.calls import service
from portal.db import utcnow
from portal.retention import purge_in_batches, schedule_daily_purge
from portal.scheduler import schedule_every

STALE_JOB_ID = "calls.stale"
PURGE_JOB_ID = "calls.purge"


def run_stale(now: datetime | None = None) -> int:
    """Ringing calls nobody answered become missed calls; forgotten calls under way end."""
    return service.end_stale_calls(now or utcnow())


def run_purge() -> int:
    """Delete the log of calls older than MESSAGING_RETENTION_DAYS, batch by batch."""
    return purge_in_batches(service.purge_expired)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a minute, and the purge once a day, in the one scheduler process."""
    schedule_every(scheduler, app, STALE_JOB_ID, run_stale, minutes=1)
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "MESSAGING_RETENTION_DAYS")
