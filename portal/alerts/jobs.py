"""Scheduled jobs of the alerts: every minute, the rounds of telling that are due (the
first one, if the server missed it, and each escalation); daily, the purge."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.alerts import service
from portal.db import utcnow
from portal.retention import purge_in_batches, schedule_daily_purge
from portal.scheduler import schedule_every

JOB_ID = "alerts.escalate"
PURGE_JOB_ID = "alerts.purge"


def run_escalations(now: datetime | None = None) -> int:
    """Tell the next person about every alert nobody acknowledged in time."""
    return service.run_due(now or utcnow())


def run_purge() -> int:
    """Delete alerts closed longer ago than WELLBEING_RETENTION_DAYS, batch by batch."""
    return purge_in_batches(service.purge_closed)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Escalation each minute (each round owns its transactions); the purge once a day."""
    schedule_every(scheduler, app, JOB_ID, run_escalations, minutes=1)
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "WELLBEING_RETENTION_DAYS")
