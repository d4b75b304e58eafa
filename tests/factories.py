"""Test data built through the services, as the application builds it."""

from __future__ import annotations

import itertools

from portal.auth import service as auth
from portal.people import service as people
from portal.people.models import Building, Dwelling, DwellingType, Organisation, Person, Role

STAFF_PASSWORD = "correct horse battery staple"
RESIDENT_PIN = "2580"
_counter = itertools.count(1)


def make_organisation(name: str | None = None) -> Organisation:
    return people.do_create_organisation(name or f"Bailleur {next(_counter)}")


def make_building(org: Organisation | None = None, name: str | None = None) -> Building:
    org = org or make_organisation()
    return people.do_create_building(
        org,
        name or f"Résidence {next(_counter)}",
        address="1 rue de la Paix, 59000 Lille",
        concierge_phone="03 20 11 22 33",
        concierge_hours="9 h–17 h",
    )


def make_dwelling(building: Building, number: str | None = None, floor: int = 1) -> Dwelling:
    number = number or f"{floor}{next(_counter):02d}"
    return people.do_create_dwellings(building, [(number, floor, DwellingType.T2)])[0]


def make_resident(
    building: Building | None = None,
    *,
    dwelling: Dwelling | None = None,
    first_name: str = "Jeanne",
    last_name: str | None = None,
    pin: str | None = RESIDENT_PIN,
    birth_year: int | None = 1942,
    locale: str | None = None,
) -> Person:
    if dwelling is None:
        dwelling = make_dwelling(building or make_building())
    person = people.do_create_person(
        organisation=dwelling.building.organisation,
        role=Role.RESIDENT,
        first_name=first_name,
        last_name=last_name or f"Martin{next(_counter)}",
        dwelling=dwelling,
        birth_year=birth_year,
        locale=locale,
    )
    if pin:
        auth.do_set_pin(person, pin, pin)
    return person


def make_staff(
    role: Role = Role.COORDINATOR,
    buildings: list[Building] | None = None,
    *,
    organisation: Organisation | None = None,
    email: str | None = None,
    password: str = STAFF_PASSWORD,
    locale: str | None = None,
) -> Person:
    buildings = buildings if buildings is not None else [make_building(organisation)]
    org = organisation or (buildings[0].organisation if buildings else make_organisation())
    person = people.do_create_person(
        organisation=org,
        role=role,
        first_name="Camille",
        last_name=f"Roussel{next(_counter)}",
        building=buildings[0] if buildings else None,
        covered_buildings=buildings,
        email=email or f"staff{next(_counter)}@example.org",
        locale=locale,
    )
    auth.do_set_password(person, password)
    return person
