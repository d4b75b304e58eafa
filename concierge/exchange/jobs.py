"""Scheduled jobs of the neighbour service exchange."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask

from concierge.exchange import service as helping
from portal.db import utcnow
from portal.scheduler import schedule_every
from portal.transaction import owns_transaction

log = logging.getLogger(__name__)

# Each step is its own transaction: one that fails is undone whole (its notifications with
# it) and runs again five minutes later, without holding back the others (an urgent request
# is escalated even if closing an old one fails).
STEPS: tuple[Callable[[datetime], int], ...] = (
    helping.escalate_untaken,
    helping.expire_past_window,
    helping.purge_health,
    helping.alert_untaken_urgent,
)


def run_help_jobs() -> int:
    """Escalate urgent requests nobody took, close expired ones, erase old health details;
    raise the failures of the steps that failed once the others have run."""
    now = utcnow()
    count = 0
    failures: list[Exception] = []
    for step in STEPS:
        try:
            count += owns_transaction(step)(now)
        except Exception as error:
            log.warning("help job step %s failed; it runs again next time", step.__name__)
            failures.append(error)
    if failures:
        raise ExceptionGroup("help jobs failed", failures)
    return count


def register_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    """Every five minutes, in the one scheduler process."""
    schedule_every(scheduler, app, "concierge.help", run_help_jobs, minutes=5)
