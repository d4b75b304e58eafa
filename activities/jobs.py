"""Scheduled jobs of the activities package."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from activities.reminders import send_due_reminders
from portal.db import utcnow
from portal.scheduler import in_app_context


def run_reminders() -> int:
    """Send the reminders due now (the job's wrapper commits them)."""
    return send_due_reminders(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Check every minute for reminders to send."""
    scheduler.add_job(
        in_app_context(app, run_reminders),
        "interval",
        minutes=1,
        id="activities.reminders",
        name="activities.reminders",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
