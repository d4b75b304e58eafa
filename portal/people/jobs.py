"""Scheduled job of the people's records: activity days past their retention period go daily."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.people import presence
from portal.retention import purge_in_batches, schedule_daily_purge

PURGE_JOB_ID = "people.activity_days_purge"


def run_purge() -> int:
    """Delete activity days older than PEOPLE_ACTIVITY_RETENTION_DAYS, batch by batch."""
    return purge_in_batches(presence.purge_expired)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day; each batch is its own transaction (portal.retention)."""
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "PEOPLE_ACTIVITY_RETENTION_DAYS")
