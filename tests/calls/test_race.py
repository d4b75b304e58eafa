"""Two people calling the same tablet at the same moment: exactly one call rings, the other
caller hears "busy" (SQLite's write lock; PostgreSQL's row locks on the two people)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from messaging.calls import service
from messaging.calls.models import Call, CallStatus
from portal.errors import DomainError
from portal.extensions import db
from portal.factory import create_app
from portal.people.models import Person
from portal.transaction import owns_transaction
from tests.conftest import TEST_CONFIG, IsolatedClient
from tests.live import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The test app on SQLite, and on a fresh PostgreSQL schema of its own."""
    if request.param == "postgresql":
        with postgres_schema("call") as uri:
            yield from _app(uri, tmp_path)
    else:
        yield from _app(f"sqlite:///{tmp_path / 'race.sqlite3'}", tmp_path)


def _app(uri: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "PORTAL_UPLOAD_DIR": str(tmp_path)}
    )
    application.test_client_class = IsolatedClient
    with application.app_context():
        db.create_all()
        yield application
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_two_calls_to_the_same_tablet_at_once_ring_once(app, cast):
    callers = [cast.coordinator.id, cast.julie.id, cast.concierge.id]
    callee_id = cast.jeanne.id
    barrier = threading.Barrier(len(callers))
    results: list[str] = []

    def call(caller_id: int) -> None:
        with app.app_context():
            caller = db.session.get(Person, caller_id)
            barrier.wait()
            try:
                owns_transaction(service.do_start_call)(caller, callee_id)
                results.append("ringing")
            except DomainError as error:
                results.append(error.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=call, args=(c,)) for c in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["busy", "busy", "ringing"]
    ringing = select(func.count()).select_from(Call).where(Call.status == CallStatus.RINGING)
    assert db.session.scalar(ringing) == 1
