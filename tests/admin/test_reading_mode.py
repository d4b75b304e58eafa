"""Easy-to-read chosen for a resident by their coordinator (or a manager), on the resident's
page and when adding them; nobody else may."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.admin import people_admin
from portal.audit.models import AuditEntry
from portal.errors import PermissionDenied
from portal.extensions import db
from portal.people.models import Person, Role
from tests.admin.test_onboarding_routes import token
from tests.factories import make_building, make_resident, make_staff


@pytest.fixture
def world(app):
    building = make_building()
    sister = make_building(building.organisation)
    return {
        "building": building,
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "manager": make_staff(Role.MANAGER, [building, sister]),
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "sister_coordinator": make_staff(Role.COORDINATOR, [sister]),
        "foreign_coordinator": make_staff(Role.COORDINATOR, [make_building()]),
        "resident": make_resident(building, first_name="Rose"),
        "neighbour": make_resident(building, first_name="Paul"),
    }


def switch(client, person: Person, value: str):
    data = {"csrf_token": token(client), "easy_read": value}
    return client.post(f"/staff/residents/{person.id}/easy-read", data=data)


@pytest.mark.parametrize("who", ["coordinator", "manager"])
def test_the_coordinator_switches_a_resident_to_easy_to_read_and_back(client, login, world, who):
    resident = world["resident"]
    login(world[who])
    page = client.get(f"/staff/residents/{resident.id}").get_data(as_text=True)
    assert "Switch to easy-to-read pages" in page
    answer = switch(client, resident, "on")
    assert answer.status_code == 302 and resident.easy_read is True
    page = client.get(f"/staff/residents/{resident.id}").get_data(as_text=True)
    assert "Switch back to the usual pages" in page
    assert switch(client, resident, "off").status_code == 302
    assert resident.easy_read is False


@pytest.mark.parametrize(
    ("who", "status"),
    [("concierge", 403), ("sister_coordinator", 404), ("foreign_coordinator", 404)],
)
def test_other_staff_may_not_choose_easy_to_read_for_a_resident(client, login, world, who, status):
    resident = world["resident"]
    login(world[who])
    assert switch(client, resident, "on").status_code == status
    db.session.refresh(resident)
    assert resident.easy_read is False
    if status == 403:
        page = client.get(f"/staff/residents/{resident.id}").get_data(as_text=True)
        assert "easy-read" not in page.split("<main", 1)[1]


def test_a_resident_may_not_choose_easy_to_read_for_a_neighbour(client, login, world):
    login(world["neighbour"])
    answer = switch(client, world["resident"], "on")
    assert answer.status_code == 404
    assert world["resident"].easy_read is False


def test_the_service_refuses_without_the_route(world):
    with pytest.raises(PermissionDenied):
        people_admin.do_set_easy_read(world["concierge"], world["resident"], True)
    with pytest.raises(PermissionDenied):
        people_admin.do_set_easy_read(world["coordinator"], world["coordinator"], True)
    people_admin.do_set_easy_read(world["coordinator"], world["resident"], True)
    assert world["resident"].easy_read is True
    db.session.flush()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.easy_read_set")
    ).one()
    assert (entry.actor_id, entry.subject_id) == (world["coordinator"].id, world["resident"].id)


def test_easy_to_read_is_offered_when_adding_a_resident(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    page = client.get(f"/staff/buildings/{building.id}/residents/new").get_data(as_text=True)
    assert 'name="easy_read"' in page
    form = {
        "csrf_token": token(client),
        "first_name": "Henri",
        "last_name": "Lefebvre",
        "birth_year": "1939",
        "phone": "",
        "language": "fr",
        "dwelling": "new",
        "number": "7B",
        "floor": "0",
        "kind": "T3",
        "easy_read": "y",
    }
    answer = client.post(f"/staff/buildings/{building.id}/residents/new", data=form)
    assert answer.status_code == 302
    henri = db.session.scalars(select(Person).where(Person.first_name == "Henri")).one()
    assert henri.easy_read is True
    form |= {"first_name": "Louise", "number": "7C", "easy_read": ""}
    del form["easy_read"]
    assert (
        client.post(f"/staff/buildings/{building.id}/residents/new", data=form).status_code == 302
    )
    louise = db.session.scalars(select(Person).where(Person.first_name == "Louise")).one()
    assert louise.easy_read is False
