"""Scheduled jobs of the service exchange, called directly with a frozen clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from concierge.exchange import jobs
from concierge.exchange import service as helping
from concierge.exchange.models import HealthAccessLog, HelpStatus
from portal.db import utcnow
from portal.extensions import db
from portal.people.models import Role
from tests.concierge.exchange.test_helping import ask, notifications_of, soon
from tests.factories import make_building, make_resident, make_staff


def test_urgent_request_untaken_for_two_hours_alerts_concierge_and_coordinator_once(app):
    building = make_building()
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    manager = make_staff(Role.MANAGER, [building])
    urgent = ask(jeanne, urgency="urgent", window_end=soon(10))
    ask(jeanne, urgency="soon", window_end=soon(48))
    now = utcnow()
    assert helping.escalate_untaken(now + timedelta(minutes=119)) == 0
    assert helping.escalate_untaken(now + timedelta(minutes=121)) == 1
    assert helping.escalate_untaken(now + timedelta(minutes=180)) == 0
    assert urgent.escalated_at is not None
    for staff in (concierge, coordinator):
        assert len(notifications_of(staff)) == 1 and "Urgent" in notifications_of(staff)[0]
    assert notifications_of(manager) == []
    assert [r.id for r in helping.list_needing_attention(concierge)] == [urgent.id]


def test_requests_past_their_window_are_closed_and_the_requester_told(app):
    building = make_building()
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    paul = make_resident(building, first_name="Paul", locale="en")
    open_one = ask(jeanne, window_end=soon(2))
    taken = ask(jeanne, window_end=soon(2))
    helping.do_take(paul, taken.id)
    later = utcnow() + timedelta(hours=3)
    assert helping.expire_past_window(later) == 1
    assert open_one.status == HelpStatus.EXPIRED and taken.status == HelpStatus.TAKEN
    assert any("Nobody could help in time" in t for t in notifications_of(jeanne))


def test_pharmacy_details_are_erased_30_days_after_the_run_and_the_audit_stays(app):
    building = make_building()
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    paul = make_resident(building, first_name="Paul", locale="en")
    run = ask(jeanne, kind="pharmacy", details="Pharmacie du Centre", health_consent=True)
    groceries = ask(jeanne, details="pain")
    for request in (run, groceries):
        helping.do_take(paul, request.id)
        helping.do_mark_done(paul, request.id, 30)
    helping.get_details(paul, run, "page")
    assert run.done_at is not None
    assert helping.purge_health(run.done_at + timedelta(days=29)) == 0
    assert helping.purge_health(run.done_at + timedelta(days=31)) == 1
    assert run.details is None and run.details_erased_at is not None
    assert groceries.details == "pain"
    assert db.session.scalars(select(HealthAccessLog.request_id)).all() == [run.id]


def test_the_scheduled_job_closes_what_ran_out_of_time(app):
    request = ask(make_resident(make_building()))
    request.window_end = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert jobs.run_help_jobs() == 1
    assert request.status == HelpStatus.EXPIRED
