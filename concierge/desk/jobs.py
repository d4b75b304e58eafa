"""Scheduled jobs of the concierge desk."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from concierge.desk import parcels
from portal.db import utcnow
from portal.scheduler import in_app_context


def run_parcel_reminders() -> int:
    """Remind residents of parcels left waiting (the scheduler's wrapper commits)."""
    return parcels.send_due_reminders(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        in_app_context(app, run_parcel_reminders),
        "interval",
        minutes=30,
        id="concierge.parcel_reminders",
        name="concierge.parcel_reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
