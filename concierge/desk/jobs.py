"""Scheduled jobs of the concierge desk."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from concierge.desk import parcels, tickets
from portal.db import utcnow
from portal.scheduler import schedule_every


def run_parcel_reminders() -> int:
    """Remind residents of parcels left waiting (the scheduler's wrapper commits)."""
    return parcels.send_due_reminders(utcnow())


def run_ticket_alerts() -> int:
    """Raise an alert for each urgent ticket past its target (once per ticket)."""
    return tickets.alert_overdue_urgent(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Overdue urgent tickets every five minutes; parcel reminders every half hour."""
    schedule_every(scheduler, app, "concierge.ticket_alerts", run_ticket_alerts, minutes=5)
    schedule_every(scheduler, app, "concierge.parcel_reminders", run_parcel_reminders, minutes=30)
