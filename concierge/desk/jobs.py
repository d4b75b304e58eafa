"""Scheduled jobs of the concierge desk."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from concierge.desk import parcels, tickets
from portal.db import utcnow
from portal.scheduler import in_app_context


def run_parcel_reminders() -> int:
    """Remind residents of parcels left waiting (the scheduler's wrapper commits)."""
    return parcels.send_due_reminders(utcnow())


def run_ticket_alerts() -> int:
    """Raise an alert for each urgent ticket past its target (once per ticket)."""
    return tickets.alert_overdue_urgent(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        in_app_context(app, run_ticket_alerts),
        "interval",
        minutes=5,
        id="concierge.ticket_alerts",
        name="concierge.ticket_alerts",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
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
