"""Going live without the demo: the organisation from a command, then buildings, dwellings
and staff from the managers' pages; invitations by real SMTP."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from portal.admin import onboarding, setup
from portal.auth import service as auth
from portal.auth.models import AccountLink
from portal.extensions import db
from portal.people.models import Building, Dwelling, Organisation, Person, Role
from tests.admin.test_onboarding_routes import hidden, token
from tests.auth.test_links import LINK, use
from tests.conftest import code
from tests.factories import make_building, make_dwelling, make_resident, make_staff
from tests.smtp import body_of

DWELLINGS_CSV = "Logement;Étage;Type\n101;1;T2\n102;1;T3\n201;2;\n".encode()


@pytest.fixture
def world(app):
    building = make_building()
    return {
        "building": building,
        "manager": make_staff(Role.MANAGER, [building]),
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "foreign_manager": make_staff(Role.MANAGER, [make_building()]),
    }


def building_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Les Tilleuls",
        "address": "12 rue des Tilleuls, 59000 Lille",
        "time_zone": "Europe/Paris",
        "concierge_phone": "03 20 00 00 00",
        "concierge_hours": "9 h–17 h",
        "desk_opens": "9",
        "desk_closes": "17",
        "desk_days": ["0", "1", "2", "3", "4", "5"],
    }
    form.update(changes)
    return form


def dwellings_count(building: Building) -> int:
    stmt = select(func.count(Dwelling.id)).where(Dwelling.building_id == building.id)
    return int(db.session.scalar(stmt) or 0)


# The command ------------------------------------------------------------------------------


def test_org_create_makes_the_landlord_and_prints_the_managers_link(app, runner):
    app.config["PORTAL_BASE_URL"] = "https://portal.example.org"
    result = runner.invoke(
        args=["org", "create", "Habitat du Nord", "--manager-email", "Claire.Martin@Example.org"]
    )
    assert result.exit_code == 0, result.output
    match = re.search(r"https://portal\.example\.org/account/(\S+)", result.output)
    assert match, result.output
    manager = db.session.scalar(select(Person).where(Person.email == "claire.martin@example.org"))
    assert manager is not None and manager.role == Role.MANAGER
    assert (manager.first_name, manager.last_name) == ("Claire", "Martin")
    assert manager.organisation.name == "Habitat du Nord"
    assert manager.password_hash is None
    client = app.test_client()
    page = client.get(f"/account/{match.group(1)}")
    assert page.status_code == 200
    assert "claire.martin@example.org" in page.get_data(as_text=True)


def test_org_create_refuses_a_second_organisation_of_the_same_name(app, runner):
    app.config["PORTAL_BASE_URL"] = "https://portal.example.org"
    runner.invoke(args=["org", "create", "Habitat", "--manager-email", "a@example.org"])
    again = runner.invoke(args=["org", "create", "Habitat", "--manager-email", "b@example.org"])
    assert again.exit_code != 0
    assert "porte déjà ce nom" in again.output  # the operator reads the default language
    assert db.session.scalar(select(func.count(Organisation.id))) == 1


def test_org_create_needs_the_public_address(app, runner):
    app.config["PORTAL_BASE_URL"] = None
    result = runner.invoke(args=["org", "create", "Habitat", "--manager-email", "a@example.org"])
    assert result.exit_code != 0
    assert "BV_BASE_URL" in result.output


def test_staff_set_password_sets_it_for_the_operator(app, runner):
    staff = make_staff(email="desk@example.org")
    db.session.commit()
    result = runner.invoke(
        args=["staff", "set-password", "desk@example.org"],
        input="another long password\nanother long password\n",
    )
    assert result.exit_code == 0, result.output
    db.session.refresh(staff)
    assert auth.verify_secret(staff.password_hash, "another long password")
    short = runner.invoke(args=["staff", "set-password", "desk@example.org", "--password", "x"])
    assert short.exit_code != 0
    assert "12 caractères" in short.output  # the operator reads the default language


# Buildings ------------------------------------------------------------------------------


def test_a_manager_creates_a_building_with_its_desk_hours(client, login, world):
    login(world["manager"])
    answer = client.post(
        "/staff/buildings/new", data={"csrf_token": token(client), **building_form()}
    )
    assert answer.status_code == 302
    building = db.session.scalar(select(Building).where(Building.name == "Les Tilleuls"))
    assert building is not None
    assert building.organisation_id == world["manager"].organisation_id
    assert (building.desk_opens, building.desk_closes, building.desk_days) == (9, 17, "0,1,2,3,4,5")


def test_a_manager_changes_a_buildings_settings(client, login, world):
    building = world["building"]
    login(world["manager"])
    page = client.get(f"/staff/buildings/{building.id}/settings")
    assert page.status_code == 200
    assert building.name in page.get_data(as_text=True)
    answer = client.post(
        f"/staff/buildings/{building.id}/settings",
        data={"csrf_token": token(client), **building_form(name="Les Tilleuls bis")},
    )
    assert answer.status_code == 302
    db.session.refresh(building)
    assert building.name == "Les Tilleuls bis"
    assert client.get("/staff/organisation").status_code == 200


def test_the_desk_hours_of_the_building_set_the_tickets_targets(app, world):
    from datetime import UTC, datetime

    from concierge.desk import access as desk

    building = world["building"]
    building.desk_opens, building.desk_closes, building.desk_days = 10, 12, "5"
    saturday_9 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    # Two working hours from Saturday 09:00 with the desk open 10–12 on Saturdays only.
    assert desk.deadline(saturday_9, 2, building.id) == datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


def test_a_building_with_bad_fields_is_refused_with_each_reason_and_nothing_saved(
    client, login, world
):
    login(world["manager"])
    before = db.session.scalar(select(func.count(Building.id)))
    nameless = client.post(
        "/staff/buildings/new", data={"csrf_token": token(client), **building_form(name="")}
    )
    assert nameless.status_code == 422
    assert "Give the building a name" in nameless.get_data(as_text=True)
    answer = client.post(
        "/staff/buildings/new",
        data={
            "csrf_token": token(client),
            **building_form(desk_opens="18", desk_closes="8", desk_days=[]),
        },
    )
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "The desk must close after it opens" in page
    assert "at least one day" in page
    assert db.session.scalar(select(func.count(Building.id))) == before


def test_only_managers_of_the_organisation_set_up_buildings(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    assert client.get("/staff/organisation").status_code == 404
    assert client.get("/staff/buildings/new").status_code == 404
    assert client.get(f"/staff/buildings/{building.id}/dwellings").status_code == 404
    login(world["foreign_manager"])
    assert client.get(f"/staff/buildings/{building.id}/settings").status_code == 404
    assert client.get(f"/staff/buildings/{building.id}/dwellings").status_code == 404
    assert client.get(f"/staff/buildings/{building.id}/staff/invite").status_code == 404
    answer = client.post(
        f"/staff/buildings/{building.id}/settings",
        data={"csrf_token": token(client), **building_form(name="Pris")},
    )
    assert answer.status_code == 404
    db.session.refresh(building)
    assert building.name != "Pris"


def pending_coordinator(world) -> Person:
    """A coordinator of the building invited and who never chose a password."""
    person = make_staff(Role.COORDINATOR, [world["building"]], email="pending@example.org")
    person.password_hash = None
    db.session.commit()
    return person


@pytest.mark.parametrize("who", ["foreign_manager", "coordinator"])
def test_no_one_but_the_organisations_managers_writes_to_its_building(client, login, world, who):
    building, pending = world["building"], pending_coordinator(world)
    login(world[who])
    manager_form = token(client)
    writes = {
        f"/staff/buildings/{building.id}/dwellings": {"number": "Z9", "floor": "1", "kind": "T2"},
        f"/staff/buildings/{building.id}/dwellings/import/confirm": {
            "content": "Z9;1;T2\n",
            "signature": "0" * 64,
        },
        f"/staff/buildings/{building.id}/staff/invite": {
            "first_name": "Eve",
            "last_name": "Intruse",
            "email": "eve@example.org",
            "role": "manager",
            "language": "fr",
        },
        f"/staff/people/{pending.id}/invitation": {"building_id": str(building.id)},
    }
    for url, data in writes.items():
        assert client.post(url, data={"csrf_token": manager_form, **data}).status_code == 404, url
    assert upload_dwellings(client, building.id, DWELLINGS_CSV).status_code == 404
    assert dwellings_count(building) == 0
    assert db.session.scalar(select(Person.id).where(Person.email == "eve@example.org")) is None
    assert db.session.scalar(select(func.count(AccountLink.id))) == 0


def test_the_services_refuse_a_manager_of_another_organisation(app, world):
    building, foreign = world["building"], world["foreign_manager"]
    assert code(setup.do_add_dwelling, foreign, building, "Z9", "1", "T2") == "forbidden"
    assert code(setup.do_import_dwellings, foreign, building, "Z9;1;T2\n") == "forbidden"
    data = setup.Invitation("eve@example.org", "Eve", "Intruse", "manager", "fr")
    assert code(setup.do_invite_staff, foreign, building, data) == "forbidden"
    settings = setup.BuildingData("Pris", "", "Europe/Paris", "", "", 8, 18, (0,))
    assert code(setup.do_update_building, foreign, building, settings) == "forbidden"
    pending = pending_coordinator(world)
    assert code(setup.do_resend_invitation, foreign, pending) == "not_found"
    assert dwellings_count(building) == 0


# Dwellings ------------------------------------------------------------------------------


def upload_dwellings(client, building_id: int, content: bytes):
    data = {"csrf_token": token(client), "file": (io.BytesIO(content), "logements.csv")}
    return client.post(
        f"/staff/buildings/{building_id}/dwellings/import",
        data=data,
        content_type="multipart/form-data",
    )


def test_dwellings_from_a_csv_are_previewed_then_all_added(client, login, world):
    building = world["building"]
    login(world["manager"])
    preview = upload_dwellings(client, building.id, DWELLINGS_CSV)
    assert preview.status_code == 200
    assert dwellings_count(building) == 0
    html = preview.get_data(as_text=True)
    confirm = client.post(
        f"/staff/buildings/{building.id}/dwellings/import/confirm",
        data={
            "csrf_token": token(client),
            "content": hidden(html, "content"),
            "signature": hidden(html, "signature"),
        },
    )
    assert confirm.status_code == 302
    numbers = db.session.scalars(
        select(Dwelling.number).where(Dwelling.building_id == building.id).order_by(Dwelling.number)
    ).all()
    assert numbers == ["101", "102", "201"]


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("Logement;Étage;Type\n101;1;T2\n", [(2, {"number": "101", "floor": "1", "kind": "T2"})]),
        ("Numéro,Étage\nA1,0\n", [(2, {"number": "A1", "floor": "0"})]),
        ("\n101;1\n102;2;T3;x\n", [(2, {"number": "101", "floor": "1", "kind": ""}),
                                    (3, {"number": "102", "floor": "2", "kind": "T3"})]),
        ("101\n", []),
        ("Logement;Étage;Type\n", []),
    ],
)  # fmt: skip
def test_a_dwellings_file_is_read_with_or_without_its_header_line(app, text, rows):
    read, errors = onboarding.read_rows(text, setup.DWELLING_COLUMNS)
    assert read == rows
    assert len(errors) == (0 if rows else 1)


def test_one_dwelling_from_a_file_is_told_in_the_singular(client, login, world):
    building = world["building"]
    login(world["manager"])
    html = upload_dwellings(client, building.id, b"A1;0;T1\n").get_data(as_text=True)
    confirm = client.post(
        f"/staff/buildings/{building.id}/dwellings/import/confirm",
        data={
            "csrf_token": token(client),
            "content": hidden(html, "content"),
            "signature": hidden(html, "signature"),
        },
    )
    assert confirm.status_code == 302
    page = client.get(confirm.headers["Location"]).get_data(as_text=True)
    assert "1 dwelling is added." in page
    assert dwellings_count(building) == 1


def test_a_csv_with_one_bad_line_adds_no_dwelling(client, login, world):
    building = world["building"]
    make_dwelling(building, "102", floor=1)
    login(world["manager"])
    content = b"101;1;T2\n102;1;T3\n103;x;T2\n104;1;T9\n"
    preview = upload_dwellings(client, building.id, content)
    assert preview.status_code == 422
    page = preview.get_data(as_text=True)
    assert "Dwelling 102 already exists." in page
    assert "nothing can be imported" in page
    assert dwellings_count(building) == 1


def test_a_confirmation_whose_file_was_changed_is_refused(client, login, world):
    building = world["building"]
    login(world["manager"])
    html = upload_dwellings(client, building.id, DWELLINGS_CSV).get_data(as_text=True)
    answer = client.post(
        f"/staff/buildings/{building.id}/dwellings/import/confirm",
        data={
            "csrf_token": token(client),
            "content": "999;9;T5\n",
            "signature": hidden(html, "signature"),
        },
    )
    assert answer.status_code == 422
    assert dwellings_count(building) == 0


def test_one_dwelling_from_the_form_and_a_duplicate_refused(client, login, world):
    building = world["building"]
    login(world["manager"])
    data = {"csrf_token": token(client), "number": "A1", "floor": "0", "kind": "T1"}
    assert client.post(f"/staff/buildings/{building.id}/dwellings", data=data).status_code == 302
    again = client.post(
        f"/staff/buildings/{building.id}/dwellings", data={**data, "csrf_token": token(client)}
    )
    assert again.status_code == 422
    assert "Dwelling A1 already exists." in again.get_data(as_text=True)
    assert dwellings_count(building) == 1


def test_the_dwellings_list_counts_who_lives_in_each(app, world):
    building = world["building"]
    full, empty = make_dwelling(building, "101", floor=1), make_dwelling(building, "001", floor=0)
    make_resident(dwelling=full)
    make_resident(dwelling=full).active = False
    make_resident(dwelling=make_dwelling(make_building(), "101"))  # the same number elsewhere
    db.session.flush()
    listed = [(d.number, living) for d, living in setup.list_dwellings(building)]
    assert listed == [(empty.number, 0), (full.number, 1)]


# Staff ----------------------------------------------------------------------------------


def invite(client, building_id: int, **changes: str):
    data = {
        "csrf_token": token(client),
        "first_name": "Nadia",
        "last_name": "Haddad",
        "email": "nadia.haddad@example.org",
        "role": "coordinator",
        "language": "en",
        **changes,
    }
    return client.post(f"/staff/buildings/{building_id}/staff/invite", data=data)


def test_an_invited_coordinator_gets_a_mail_sets_a_password_and_logs_in(
    smtp_app, client, login, world, inbox
):
    building = world["building"]
    login(world["manager"])
    assert invite(client, building.id).status_code == 302
    [mail] = inbox.wait_for(1)
    assert mail["To"] == "nadia.haddad@example.org"
    body = body_of(mail)
    assert "as Coordinator" in body
    match = LINK.search(body)
    assert match
    invited = smtp_app.test_client()
    assert use(invited, match.group(1)).status_code == 302
    person = db.session.scalar(select(Person).where(Person.email == "nadia.haddad@example.org"))
    assert person is not None
    db.session.refresh(person)
    assert person.role == Role.COORDINATOR
    assert [b.id for b in person.staff_buildings] == [building.id]
    assert auth.verify_secret(person.password_hash, "a brand new long password")
    assert invited.get(f"/staff/buildings/{building.id}/residents").status_code == 200


def test_an_address_already_in_use_is_refused(client, login, world):
    login(world["manager"])
    answer = invite(client, world["building"].id, email=world["coordinator"].email)
    assert answer.status_code == 422
    assert "already has an account" in answer.get_data(as_text=True)


def test_a_resident_role_cannot_be_invited(app, world):
    data = setup.Invitation("x@example.org", "A", "B", "resident", "fr")
    assert code(setup.do_invite_staff, world["manager"], world["building"], data) == "invalid"


def test_an_invitation_is_resent_with_a_new_link(smtp_app, client, login, world, inbox):
    building = world["building"]
    login(world["manager"])
    invite(client, building.id)
    first = LINK.search(body_of(inbox.wait_for(1)[0]))
    person = db.session.scalar(select(Person).where(Person.email == "nadia.haddad@example.org"))
    staff_page = client.get(f"/staff/buildings/{building.id}/staff").get_data(as_text=True)
    assert "invited, no password yet" in staff_page
    answer = client.post(
        f"/staff/people/{person.id}/invitation",
        data={"csrf_token": token(client), "building_id": building.id},
    )
    assert answer.status_code == 302
    second = LINK.search(body_of(inbox.wait_for(2)[1]))
    assert first and second and first.group(1) != second.group(1)
    assert use(smtp_app.test_client(), first.group(1)).status_code == 404
    assert use(smtp_app.test_client(), second.group(1)).status_code == 302
