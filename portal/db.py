"""Declarative base, naming convention and UTC-aware timestamps."""

from __future__ import annotations

import enum
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Enum, Index, MetaData, create_engine, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always returns aware datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base class of every model; datetimes are UTC-aware everywhere."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    """created_at / updated_at in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: write UTCDateTime columns as plain timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


WRITE_OPTION = "bv_write"
ENDING_READS_KEY = "bv_ending_reads"  # begin_write is ending a transaction that only read


def is_ending_reads(session: Any) -> bool:
    """True while begin_write commits a transaction that wrote nothing (no hook should run)."""
    return bool(session.info.get(ENDING_READS_KEY))


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one writes; writers wait instead of failing at once."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    """A transaction that will write takes SQLite's write lock at its start, so a second
    writer waits for it (busy timeout) instead of failing with "database is locked"."""
    if connection.dialect.name != "sqlite":
        return
    # Otherwise the driver's own BEGIN (deferred, before the first write) applies.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def install_sqlite_tuning() -> None:
    if not event.contains(Engine, "connect", _tune_sqlite):
        event.listen(Engine, "connect", _tune_sqlite)
        event.listen(Engine, "begin", _begin_sqlite)


def begin_write(session: Any) -> None:
    """Make the session's transaction a write transaction, or join the one it holds.

    The steps of one operation then commit together when the request, event or job that
    owns the transaction ends (portal.transaction). On PostgreSQL the transaction that is
    under way is simply joined (callers lock the rows they change with SELECT … FOR
    UPDATE). On SQLite, a writer must take the database's write lock at BEGIN (IMMEDIATE),
    or a second writer fails with "database is locked" instead of waiting: a transaction
    that has only read so far (who is logged in, the page's own reads) is ended first; one
    that has already written holds the lock and is joined.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        connection = session.connection()
        if connection.get_execution_options().get(WRITE_OPTION):
            return
        if connection.dialect.name != "sqlite" or _sqlite_has_written(connection):
            return
        # Nothing was written: this commit only ends the reads. What the request queued for
        # its real commit (events, after-commit and after-rollback work) waits for that one.
        session.info[ENDING_READS_KEY] = True
        try:
            session.commit()
        finally:
            session.info.pop(ENDING_READS_KEY, None)
    session.connection(execution_options={WRITE_OPTION: True})


def _sqlite_has_written(connection: Any) -> bool:
    """The driver opened a transaction, which it does only before a write."""
    return bool(connection.connection.dbapi_connection.in_transaction)


# Pools sized from one setting (README "Capacity plan") ------------------------------------


def plan_pools(config: Mapping[str, Any]) -> dict[str, int | float]:
    """Every pool and wait of a worker from WORKER_CONCURRENCY (C), the database operations
    it runs at once:

    - main pool: C // 2 connections kept, C - C // 2 more at peaks (at most C);
    - send-order pool: max(2, C // 4) connections holding advisory locks (sends in flight;
      each also holds one of the main pool's, so sends never take the whole pool);
    - admission: 2 × C operations let in, C holding a connection and C allowed to wait for
      one, each at most DB_POOL_TIMEOUT seconds; the next is refused at once.

    DB_POOL_SIZE, DB_MAX_OVERFLOW, DB_ORDER_POOL and DB_ADMISSION_LIMIT, when set, win.
    """
    concurrency = max(2, int(config["WORKER_CONCURRENCY"]))

    def given(key: str, derived: int) -> int:
        value = config.get(key)
        return derived if value is None else int(value)

    pool_size = given("DB_POOL_SIZE", concurrency // 2)
    max_overflow = given("DB_MAX_OVERFLOW", concurrency - concurrency // 2)
    return {
        "pool_size": pool_size,
        "max_overflow": max_overflow,
        "pool_timeout": float(config["DB_POOL_TIMEOUT"]),
        "order_pool": given("DB_ORDER_POOL", max(2, concurrency // 4)),
        "admission_limit": given("DB_ADMISSION_LIMIT", 2 * concurrency),
    }


# One at a time per key: a write, its commit and the events that commit sends ---------------

_STRIPES = [threading.Lock() for _ in range(64)]  # gevent-aware once monkey-patched
ADVISORY_KEY_RANGE = 2**31  # pg_advisory_lock(int4, int4)
LOCK_POOL_MAX = 8  # connections per process holding advisory locks, unless told otherwise
LOCK_WAIT = 10.0  # seconds a send waits for its turn, unless told otherwise
_lock_engines: dict[tuple[str, int, float], Engine] = {}


class TurnNotFree(PoolTimeout):
    """The turn was not free within the wait: answered like a pool timeout (unavailable)."""


@contextmanager
def one_at_a_time(
    engine: Engine,
    namespace: int,
    key: int,
    *,
    wait: float = LOCK_WAIT,
    pool_max: int = LOCK_POOL_MAX,
) -> Iterator[None]:
    """Let one holder at a time through for (namespace, key): in this process by a lock,
    across processes on PostgreSQL by a session advisory lock.

    Held around a write *and* its commit, it makes the events sent after that commit leave
    in the order of the writes (a row lock ends at COMMIT, before the events are out).
    Enter it holding no pooled connection: the holder takes one from the pool inside, and
    the advisory lock lives on a connection of a small pool of its own (`pool_max`), so
    waiters never starve the holder. Each of the three waits (this process's lock, a
    connection of the lock pool, the advisory lock) ends after `wait` seconds with
    TurnNotFree or the pool's TimeoutError, so a caller never queues blind.
    """
    stripe = _STRIPES[hash((namespace, key)) % len(_STRIPES)]
    if not stripe.acquire(timeout=wait):
        raise TurnNotFree(f"the turn of ({namespace}, {key}) was not free within {wait} s")
    try:
        if engine.dialect.name != "postgresql":
            yield
            return
        arguments = {"namespace": namespace, "key": key % ADVISORY_KEY_RANGE}
        with _lock_engine(engine, pool_max, wait).connect() as connection:
            try:
                connection.execute(text("SELECT pg_advisory_lock(:namespace, :key)"), arguments)
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) == "55P03":  # lock_timeout
                    raise TurnNotFree(f"advisory lock not granted within {wait} s") from error
                raise
            try:
                yield
            finally:
                _advisory_unlock(connection, arguments)
    finally:
        stripe.release()


def _lock_engine(engine: Engine, pool_max: int, wait: float) -> Engine:
    """One small pool per database (advisory locks are per database, not per schema); its
    connections give up on an advisory lock after `wait` seconds (lock_timeout)."""
    url = engine.url.set(query={})
    key = (url.render_as_string(hide_password=False), pool_max, wait)
    if key not in _lock_engines:
        # Autocommit: taking and giving back the lock are one round trip each (no BEGIN,
        # no COMMIT). No ping before use either: after a restart of the server the first
        # send fails (`unavailable`, retried) and the pool drops every old connection.
        _lock_engines[key] = create_engine(
            url,
            pool_size=1,
            max_overflow=max(0, pool_max - 1),
            pool_timeout=wait,
            isolation_level="AUTOCOMMIT",
            connect_args={"options": f"-c lock_timeout={max(1, int(wait * 1000))}"},
        )
    return _lock_engines[key]


def _advisory_unlock(connection: Any, arguments: dict[str, int]) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:namespace, :key)"), arguments)
    except DBAPIError:
        connection.invalidate()  # the server ends the lock with the connection


def enum_column(cls: type[enum.Enum], length: int = 24, *, by_value: bool = False) -> Enum:
    """An enum column stored as a short string (the member's name, or with `by_value` its
    value), checked on write."""
    return Enum(
        cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=(lambda members: [m.value for m in members]) if by_value else None,
    )


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over the rows matching `where` only, on SQLite and PostgreSQL alike (a
    unique one makes "one at a time" hold under concurrent writes)."""
    condition = text(where)
    return Index(name, *columns, unique=unique, sqlite_where=condition, postgresql_where=condition)
