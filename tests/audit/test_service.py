"""The audit log: reading per organisation with filters, and the retention purge."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.errors import PermissionDenied
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff


@pytest.fixture
def org_world(app):
    first, second = make_building(), None
    second = make_building(first.organisation)
    manager = make_staff(Role.MANAGER, [first, second])
    coordinator = make_staff(Role.COORDINATOR, [first])
    residents = [make_resident(first), make_resident(second)]
    return {
        "first": first,
        "second": second,
        "manager": manager,
        "coordinator": coordinator,
        "residents": residents,
    }


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_entries_are_listed_newest_first_for_the_managers_organisation(org_world):
    coordinator, (ann, bob) = org_world["coordinator"], org_world["residents"]
    for day, subject in ((1, ann), (2, bob), (3, ann)):
        with time_machine.travel(at(day), tick=False):
            audit.do_record("card.issued", actor=coordinator, subject=subject)
    outsider = make_resident(make_building())
    audit.do_record("card.issued", actor=None, subject=outsider)
    page = audit.list_entries(org_world["manager"], audit.AuditFilters(), 1, 10)
    assert [e.at.day for e in page.entries] == [3, 2, 1]
    assert page.names[ann.id] == ann.full_name and not page.has_next


def test_filters_by_action_building_and_dates(org_world):
    coordinator, (ann, bob) = org_world["coordinator"], org_world["residents"]
    for day, action, subject in (
        (1, "card.issued", ann),
        (5, "pin.reset", ann),
        (9, "card.issued", bob),
    ):
        with time_machine.travel(at(day), tick=False):
            audit.do_record(action, actor=coordinator, subject=subject)
    manager = org_world["manager"]

    def days(**filters) -> list[int]:
        page = audit.list_entries(manager, audit.AuditFilters(**filters), 1, 10)
        return [e.at.day for e in page.entries]

    assert days(action="card.issued") == [9, 1]
    assert days(building_id=org_world["second"].id) == [9]
    assert days(since=date(2026, 3, 5)) == [9, 5]
    assert days(until=date(2026, 3, 5)) == [5, 1]
    assert days(since=date(2026, 3, 2), until=date(2026, 3, 8)) == [5]


def test_pages_of_the_log(org_world):
    coordinator, (ann, _bob) = org_world["coordinator"], org_world["residents"]
    for _ in range(5):
        audit.do_record("card.issued", actor=coordinator, subject=ann)
    first = audit.list_entries(org_world["manager"], audit.AuditFilters(), 1, 2)
    third = audit.list_entries(org_world["manager"], audit.AuditFilters(), 3, 2)
    assert len(first.entries) == 2 and first.has_next
    assert len(third.entries) == 1 and not third.has_next


def test_only_managers_read_the_log(org_world):
    with pytest.raises(PermissionDenied):
        audit.list_entries(org_world["coordinator"], audit.AuditFilters(), 1, 10)


def test_record_names_people_by_id_and_by_pseudonym(org_world):
    coordinator, (ann, _bob) = org_world["coordinator"], org_world["residents"]
    entry = audit.do_record("pin.reset", actor=coordinator, subject=ann)
    assert entry.subject_ref == audit.pseudonym(ann.id) != audit.pseudonym(coordinator.id)
    assert entry.building_id == ann.building_id
    assert entry.organisation_id == ann.organisation_id


def test_purge_deletes_entries_older_than_the_retention(app, org_world):
    coordinator, (ann, _bob) = org_world["coordinator"], org_world["residents"]
    now = datetime(2027, 6, 1, 3, tzinfo=UTC)
    for age in (400, 366, 364, 1):
        with time_machine.travel(now - timedelta(days=age), tick=False):
            audit.do_record("card.issued", actor=coordinator, subject=ann)
    assert audit.purge_expired(now) == 2
    ages = sorted((now - e.at).days for e in db.session.scalars(select(AuditEntry)))
    assert ages == [1, 364]


def test_purge_follows_the_configured_retention(app, org_world):
    coordinator, (ann, _bob) = org_world["coordinator"], org_world["residents"]
    now = datetime(2027, 6, 1, 3, tzinfo=UTC)
    for age in (40, 20):
        with time_machine.travel(now - timedelta(days=age), tick=False):
            audit.do_record("card.issued", actor=coordinator, subject=ann)
    app.config["AUDIT_RETENTION_DAYS"] = 30
    assert audit.purge_expired(now) == 1
    assert app.config["AUDIT_RETENTION_DAYS"] == 30
