"""Admission control: a worker refuses at once the database work it cannot start soon.

A request or socket event that would wait long for a database connection holds a greenlet
while the client, having heard nothing, sends it again: under a burst (every tablet
catching up after a Redis restart) the waits pile up faster than they drain and the worker
never recovers. So each worker lets at most DB_ADMISSION_LIMIT database operations in at
once (those holding a connection and those allowed to wait for one, derived from
WORKER_CONCURRENCY, see portal.db.plan_pools), a wait for a connection or for the send
order ends after DB_POOL_TIMEOUT, and whatever is refused answers at once `unavailable`
with `retry_after` seconds (HTTP: 503 with Retry-After), without touching the database.
A socket connection, whose handshake is already paid for, first waits for a place
(connection_wait: up to twice DB_POOL_TIMEOUT, behind up to four times the bound): refused,
the tablet would pay the handshake again after its back-off, and a reconnect storm would
last the longer for it. A socket event waits a third of DB_POOL_TIMEOUT behind at most the
bound (event_wait), so that it is still answered within 2 s.
Refusals are counted, logged at most every LOG_EVERY seconds, and shown by /healthz.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g, has_app_context
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.db import TurnNotFree

log = logging.getLogger(__name__)

EXTENSION_KEY = "bv_admission"
ENTERED_KEY = "_bv_admitted"
# Endpoints that never wait for the pool (files) or must answer under load (/healthz).
EXEMPT_ENDPOINTS = frozenset({"static", "health.healthz"})
LOG_EVERY = 5.0  # seconds between two log lines about refusals (a storm logs a summary)


class Overloaded(PoolTimeout):
    """Refused before touching the pool: the worker already runs, or waits for, as many
    database operations as it may (a pool timeout that did not have to be waited for)."""

    def __init__(self, reason: str = "admission") -> None:
        super().__init__(f"refused at once: {reason}")
        self.reason = reason


class Admission:
    """One worker's count of database operations in flight, and of what it refused."""

    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit, self.retry_after = limit, retry_after
        self.in_flight = self.most_in_flight = self.waiting = 0
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()  # gevent-aware once monkey-patched
        self._freed = threading.Condition(threading.Lock())
        self._logged_at = 0.0
        self._unlogged: Counter[str] = Counter()

    def enter(self, wait: float = 0.0, queue: int | None = None) -> None:
        """Take a place, or raise Overloaded when every place is taken. With `wait`, first
        wait up to that many seconds for a place to free, if fewer than `queue` others
        (default: `limit`) are already waiting."""
        deadline = time.monotonic() + wait
        most_waiting = self.limit if queue is None else queue
        with self._freed:
            if self.in_flight >= self.limit and (wait <= 0 or self.waiting >= most_waiting):
                raise Overloaded("admission")
            self.waiting += 1
            try:
                while self.in_flight >= self.limit:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise Overloaded("admission")
                    self._freed.wait(remaining)
            finally:
                self.waiting -= 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)

    def leave(self) -> None:
        """Give the place back and wake one waiter (a newcomer may take the place before
        the woken waiter does: waiters are not served strictly in turn)."""
        with self._freed:
            self.in_flight = max(0, self.in_flight - 1)
            self._freed.notify()

    def count_refusal(self, reason: str) -> None:
        """Count one refusal and log, at most every LOG_EVERY seconds, what was refused since."""
        now = time.monotonic()
        with self._lock:
            self.refused[reason] += 1
            self._unlogged[reason] += 1
            if now - self._logged_at < LOG_EVERY:
                return
            summary, self._logged_at = dict(self._unlogged), now
            self._unlogged.clear()
        log.warning(
            "database work refused with 'unavailable': %s (in flight %d of %d)",
            ", ".join(f"{reason} {count}" for reason, count in sorted(summary.items())),
            self.in_flight,
            self.limit,
        )

    def details(self) -> dict[str, Any]:
        """The figures /healthz shows."""
        return {
            "in_flight": self.in_flight,
            "waiting": self.waiting,
            "most_in_flight": self.most_in_flight,
            "limit": self.limit,
            "retry_after_seconds": self.retry_after,
            "refused": sum(self.refused.values()),
            "refused_by_reason": dict(self.refused),
        }


def of(app: Flask | None = None) -> Admission:
    """The admission control of this app (one per worker process)."""
    return (app or current_app).extensions[EXTENSION_KEY]


@contextmanager
def admitted(wait: float = 0.0, queue: int | None = None) -> Iterator[None]:
    """Run a block of database work if this worker has room for it (within `wait` seconds,
    behind at most `queue` others: see Admission.enter), else raise Overloaded."""
    gate = of()
    gate.enter(wait, queue)
    try:
        yield
    finally:
        gate.leave()


def connection_wait() -> tuple[float, int]:
    """How long a new socket connection past the bound waits for a place, and behind how
    many others: twice DB_POOL_TIMEOUT, behind up to four times the bound. Its handshake is
    paid for and the socket is open whether it waits or not (a parked greenlet); refused,
    the tablet would pay the handshake again after its back-off, which after a worker's
    restart makes the reconnect storm last several back-offs instead of draining."""
    gate = of()
    return 2 * float(current_app.config["DB_POOL_TIMEOUT"]), 4 * gate.limit


def event_wait() -> float:
    """How long a socket event past the bound waits for a place: a third of DB_POOL_TIMEOUT,
    so that with its wait for a connection it is still answered within the client's first
    retry interval. A refused event costs its dispatch and the tablet's back-off; one that
    waits a moment for a place costs a parked greenlet, and a burst (every socket of a
    worker catching up) drains instead of coming back later."""
    return float(current_app.config["DB_POOL_TIMEOUT"]) / 3


def reason_of(error: BaseException) -> str:
    """Why a piece of work got `unavailable`: refused at once, a send's turn or a pool wait
    that ran out, or the database itself failing (restarting, unreachable)."""
    if isinstance(error, Overloaded):
        return error.reason
    if isinstance(error, TurnNotFree):
        return "turn"
    if isinstance(error, PoolTimeout):
        return "pool_timeout"
    return "database"


def refuse(error: BaseException) -> int:
    """Count the refusal and forget who is logged in (the answer must not load them from
    the database it could not reach); the seconds the client should wait."""
    if not has_app_context() or EXTENSION_KEY not in current_app.extensions:
        return int(current_app.config.get("DB_RETRY_AFTER", 2)) if has_app_context() else 2
    gate = of()
    gate.count_refusal(reason_of(error))
    forget_person()
    return gate.retry_after


def forget_person() -> None:
    """Answer as to nobody: the message's language then comes from the device's choice or
    the browser, not from the person's row."""
    from portal.extensions import login_manager

    g._login_user = login_manager.anonymous_user()


def _enter_request() -> None:
    from flask import request

    if request.endpoint in EXEMPT_ENDPOINTS or (request.endpoint or "").endswith(".static"):
        return
    of().enter()
    g.setdefault(ENTERED_KEY, True)


def _leave_request(_error: BaseException | None = None) -> None:
    if g.pop(ENTERED_KEY, False):
        of().leave()


def init_app(app: Flask) -> None:
    """Every request of the app goes through admission (socket events do in their handler)."""
    settings = app.config["DB_POOL_PLAN"]
    app.extensions[EXTENSION_KEY] = Admission(
        settings["admission_limit"], int(app.config["DB_RETRY_AFTER"])
    )
    app.before_request(_enter_request)
    app.teardown_request(_leave_request)
