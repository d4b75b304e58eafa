"""The people of the call tests: a resident's tablet, the staff of the building, a relative
of the resident's family circle, and people who may not call her."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.extensions import db
from portal.people.models import Building, Person, Role
from tests.factories import make_building, make_organisation, make_resident, make_staff
from tests.family.conftest import join


@dataclass
class Cast:
    building: Building
    other: Building
    jeanne: Person  # the resident whose tablet calls and rings
    paul: Person  # her neighbour: residents do not call each other
    coordinator: Person
    concierge: Person
    manager: Person  # the landlord's manager: not one who calls residents
    other_coordinator: Person  # covers another building only
    outsider: Person  # a resident of the other building
    julie: Person  # Jeanne's daughter, in her family circle
    stranger: Person  # a relative of Paul's, not in Jeanne's circle


@pytest.fixture
def cast(app) -> Cast:
    org = make_organisation()
    building, other = make_building(org), make_building(org)
    jeanne = make_resident(building, first_name="Jeanne", locale="fr")
    paul = make_resident(building, first_name="Paul")
    with app.test_request_context():  # the invitations' mails build their links
        julie = join(jeanne, "julie.calls@example.org", "Julie")
        stranger = join(paul, "marc.calls@example.org", "Marc")
    people = Cast(
        building=building,
        other=other,
        jeanne=jeanne,
        paul=paul,
        coordinator=make_staff(Role.COORDINATOR, [building], organisation=org),
        concierge=make_staff(Role.CONCIERGE, [building], organisation=org),
        manager=make_staff(Role.MANAGER, [building], organisation=org),
        other_coordinator=make_staff(Role.COORDINATOR, [other], organisation=org),
        outsider=make_resident(other, first_name="Odette"),
        julie=julie,
        stranger=stranger,
    )
    db.session.commit()
    return people
