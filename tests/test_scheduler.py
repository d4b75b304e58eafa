from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from portal import scheduler


def test_heartbeat_job_records_the_time(app):
    assert scheduler.get_last_heartbeat() is None
    with time_machine.travel(datetime(2026, 11, 22, 9, 30, tzinfo=UTC), tick=False):
        scheduler.record_heartbeat()
    assert scheduler.get_last_heartbeat() == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 11, 22, 9, 31, tzinfo=UTC), tick=False):
        scheduler.record_heartbeat()
    assert scheduler.get_last_heartbeat() == datetime(2026, 11, 22, 9, 31, tzinfo=UTC)


def test_scheduler_collects_every_registered_job(app):
    built = scheduler.build_scheduler(app, blocking=False)
    assert sorted(job.id for job in built.get_jobs()) == [
        "activities.reminders",
        "alerts.escalate",
        "alerts.purge",
        "audit.purge",
        "calls.purge",
        "calls.stale",
        "concierge.help",
        "concierge.parcel_reminders",
        "concierge.ticket_alerts",
        "datarights.closed_accounts",
        "messaging.purge",
        "notifications.purge",
        "people.activity_days_purge",
        "portal.heartbeat",
        "referrals.purge",
        "wellbeing.missed_checkins",
        "wellbeing.purge",
    ]


def test_scheduler_is_off_in_tests(app):
    assert scheduler.start_in_process(app) is None


def test_jobs_run_inside_the_app_context(app):
    job = scheduler.in_app_context(app, scheduler.record_heartbeat)
    job()
    assert scheduler.get_last_heartbeat() is not None


def test_a_job_owns_its_transaction_all_or_nothing(app):
    from sqlalchemy import func, select

    from portal.audit import service as audit
    from portal.audit.models import AuditEntry
    from portal.extensions import db

    def count() -> int:
        return int(db.session.scalar(select(func.count(AuditEntry.id))) or 0)

    def writes_then_fails() -> None:
        audit.record("job.step", actor=None)
        db.session.flush()
        raise RuntimeError("the second step fails")

    def writes() -> None:
        audit.record("job.step", actor=None)

    failing = scheduler.in_app_context(app, writes_then_fails)
    with pytest.raises(RuntimeError):
        failing()
    assert count() == 0
    scheduler.in_app_context(app, writes)()
    assert count() == 1
