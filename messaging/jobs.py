"""Scheduled job of messaging: messages and uploads past their retention period go daily."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from messaging import service
from portal.retention import purge_in_batches, schedule_daily_purge

PURGE_JOB_ID = "messaging.purge"


def run_purge() -> int:
    """Delete messages older than MESSAGING_RETENTION_DAYS, then the uploads no message shows
    any more, batch by batch (each batch its own transaction; files after its commit)."""
    messages = purge_in_batches(service.purge_expired)
    return messages + purge_in_batches(service.purge_unsent_uploads)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day, in the one scheduler process."""
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "MESSAGING_RETENTION_DAYS")
