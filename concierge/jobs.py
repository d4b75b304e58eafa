"""Scheduled jobs of the concierge package."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.db import utcnow
from portal.scheduler import in_app_context


def run_help_jobs() -> int:
    """Escalate urgent requests nobody took, close expired ones, erase old health details."""
    from concierge.exchange import service as helping

    now = utcnow()
    return (
        helping.escalate_untaken(now) + helping.expire_past_window(now) + helping.purge_health(now)
    )


def run_parcel_reminders() -> int:
    from concierge.desk import parcels

    return parcels.send_due_reminders(utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    for job_id, func, minutes in (
        ("concierge.help", run_help_jobs, 5),
        ("concierge.parcel_reminders", run_parcel_reminders, 30),
    ):
        scheduler.add_job(
            in_app_context(app, func), "interval", minutes=minutes, id=job_id, name=job_id,
            replace_existing=True, coalesce=True, max_instances=1,
        )  # fmt: skip
