from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

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
