"""Helpers of the wellbeing tests: a frozen Paris clock, the people of two buildings, forms
posted with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Building, Person, Role
from tests.factories import make_building, make_organisation, make_resident, make_staff

# Monday 23 November 2026; Paris is UTC+1 in winter, so 11:00 in Paris is 10:00 UTC.
MORNING = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Paris


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A UTC moment on a November 2026 day."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def token(client) -> str:
    """The CSRF token of the logged-in session, read from a page's meta tag."""
    html = client.get("/help").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html
    return match.group(1)


def post(client, url: str, data: dict[str, str] | None = None, *, csrf: bool = True):
    """Send a form as the browser does: with the CSRF token, unless `csrf` is False."""
    fields = {"csrf_token": token(client)} if csrf else {}
    return client.post(url, data={**fields, **(data or {})})


def notifications_of(person: Person) -> list[str]:
    stmt = select(Notification.title).where(Notification.person_id == person.id)
    return list(db.session.scalars(stmt))


def audit_actions(subject: Person) -> list[str]:
    stmt = select(AuditEntry.action).where(AuditEntry.subject_id == subject.id)
    return list(db.session.scalars(stmt.order_by(AuditEntry.id)))


@dataclass
class Cast:
    building: Building
    other: Building
    jeanne: Person
    paul: Person
    coordinator: Person
    concierge: Person
    manager: Person
    other_coordinator: Person
    other_concierge: Person
    outsider: Person


@pytest.fixture
def cast(app) -> Cast:
    org = make_organisation()
    building = make_building(org, "Les Tilleuls")
    other = make_building(org, "Les Acacias")
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    jeanne.phone = "06 12 34 56 78"
    paul = make_resident(building, first_name="Paul", locale="en")
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    manager = make_staff(Role.MANAGER, [building, other], locale="en")
    other_coordinator = make_staff(Role.COORDINATOR, [other], locale="en")
    other_concierge = make_staff(Role.CONCIERGE, [other], locale="en")
    outsider = make_resident(other, first_name="Odette", locale="en")
    db.session.commit()
    return Cast(
        building,
        other,
        jeanne,
        paul,
        coordinator,
        concierge,
        manager,
        other_coordinator,
        other_concierge,
        outsider,
    )
