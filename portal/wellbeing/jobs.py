"""Scheduled jobs: raise missed check-in alerts every five minutes; purge daily what is past
the retention period."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.db import utcnow
from portal.retention import purge_in_batches, schedule_daily_purge
from portal.scheduler import schedule_every
from portal.wellbeing import pauses, service

JOB_ID = "wellbeing.missed_checkins"
PURGE_JOB_ID = "wellbeing.purge"


def run_missed_checkins(now: datetime | None = None) -> int:
    """Alert the staff about residents whose check-in time passed today without a tap."""
    return service.raise_missed_checkins(now or utcnow())


def run_purge() -> int:
    """Delete check-ins, closed missed check-ins, closed help calls and ended check-in
    pauses older than WELLBEING_RETENTION_DAYS, batch by batch."""
    steps = (
        service.purge_checkins,
        service.purge_missed,
        service.purge_help_calls,
        pauses.purge_pauses,
    )
    return sum(purge_in_batches(step) for step in steps)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Alerts every five minutes, in their own transaction (in_app_context commits when it
    returns); the purge once a day."""
    schedule_every(scheduler, app, JOB_ID, run_missed_checkins, minutes=5)
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "WELLBEING_RETENTION_DAYS")
