"""Scheduled job of data rights: closed accounts are erased once their delay has passed."""

from __future__ import annotations

import logging

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from portal.datarights import erasure
from portal.db import utcnow
from portal.retention import schedule_daily_purge
from portal.transaction import owns_transaction

log = logging.getLogger(__name__)

PURGE_JOB_ID = "datarights.closed_accounts"


def run_erase_closed() -> int:
    """Erase every closed account past DATARIGHTS_CLOSED_ACCOUNT_DAYS, each in its own
    transaction (an erasure is many set-based statements); one that fails is undone alone
    and tried again the next day, after the others. Returns how many were erased."""
    now = utcnow()
    erased = 0
    failures: list[Exception] = []
    for person_id in erasure.list_closed_to_erase(now):
        try:
            erased += owns_transaction(erasure.do_erase_closed)(person_id, now)
        except Exception as error:
            log.warning("erasing a closed account failed; it is tried again tomorrow")
            failures.append(error)
    if failures:
        raise ExceptionGroup("closed account erasures failed", failures)
    return erased


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Once a day, in the one scheduler process."""
    schedule_daily_purge(
        scheduler, app, PURGE_JOB_ID, run_erase_closed, "DATARIGHTS_CLOSED_ACCOUNT_DAYS"
    )
