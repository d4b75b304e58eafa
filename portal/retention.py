"""Retention: how long each kind of personal data is kept, and the way every domain's daily
purge runs (README "Retention" gives each period and its reason).

Each domain purges its own rows from its own jobs.py with `schedule_daily_purge`; a purge
step removes at most one batch with set-based statements and returns how many rows it
removed, and `purge_in_batches` commits batch after batch until one comes back short, so
years of data never sit in one transaction and one failed batch undoes only itself.
Files of removed rows are deleted once their batch has committed (`discard_after_commit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from flask import Flask, current_app

from portal.db import utcnow
from portal.scheduler import schedule_every
from portal.transaction import after_commit, owns_transaction
from portal.uploads import path_of

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # rows per statement and per transaction
PurgeStep = Callable[[datetime, int], int]


class RetentionError(RuntimeError):
    """A retention setting that would erase data too early (zero, negative, not a number)."""


def retention_days(key: str, config: Any = None) -> int:
    """The number of days the setting `key` keeps data; refuses less than one day."""
    value = (config if config is not None else current_app.config).get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RetentionError(f"{key} must be a whole number of days, at least 1 (got {value!r})")
    return value


def cutoff(key: str, now: datetime) -> datetime:
    """The moment before which data kept for `key` days is removed."""
    return now - timedelta(days=retention_days(key))


def purge_in_batches(step: PurgeStep, now: datetime | None = None, batch: int = 0) -> int:
    """Run `step(now, batch)` in its own transaction again and again until it removes fewer
    rows than a batch; returns how many rows went in all."""
    moment = now or utcnow()
    size = batch or BATCH_SIZE
    total = 0
    while True:
        removed = owns_transaction(step)(moment, size)
        total += removed
        if removed < size:
            return total


def discard_after_commit(names: Iterable[str | None]) -> None:
    """Delete these uploaded files once the current transaction commits (a rollback keeps
    them: the rows that show them are still there)."""
    files = [name for name in names if name]
    if files:
        after_commit(lambda: _delete_files(files))


def _delete_files(names: list[str]) -> None:
    """Remove files of purged rows; a failure is only logged (the rows are gone already)."""
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("could not delete a purged file: %s", type(exc).__name__)


def schedule_daily_purge(
    scheduler: BaseScheduler, app: Flask, job_id: str, job: Callable[[], int], *keys: str
) -> None:
    """Add a domain's daily purge; its retention settings are checked now, so a scheduler
    with a setting that would erase too early refuses to start."""
    for key in keys:
        retention_days(key, app.config)
    schedule_every(scheduler, app, job_id, job, days=1)
