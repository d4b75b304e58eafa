"""Scheduled jobs of the neighbour service exchange."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from concierge.exchange import service as helping
from portal.db import utcnow
from portal.scheduler import in_app_context


def run_help_jobs() -> int:
    """Escalate urgent requests nobody took, close expired ones, erase old health details."""
    now = utcnow()
    return (
        helping.escalate_untaken(now) + helping.expire_past_window(now) + helping.purge_health(now)
    )


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        in_app_context(app, run_help_jobs),
        "interval",
        minutes=5,
        id="concierge.help",
        name="concierge.help",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
