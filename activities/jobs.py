"""Scheduled jobs of the activities package."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from activities.reminders import send_due_reminders
from portal.db import utcnow
from portal.scheduler import schedule_every


def run_reminders() -> int:
    """Send the reminders due now (the job's wrapper commits them)."""
    return send_due_reminders(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Check every minute for reminders to send."""
    schedule_every(scheduler, app, "activities.reminders", run_reminders, minutes=1)
