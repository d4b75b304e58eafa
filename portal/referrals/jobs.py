"""Scheduled job: erase closed referrals' free text daily, 30 days after closing."""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.referrals import service
from portal.retention import purge_in_batches, schedule_daily_purge

PURGE_JOB_ID = "referrals.purge"


def run_purge() -> int:
    """Erase, batch by batch, what closed referrals said about someone."""
    return purge_in_batches(service.purge_texts)


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """The purge once a day (a fixed period, like a pharmacy run's details)."""
    schedule_daily_purge(scheduler, app, PURGE_JOB_ID, run_purge)
