"""Helpers of the alert tests: a frozen Paris night, a building with its rota, a fake
source of emergency contacts, the real SMTP test server and a stand-in SMS gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from portal.alerts import contacts, service
from portal.alerts.contacts import EmergencyAddress
from portal.alerts.models import Alert, AlertStep
from portal.extensions import db
from portal.people.models import Building, Person, Role
from tests.alerts.sms_gateway import sms_gateway, sms_server  # noqa: F401 (fixtures)
from tests.factories import make_building, make_organisation, make_resident, make_staff

SUNDAY, MONDAY = 6, 0
ALL_WEEK = list(range(7))


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A UTC moment in November 2026 (Monday the 23rd; Paris is UTC+1)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


NIGHT = at(1, 0)  # Monday 02:00 in Paris


@dataclass
class Cast:
    building: Building
    other: Building
    jeanne: Person
    night: Person  # concierge on the Sunday night shift, told first
    second: Person  # coordinator on call every evening and night, told next
    manager: Person  # the building's fallback
    day_concierge: Person  # on call in the daytime only
    other_concierge: Person
    other_coordinator: Person
    neighbour: Person


def phone(person: Person, number: str) -> Person:
    person.phone = number
    return person


@pytest.fixture
def cast(app) -> Cast:
    org = make_organisation()
    building = make_building(org, "Les Tilleuls")
    other = make_building(org, "Les Acacias")
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    night = phone(make_staff(Role.CONCIERGE, [building], locale="en"), "06 11 11 11 11")
    second = phone(make_staff(Role.COORDINATOR, [building], locale="en"), "06 22 22 22 22")
    manager = phone(make_staff(Role.MANAGER, [building, other], locale="fr"), "06 33 33 33 33")
    day_concierge = phone(make_staff(Role.CONCIERGE, [building], locale="en"), "06 44 44 44 44")
    other_concierge = make_staff(Role.CONCIERGE, [other], locale="en")
    other_coordinator = make_staff(Role.COORDINATOR, [other], locale="en")
    neighbour = make_resident(building, first_name="Paul", locale="en")
    db.session.commit()
    return Cast(
        building,
        other,
        jeanne,
        night,
        second,
        manager,
        day_concierge,
        other_concierge,
        other_coordinator,
        neighbour,
    )


@pytest.fixture
def rota(cast: Cast) -> Cast:
    """Sunday night 22:00–06:00: the concierge; every evening 20:00–08:00: the coordinator;
    weekdays 08:00–18:00: the day concierge; the manager as fallback."""
    editor = cast.manager
    b = cast.building.id
    service.do_add_entry(editor, b, cast.night.id, [SUNDAY], time(22), time(6), 1)
    service.do_add_entry(editor, b, cast.second.id, ALL_WEEK, time(20), time(8), 2)
    service.do_add_entry(editor, b, cast.day_concierge.id, [0, 1, 2, 3, 4], time(8), time(18), 1)
    service.do_set_fallback(editor, b, cast.manager.id)
    db.session.commit()
    return cast


MARIE = EmergencyAddress("Marie Martin", "marie@example.org", "+33655555555", "fr")


@pytest.fixture
def emergency_contacts(monkeypatch) -> dict[int, list[EmergencyAddress]]:
    """A fake contacts source (the real one lives in portal.wellbeing): person id -> list."""
    known: dict[int, list[EmergencyAddress]] = {}
    monkeypatch.setattr(contacts, "_sources", [])
    contacts.register_contacts_source(lambda person_id: known.get(person_id, []))
    return known


@pytest.fixture
def channels_on(smtp_app, inbox, sms_gateway):  # noqa: F811 (fixture from sms_gateway)
    """Mail to the real SMTP test server, texts to the stand-in gateway; the first round
    leaves right after the commit that raised the alert, in the test's thread."""
    smtp_app.config["ALERTS_SEND_AT_ONCE"] = True
    return inbox, sms_gateway


def steps_of(alert_id: int) -> list[tuple[str, str, str, str]]:
    """(what, name or person id, channel, outcome) of each timeline line, in order."""
    db.session.expire_all()
    stmt = select(AlertStep).where(AlertStep.alert_id == alert_id).order_by(AlertStep.id)
    return [
        (
            s.what.value,
            s.name or str(s.person_id or ""),
            s.channel.value if s.channel else "",
            s.outcome.value if s.outcome else "",
        )
        for s in db.session.scalars(stmt)
    ]


def only_alert() -> Alert:
    db.session.expire_all()
    [alert] = db.session.scalars(select(Alert)).all()
    return alert
