"""The daily purge job, run directly with a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from portal import scheduler
from portal.audit import jobs
from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff

NOW = datetime(2027, 1, 15, 2, 0, tzinfo=UTC)


def test_the_purge_runs_daily(app):
    built = scheduler.build_scheduler(app, blocking=False)
    job = built.get_job(jobs.PURGE_JOB_ID)
    assert job is not None
    assert job.trigger.interval == timedelta(days=1)


def test_the_job_purges_with_the_current_time(app):
    building = make_building()
    staff, ann = make_staff(Role.COORDINATOR, [building]), make_resident(building)
    for age in (366, 10):
        with time_machine.travel(NOW - timedelta(days=age), tick=False):
            audit.do_record("card.issued", actor=staff, subject=ann)
    with time_machine.travel(NOW, tick=False):
        assert jobs.run_purge() == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


def test_the_default_retention_is_a_year(app):
    assert app.config["AUDIT_RETENTION_DAYS"] == 365


def test_the_retention_is_read_from_the_environment():
    from portal.config import from_env

    assert from_env({"BV_AUDIT_RETENTION_DAYS": "90"}) == {"AUDIT_RETENTION_DAYS": 90}
