"""Changing roles, closing and reopening accounts, moving households: who may, and what follows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.admin import people_admin
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_dwelling, make_resident, make_staff


@pytest.fixture
def world(app):
    """Two buildings of one landlord, one of another landlord, their staff and residents."""
    building = make_building()
    sister = make_building(building.organisation)
    foreign = make_building()
    home = make_dwelling(building, "11", floor=1)
    return {
        "building": building,
        "sister": sister,
        "home": home,
        "spare": make_dwelling(building, "12", floor=1),
        "sister_flat": make_dwelling(sister, "S1", floor=0),
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "manager": make_staff(Role.MANAGER, [building]),
        "sister_coordinator": make_staff(Role.COORDINATOR, [sister]),
        "foreign_manager": make_staff(Role.MANAGER, [foreign]),
        "rose": make_resident(dwelling=home, first_name="Rose"),
        "louis": make_resident(dwelling=home, first_name="Louis"),
    }


def token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def post(client, url: str, **data):
    return client.post(url, data={"csrf_token": token(client), **data})


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_deactivation_ends_sessions_and_sockets_at_once(app, client, login, socket_client, world):
    rose = world["rose"]
    rose_http = login(rose, app.test_client())
    assert rose_http.get("/").status_code == 200
    sock = socket_client(rose)
    assert sock.is_connected()

    login(world["coordinator"])
    answer = post(client, f"/staff/people/{rose.id}/deactivate")
    assert answer.status_code == 302
    db.session.refresh(rose)
    assert rose.active is False
    assert not sock.is_connected()
    assert rose_http.get("/").status_code == 302  # back to the login page
    assert actions() == ["person.deactivated"]


def test_reactivation_opens_the_account_again(client, login, world):
    rose = world["rose"]
    login(world["coordinator"])
    post(client, f"/staff/people/{rose.id}/deactivate")
    assert post(client, f"/staff/people/{rose.id}/reactivate").status_code == 302
    db.session.refresh(rose)
    assert rose.active is True
    assert actions() == ["person.deactivated", "person.reactivated"]


def test_a_coordinator_cannot_close_a_manager_or_themself(client, login, world):
    login(world["coordinator"])
    for target in (world["manager"], world["coordinator"]):
        assert post(client, f"/staff/people/{target.id}/deactivate").status_code == 422
        db.session.refresh(target)
        assert target.active
    assert actions() == []


def test_a_concierge_cannot_close_accounts(client, login, world):
    login(world["concierge"])
    assert post(client, f"/staff/people/{world['rose'].id}/deactivate").status_code == 422
    db.session.refresh(world["rose"])
    assert world["rose"].active


def test_a_manager_changes_a_role_and_the_person_is_logged_out(app, client, login, world):
    concierge = world["concierge"]
    version = concierge.session_version
    login(world["manager"])
    answer = post(client, f"/staff/people/{concierge.id}/role", role="coordinator")
    assert answer.status_code == 302
    db.session.refresh(concierge)
    assert concierge.role == Role.COORDINATOR and concierge.session_version == version + 1
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "person.role_changed"
    assert entry.detail == {"from": "concierge", "to": "coordinator"}


def test_a_coordinator_cannot_change_roles_nor_make_managers(client, login, world):
    login(world["coordinator"])
    for target, role in ((world["concierge"], "manager"), (world["rose"], "coordinator")):
        assert post(client, f"/staff/people/{target.id}/role", role=role).status_code == 422
        db.session.refresh(target)
        assert target.role in (Role.CONCIERGE, Role.RESIDENT)
    assert actions() == []


@pytest.mark.parametrize("role", ["", "king", "resident"])
def test_a_bad_role_is_refused(client, login, world, role):
    # "resident" is refused because the concierge has no dwelling.
    login(world["manager"])
    answer = post(client, f"/staff/people/{world['concierge'].id}/role", role=role)
    assert answer.status_code == 422
    db.session.refresh(world["concierge"])
    assert world["concierge"].role == Role.CONCIERGE


def test_a_manager_cannot_change_their_own_role(client, login, world):
    login(world["manager"])
    answer = post(client, f"/staff/people/{world['manager'].id}/role", role="coordinator")
    assert answer.status_code == 422


def test_a_coordinator_moves_one_resident_within_the_building(client, login, world):
    rose, louis = world["rose"], world["louis"]
    login(world["coordinator"])
    answer = post(client, f"/staff/people/{rose.id}/move", dwelling=world["spare"].id, who="one")
    assert answer.status_code == 302
    db.session.refresh(rose)
    db.session.refresh(louis)
    assert rose.dwelling_id == world["spare"].id and louis.dwelling_id == world["home"].id
    assert actions() == ["person.moved"]


def test_a_coordinator_cannot_move_to_another_building(client, login, world):
    rose = world["rose"]
    login(world["coordinator"])
    flat = world["sister_flat"].id
    answer = post(client, f"/staff/people/{rose.id}/move", dwelling=flat, who="household")
    assert answer.status_code == 422
    db.session.refresh(rose)
    assert rose.dwelling_id == world["home"].id and actions() == []


def test_a_manager_moves_a_household_to_another_building(client, login, socket_client, world):
    rose, louis = world["rose"], world["louis"]
    sock = socket_client(rose)
    login(world["manager"])
    flat = world["sister_flat"]
    answer = post(client, f"/staff/people/{rose.id}/move", dwelling=flat.id, who="household")
    assert answer.status_code == 302
    for person in (rose, louis):
        db.session.refresh(person)
        assert person.dwelling_id == flat.id and person.building_id == world["sister"].id
    assert actions() == ["person.moved", "person.moved"]
    assert not sock.is_connected()  # it reconnects into the new building's rooms


@pytest.mark.parametrize("who", ["sister_coordinator", "foreign_manager", "rose"])
def test_people_pages_are_hidden_from_staff_of_other_buildings(client, login, world, who):
    login(world[who])
    target = world["louis"]
    assert client.get(f"/staff/people/{target.id}").status_code == 404
    for action, data in (
        ("deactivate", {}),
        ("role", {"role": "concierge"}),
        ("move", {"dwelling": world["spare"].id}),
    ):
        assert post(client, f"/staff/people/{target.id}/{action}", **data).status_code == 404
    db.session.refresh(target)
    assert target.active and target.role == Role.RESIDENT
    assert target.dwelling_id == world["home"].id


def test_staff_list_and_person_page_show_the_allowed_actions(client, login, world):
    login(world["manager"])
    html = client.get(f"/staff/buildings/{world['building'].id}/staff").get_data(as_text=True)
    assert world["concierge"].full_name in html
    page = client.get(f"/staff/people/{world['rose'].id}").get_data(as_text=True)
    assert "Change the role" in page and "Close the account" in page and "Move" in page
    login(world["concierge"])
    page = client.get(f"/staff/people/{world['rose'].id}").get_data(as_text=True)
    assert "Change the role" not in page and "Close the account" not in page


# A failure half-way leaves nothing behind ---------------------------------------------------


def test_a_household_move_that_fails_half_way_moves_nobody(
    client, login, socket_client, world, monkeypatch
):
    rose, louis = world["rose"], world["louis"]
    sock = socket_client(rose)
    real = people_admin.audit.record
    recorded: list[str] = []

    def fail_on_the_second_mover(action, **fields):
        if recorded:
            raise RuntimeError("the audit log is unavailable")
        recorded.append(action)
        return real(action, **fields)

    monkeypatch.setattr(people_admin.audit, "record", fail_on_the_second_mover)
    login(world["manager"])
    flat = world["sister_flat"]
    answer = post(client, f"/staff/people/{rose.id}/move", dwelling=flat.id, who="household")
    assert answer.status_code == 500
    assert recorded == ["person.moved"]  # the first mover was moved and written down...
    for person in (rose, louis):  # ...and neither of them has moved
        db.session.refresh(person)
        assert person.dwelling_id == world["home"].id
        assert person.building_id == world["building"].id
    assert actions() == []
    assert sock.is_connected()  # nobody was sent to another building's rooms


def test_a_deactivation_that_fails_half_way_keeps_the_account_and_its_sessions(
    app, client, login, socket_client, world, events, monkeypatch
):
    rose = world["rose"]
    version = rose.session_version
    rose_http = login(rose, app.test_client())
    sock = socket_client(rose)
    real = people_admin.auth.do_end_sessions

    def end_sessions_then_fail(person):
        real(person)  # the version is bumped and the event queued...
        raise RuntimeError("the server stopped")  # ...then the request fails

    monkeypatch.setattr(people_admin.auth, "do_end_sessions", end_sessions_then_fail)
    login(world["coordinator"])
    answer = post(client, f"/staff/people/{rose.id}/deactivate")
    assert answer.status_code == 500
    db.session.refresh(rose)
    assert rose.active is True and rose.session_version == version
    assert actions() == []
    assert events.named("portal.session_ended") == []
    assert sock.is_connected()
    assert rose_http.get("/").status_code == 200  # still logged in
