"""Helpers of the referrals tests: two buildings of one landlord, their staff, residents and
partners, and forms posted with their CSRF token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.auth import service as auth
from portal.extensions import db
from portal.people.models import Building, Person, Role
from portal.referrals import service
from portal.referrals.models import Referral
from tests.factories import (
    STAFF_PASSWORD,
    make_building,
    make_dwelling,
    make_organisation,
    make_resident,
    make_staff,
)


def token(client) -> str:
    """The CSRF token of the logged-in session, read from a page's meta tag."""
    html = client.get("/settings").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html
    return match.group(1)


def post(client, url: str, data: dict[str, Any] | None = None, *, csrf: bool = True):
    """Send a form as the browser does: with the CSRF token, unless `csrf` is False."""
    fields = {"csrf_token": token(client)} if csrf else {}
    return client.post(url, data={**fields, **(data or {})})


def audit_actions(object_id: int | None = None) -> list[str]:
    stmt = select(AuditEntry.action).order_by(AuditEntry.id)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_type == "referral", AuditEntry.object_id == object_id)
    return list(db.session.scalars(stmt))


@dataclass
class Cast:
    building: Building
    other: Building
    jeanne: Person  # flat 12 of the building, alone
    coordinator: Person
    concierge: Person
    manager: Person
    other_coordinator: Person
    partner: Person  # attached to the building
    other_partner: Person  # attached to the building too
    far_partner: Person  # attached to the other building only
    outsider: Person  # a resident of the other building


def make_partner(inviter: Person, buildings: list[Building], name: str) -> Person:
    """A partner invited through the service, who has chosen a password."""
    partner, _created = service.do_invite_partner(
        inviter,
        email=f"{name.lower()}@partners.example.org",
        first_name=name,
        last_name="Partner",
        kind="social_worker",
        organisation_name=f"CCAS {name}",
        building_ids=[b.id for b in buildings],
    )
    partner.locale = "en"
    auth.do_set_password(partner, STAFF_PASSWORD)
    return partner


@pytest.fixture
def cast(app) -> Cast:
    org = make_organisation()
    building = make_building(org, "Les Tilleuls")
    other = make_building(org, "Les Acacias")
    jeanne = make_resident(
        building, dwelling=make_dwelling(building, "12"), first_name="Jeanne", locale="en"
    )
    jeanne.last_name = "Dupont"
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    manager = make_staff(Role.MANAGER, [building, other], locale="en")
    other_coordinator = make_staff(Role.COORDINATOR, [other], locale="en")
    outsider = make_resident(other, first_name="Odette", locale="en")
    with app.test_request_context():  # the invitations build their links
        partner = make_partner(coordinator, [building], "Sonia")
        other_partner = make_partner(coordinator, [building], "Marc")
        far_partner = make_partner(other_coordinator, [other], "Lea")
    db.session.commit()
    return Cast(
        building,
        other,
        jeanne,
        coordinator,
        concierge,
        manager,
        other_coordinator,
        partner,
        other_partner,
        far_partner,
        outsider,
    )


def send(cast: Cast, partner: Person | None = None, **fields: Any) -> Referral:
    """A referral about Jeanne's flat (or what `fields` say), committed."""
    values: dict[str, Any] = {
        "building_id": cast.building.id,
        "dwelling_number": "12",
        "resident_name": "Dupont",
        "concern": "isolation",
        "urgency": "soon",
        "text": "Her fridge was empty twice this week.",
    }
    values.update(fields)
    referral = service.do_send_referral(partner or cast.partner, **values)
    db.session.commit()
    return referral
