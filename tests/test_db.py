from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from portal.extensions import db as _db
from portal.factory import create_app
from portal.people.models import Person
from tests.factories import make_resident


def test_datetimes_come_back_aware_and_in_utc(app, db):
    resident = make_resident()
    paris_noon = datetime(2026, 3, 29, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    resident.last_login_at = paris_noon
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Person, resident.id).last_login_at
    assert stored == paris_noon
    assert stored.tzinfo == UTC
    assert stored.hour == 10


def test_naive_datetimes_are_refused(app, db):
    resident = make_resident()
    resident.last_login_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        db.session.commit()
    db.session.rollback()


def test_created_at_is_set_in_utc(app):
    resident = make_resident()
    assert resident.created_at.tzinfo == UTC


def _write_from_threads(app, writers: int, writes: int) -> list[str]:
    """Each thread reads a counter and writes it back + 1, many times, in write transactions."""
    from portal.db import begin_write

    with app.app_context():
        person_id = make_resident().id
        _db.session.commit()
        _db.session.remove()
    barrier = threading.Barrier(writers)
    errors: list[str] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                for _ in range(writes):
                    begin_write(_db.session)
                    person = _db.session.get(Person, person_id, populate_existing=True)
                    person.pin_failures += 1
                    _db.session.commit()
            except Exception as error:
                errors.append(repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        errors.append(f"count={_db.session.get(Person, person_id).pin_failures}")
        _db.session.remove()
    return errors


def test_concurrent_writers_on_sqlite_wait_instead_of_failing(tmp_path):
    """WAL, a busy timeout and BEGIN IMMEDIATE: no "database is locked", no lost update,
    with one connection per thread as separate processes (web workers, scheduler) have."""
    uri = f"sqlite:///{tmp_path / 'writers.sqlite3'}"
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri, "SQLITE_SERIALIZE": False}
    )
    with app.app_context():
        _db.create_all()
        mode = _db.session.execute(text("PRAGMA journal_mode")).scalar()
        _db.session.remove()
    assert mode == "wal"
    assert _write_from_threads(app, writers=8, writes=25) == ["count=200"]


@pytest.mark.postgres
def test_one_at_a_time_holds_a_lock_other_processes_see_until_the_block_ends():
    """While one worker is inside (write, commit, events), another process cannot enter."""
    from sqlalchemy import create_engine

    from portal.db import one_at_a_time
    from tests.live import postgres_schema

    with postgres_schema("order") as url:
        engine, elsewhere = create_engine(url), create_engine(url)
        other_process = elsewhere.connect()

        def other_may_enter() -> bool:
            held = other_process.execute(text("SELECT pg_try_advisory_lock(7, 42)")).scalar()
            if held:
                other_process.execute(text("SELECT pg_advisory_unlock(7, 42)"))
            return bool(held)

        try:
            with one_at_a_time(engine, 7, 42):
                assert not other_may_enter()
                assert other_may_enter_for_another_key(other_process)
            assert other_may_enter()
        finally:
            other_process.close()
            elsewhere.dispose()
            engine.dispose()


def other_may_enter_for_another_key(connection) -> bool:
    held = connection.execute(text("SELECT pg_try_advisory_lock(7, 43)")).scalar()
    connection.execute(text("SELECT pg_advisory_unlock(7, 43)"))
    return bool(held)


def test_one_at_a_time_lets_one_thread_in_at_a_time(app):
    from portal.db import one_at_a_time

    inside, most, engine = [0], [0], _db.engine

    def enter() -> None:
        with one_at_a_time(engine, 1, 5):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            threading.Event().wait(0.01)
            inside[0] -= 1

    threads = [threading.Thread(target=enter) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
