"""Who runs the jobs: every process may stand for election; exactly one leads at a time.

On PostgreSQL the leader is the process that holds a session advisory lock on a connection
of its own (not the pool's). The lock lives exactly as long as that connection: when the
process dies, or its connection drops, the server releases it and a standby takes it at its
next try. A job's commit is fenced: it goes through only while this process's lock
connection still holds the lock, so a leader that lost its lock while a job was running
cannot write after the new leader has started.

On SQLite there is no election: the one process that serves the building runs the jobs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any, Protocol

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# pg_advisory_lock(namespace, key): messaging's per-conversation send locks use namespace 1.
LOCK_NAMESPACE = 2
KEY_RANGE = 2**31  # both halves of the two-key form are int4
FENCE_KEY = "bv_leadership_fence"

# The server notices a vanished leader machine (no FIN ever comes) after about
# idle + interval × count seconds, and then releases its lock.
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 10, 5, 3
TCP_USER_TIMEOUT_MS = 20_000  # unacknowledged data this long: the connection is dead


class LeadershipLost(RuntimeError):
    """A job tried to commit after its process stopped leading: its work is undone."""


def identity() -> tuple[str, int]:
    """This process, as the heartbeat names the leader: host name and process id."""
    return socket.gethostname(), os.getpid()


class Elector(Protocol):
    """One process's seat in the election."""

    def try_lead(self) -> bool:
        """Take the lead if nobody holds it; True when this process leads now."""
        ...

    def still_leads(self) -> bool:
        """Check, on the database, that the lead is still this process's."""
        ...

    def fence(self, session: Session) -> bool:
        """Inside a job's transaction: may it commit (this process still leads)?"""
        ...

    def resign(self) -> None:
        """Give the lead up (and close what holds it)."""
        ...


class NoElection:
    """SQLite: one process serves the building and always leads."""

    def try_lead(self) -> bool:
        return True

    def still_leads(self) -> bool:
        return True

    def fence(self, session: Session) -> bool:
        return True

    def resign(self) -> None:
        return None


class AdvisoryLockElector:
    """PostgreSQL: the leader holds `pg_try_advisory_lock(LOCK_NAMESPACE, key)` on a
    dedicated psycopg connection, kept open while it leads."""

    def __init__(self, engine: Engine, key: int, *, connect_timeout: float = 5.0) -> None:
        import psycopg

        cargs, params = engine.dialect.create_connect_args(engine.url)
        params.pop("context", None)  # SQLAlchemy's adapters: not needed for two queries
        self._connect_args: tuple[Any, ...] = tuple(cargs)
        self._connect_params: dict[str, Any] = {
            **params,
            "autocommit": True,
            "connect_timeout": max(1, int(connect_timeout)),
            "application_name": "bonvoisin-scheduler-election",
            "keepalives": 1,
            "keepalives_idle": KEEPALIVE_IDLE,
            "keepalives_interval": KEEPALIVE_INTERVAL,
            "keepalives_count": KEEPALIVE_COUNT,
        }
        if psycopg.pq.version() >= 120000:  # libpq knows tcp_user_timeout since 12
            self._connect_params["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
        self.key = key % KEY_RANGE
        self._connection: Any = None
        self._backend_pid: int | None = None
        self._guard = threading.Lock()  # the loop and the jobs' fences share the connection

    @property
    def backend_pid(self) -> int | None:
        """The server process holding our lock, while we lead."""
        return self._backend_pid

    def try_lead(self) -> bool:
        import psycopg

        with self._guard:
            try:
                if self._connection is None or self._connection.closed:
                    self._connection = psycopg.connect(*self._connect_args, **self._connect_params)
                    self._ask_server_for_keepalives(self._connection)
                row = self._connection.execute(
                    "SELECT pg_try_advisory_lock(%s, %s), pg_backend_pid()",
                    (LOCK_NAMESPACE, self.key),
                ).fetchone()
            except psycopg.Error as error:
                log.warning("scheduler election: the database is out of reach (%s)", error)
                self._drop_connection()
                return False
            if row is None or not row[0]:
                return False
            self._backend_pid = int(row[1])
            return True

    @staticmethod
    def _ask_server_for_keepalives(connection: Any) -> None:
        """The server, too, drops a leader whose machine vanished (and its lock with it)."""
        import psycopg

        settings = {
            "tcp_keepalives_idle": KEEPALIVE_IDLE,
            "tcp_keepalives_interval": KEEPALIVE_INTERVAL,
            "tcp_keepalives_count": KEEPALIVE_COUNT,
            "tcp_user_timeout": TCP_USER_TIMEOUT_MS,  # PostgreSQL 12 and later
        }
        for name, value in settings.items():
            try:
                connection.execute(f"SET {name} = {int(value)}")
            except psycopg.errors.UndefinedObject:
                log.debug("this PostgreSQL has no %s setting", name)

    def still_leads(self) -> bool:
        import psycopg

        with self._guard:
            if self._connection is None or self._backend_pid is None:
                return False
            try:
                held = self._connection.execute(_HELD_BY_ME, (LOCK_NAMESPACE, self.key)).fetchone()
            except psycopg.Error as error:
                log.error("scheduler election: the lock's connection dropped (%s)", error)
                self._drop_connection()
                return False
            if held is None:
                self._drop_connection()
                return False
            return True

    def fence(self, session: Session) -> bool:
        pid = self._backend_pid
        if pid is None:
            return False
        held = session.execute(
            text(_HELD_BY), {"namespace": LOCK_NAMESPACE, "key": self.key, "pid": pid}
        ).first()
        return held is not None

    def resign(self) -> None:
        with self._guard:
            self._drop_connection()  # the server ends the lock with the session

    def _drop_connection(self) -> None:
        self._backend_pid = None
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken: nothing left to close
                log.debug("closing the election connection failed", exc_info=True)


# pg_locks is read live (not from a snapshot): it tells who holds the lock at this moment.
_HELD_BY = (
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = :namespace"
    " AND objid::bigint = :key AND objsubid = 2 AND granted AND pid = :pid"
)
_HELD_BY_ME = (
    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = %s"
    " AND objid::bigint = %s AND objsubid = 2 AND granted AND pid = pg_backend_pid()"
)


def make_elector(engine: Engine, config: Any) -> Elector:
    """An advisory lock on PostgreSQL; no election on SQLite (one process)."""
    if engine.dialect.name != "postgresql":
        return NoElection()
    return AdvisoryLockElector(
        engine,
        int(config["SCHEDULER_LEADER_LOCK_KEY"]),
        connect_timeout=float(config["SCHEDULER_LEADER_CONNECT_TIMEOUT"]),
    )


def fence_session(session: Session, elector: Elector) -> None:
    """Every commit of this session first checks that this process still leads."""
    session.info[FENCE_KEY] = elector


def _check_fence(session: Session) -> None:
    elector = session.info.get(FENCE_KEY)
    if elector is not None and not elector.fence(session):
        raise LeadershipLost("this process no longer leads the scheduler: its job is undone")


def install_fence() -> None:
    """Listen once for commits of fenced sessions."""
    if not event.contains(Session, "before_commit", _check_fence):
        event.listen(Session, "before_commit", _check_fence)
