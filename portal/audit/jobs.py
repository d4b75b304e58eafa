"""Scheduled job of the audit log: entries past their retention period are purged daily."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.audit import service
from portal.db import utcnow
from portal.retention import schedule_daily_purge

PURGE_JOB_ID = "audit.purge"


def run_purge() -> int:
    """Delete audit entries older than AUDIT_RETENTION_DAYS."""
    return service.purge_expired(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day, in its own transaction, like every domain's purge."""
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge, "AUDIT_RETENTION_DAYS")
