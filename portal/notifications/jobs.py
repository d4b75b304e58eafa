"""Scheduled job of the notifications: those past their retention period go daily."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.notifications import service
from portal.retention import purge_in_batches, schedule_daily_purge

PURGE_JOB_ID = "notifications.purge"


def run_purge() -> int:
    """Delete notifications older than NOTIFICATIONS_RETENTION_DAYS, batch by batch."""
    return purge_in_batches(service.purge_expired)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day; each batch is its own transaction (portal.retention)."""
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "NOTIFICATIONS_RETENTION_DAYS")
