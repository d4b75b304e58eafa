"""Scheduled job of the audit log: entries past their retention period are purged daily."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.audit import service
from portal.db import utcnow
from portal.scheduler import in_app_context

PURGE_JOB_ID = "audit.purge"


def run_purge() -> int:
    """Delete audit entries older than AUDIT_RETENTION_DAYS."""
    return service.purge_expired(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day, in its own transaction (in_app_context commits when it returns)."""
    scheduler.add_job(
        in_app_context(app, run_purge),
        "interval",
        days=1,
        id=PURGE_JOB_ID,
        name=PURGE_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
