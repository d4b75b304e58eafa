"""Scheduled job: raise missed check-in alerts every five minutes."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.db import utcnow
from portal.scheduler import in_app_context
from portal.wellbeing import service

JOB_ID = "wellbeing.missed_checkins"


def run_missed_checkins(now: datetime | None = None) -> int:
    """Alert the staff about residents whose check-in time passed today without a tap."""
    return service.raise_missed_checkins(now or utcnow())


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Every five minutes, in its own transaction (in_app_context commits when it returns)."""
    scheduler.add_job(
        in_app_context(app, run_missed_checkins),
        "interval",
        minutes=5,
        id=JOB_ID,
        name=JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
    )
