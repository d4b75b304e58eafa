"""Pages to add residents, import a CSV list and print login cards, and who may use them."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from sqlalchemy import func, select

from portal.admin import onboarding
from portal.audit.models import AuditEntry
from portal.auth import service as auth
from portal.extensions import db
from portal.people.models import Person, Role
from tests.factories import make_building, make_dwelling, make_resident, make_staff

CSV = (
    "Logement;Étage;Type;Prénom;Nom;Année de naissance;Téléphone;Langue\r\n"
    "101;1;T2;Jeanne;Martin;1942;06 12 34 56 78;fr\r\n"
    "102;1;;Amina;Benali;1951;;ar\r\n"
)


@pytest.fixture
def world(app):
    """Two buildings of one landlord, one building of another landlord, and their staff."""
    building = make_building()
    sister = make_building(building.organisation)
    foreign = make_building()
    return {
        "building": building,
        "sister": sister,
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "manager": make_staff(Role.MANAGER, [sister]),
        "sister_coordinator": make_staff(Role.COORDINATOR, [sister]),
        "foreign_manager": make_staff(Role.MANAGER, [foreign]),
        "resident": make_resident(building, first_name="Rose"),
    }


def token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the home page"
    return match.group(1)


def upload(client, building_id: int, content: bytes, name: str = "liste.csv"):
    data = {"csrf_token": token(client), "file": (io.BytesIO(content), name)}
    return client.post(
        f"/staff/buildings/{building_id}/import", data=data, content_type="multipart/form-data"
    )


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return html_lib.unescape(match.group(1))


def qr_codes(html: str) -> int:
    """The QR codes of a page (its pictograms are SVG too, of the class "icon")."""
    return len(re.findall(r'<svg(?! class="icon)', html))


def residents_count() -> int:
    stmt = select(func.count(Person.id)).where(Person.role == Role.RESIDENT)
    return int(db.session.scalar(stmt) or 0)


def confirm(client, building_id: int, content: str, signature: str):
    data = {"csrf_token": token(client), "content": content, "signature": signature}
    return client.post(
        f"/staff/buildings/{building_id}/import/confirm",
        data=data,
        content_type="multipart/form-data",
    )


def test_coordinator_previews_then_confirms_an_import(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    assert client.get(f"/staff/buildings/{building.id}/import").status_code == 200
    preview = upload(client, building.id, "\ufeff".encode() + CSV.encode())
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Jeanne Martin" in html and "Amina Benali" in html
    assert "2 residents will be added." in html
    assert residents_count() == 1  # only Rose: nothing written at the preview

    answer = confirm(client, building.id, hidden(html, "content"), hidden(html, "signature"))
    assert answer.status_code == 200
    assert "2 residents added" in answer.get_data(as_text=True)
    names = set(db.session.scalars(select(Person.first_name).where(Person.role == Role.RESIDENT)))
    assert names == {"Rose", "Jeanne", "Amina"}
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions == ["residents.imported"]


def test_preview_shows_each_bad_line_and_offers_no_confirm(client, login, world):
    login(world["coordinator"])
    bad = CSV + "103;1;T2;;Durand;19x2;;de\r\n"
    answer = upload(client, world["building"].id, bad.encode())
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "The first name is missing." in html
    assert "The birth year “19x2” is not a year like 1942." in html
    assert "The language “de” is not known" in html
    assert "/import/confirm" not in html
    assert residents_count() == 1


def test_a_tampered_file_is_refused_at_confirm(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    html = upload(client, building.id, CSV.encode()).get_data(as_text=True)
    tampered = hidden(html, "content") + "104;1;;Intrus;Malin;;;\n"
    answer = confirm(client, building.id, tampered, hidden(html, "signature"))
    assert answer.status_code == 422
    assert "could not be checked again" in answer.get_data(as_text=True)
    assert residents_count() == 1


def test_a_preview_for_another_building_cannot_be_confirmed_here(client, login, world):
    login(world["manager"])
    html = upload(client, world["sister"].id, CSV.encode()).get_data(as_text=True)
    answer = confirm(
        client, world["building"].id, hidden(html, "content"), hidden(html, "signature")
    )
    assert answer.status_code == 422 and residents_count() == 1


def test_confirm_checks_again_and_imports_nothing_if_the_building_changed(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    html = upload(client, building.id, CSV.encode()).get_data(as_text=True)
    make_dwelling(building, "102", floor=5)  # someone else created 102 on another floor
    answer = confirm(client, building.id, hidden(html, "content"), hidden(html, "signature"))
    assert answer.status_code == 422
    assert "Dwelling 102 is on floor 5, not 1." in answer.get_data(as_text=True)
    assert residents_count() == 1


def test_posts_without_the_csrf_token_change_nothing(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    answer = client.post(
        f"/staff/buildings/{building.id}/import/confirm", data={"content": CSV, "signature": "x"}
    )
    assert answer.status_code == 400
    answer = client.post(f"/staff/buildings/{building.id}/cards", data={"scope": "without_card"})
    assert answer.status_code == 400
    assert residents_count() == 1 and auth.get_active_card(world["resident"]) is None


@pytest.mark.parametrize("who", ["concierge", "sister_coordinator", "foreign_manager", "resident"])
def test_onboarding_pages_are_hidden_from_others(client, login, world, who):
    building = world["building"]
    login(world[who])
    for path in ("import", "residents/new"):
        assert client.get(f"/staff/buildings/{building.id}/{path}").status_code == 404, path
    assert upload(client, building.id, CSV.encode()).status_code == 404
    assert residents_count() == 1


def test_a_manager_imports_into_a_building_of_their_organisation(client, login, world):
    login(world["manager"])
    html = upload(client, world["building"].id, CSV.encode()).get_data(as_text=True)
    answer = confirm(
        client, world["building"].id, hidden(html, "content"), hidden(html, "signature")
    )
    assert answer.status_code == 200 and residents_count() == 3


def test_add_a_resident_by_hand_in_a_new_dwelling(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    form = {
        "csrf_token": token(client),
        "first_name": "Henri",
        "last_name": "Lefebvre",
        "birth_year": "1939",
        "phone": "",
        "language": "en",
        "dwelling": "new",
        "number": "7B",
        "floor": "0",
        "kind": "T3",
    }
    answer = client.post(f"/staff/buildings/{building.id}/residents/new", data=form)
    assert answer.status_code == 302
    henri = db.session.scalars(select(Person).where(Person.first_name == "Henri")).one()
    assert answer.headers["Location"].endswith(f"/staff/residents/{henri.id}")
    assert henri.dwelling.number == "7B" and henri.locale == "en"


def test_add_a_resident_by_hand_refuses_bad_input(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    form = {
        "csrf_token": token(client),
        "first_name": "Henri",
        "last_name": "Lefebvre",
        "birth_year": "abc",
        "language": "fr",
        "dwelling": "new",
        "number": "",
        "floor": "",
        "kind": "T3",
    }
    answer = client.post(f"/staff/buildings/{building.id}/residents/new", data=form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "is not a year like 1942" in html and "The dwelling number is missing." in html
    assert residents_count() == 1


def test_add_a_resident_in_an_existing_dwelling_of_the_building_only(client, login, world):
    login(world["coordinator"])
    foreign = make_dwelling(world["sister"])
    form = {
        "csrf_token": token(client),
        "first_name": "Henri",
        "last_name": "Lefebvre",
        "language": "fr",
        "dwelling": str(foreign.id),
        "kind": "T2",
    }
    answer = client.post(f"/staff/buildings/{world['building'].id}/residents/new", data=form)
    assert answer.status_code == 422 and residents_count() == 1


def test_print_cards_for_the_chosen_residents(client, login, world):
    building = world["building"]
    rose = world["resident"]
    paul = make_resident(building, first_name="Paul")
    old = auth.do_issue_card(paul, None)
    login(world["concierge"])
    data = {"csrf_token": token(client), "scope": "chosen", "person_id": [rose.id, paul.id]}
    answer = client.post(f"/staff/buildings/{building.id}/cards", data=data)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert qr_codes(html) == 2 and html.count("/login/card/") == 2
    assert "Rose" in html and "Paul" in html
    assert not auth.find_card(old).is_active
    card_tokens = re.findall(r"/login/card/([A-Za-z0-9_\-]+)", html)
    assert all(auth.find_card(t).is_active for t in card_tokens)


def test_print_cards_for_everyone_without_a_card(client, login, world):
    building = world["building"]
    paul = make_resident(building, first_name="Paul")
    auth.do_issue_card(paul, None)
    login(world["coordinator"])
    data = {"csrf_token": token(client), "scope": "without_card"}
    html = client.post(f"/staff/buildings/{building.id}/cards", data=data).get_data(as_text=True)
    assert qr_codes(html) == 1 and "Rose" in html and "Paul Martin" not in html


@pytest.mark.parametrize("chosen", [[], ["abc"], ["stranger"]])
def test_print_cards_refuses_empty_or_foreign_choices(client, login, world, chosen):
    stranger = make_resident(world["sister"], first_name="Odette")
    ids = [str(stranger.id) if c == "stranger" else c for c in chosen]
    login(world["coordinator"])
    data = {"csrf_token": token(client), "scope": "chosen", "person_id": ids}
    answer = client.post(f"/staff/buildings/{world['building'].id}/cards", data=data)
    assert answer.status_code == 422
    assert auth.get_active_card(stranger) is None


def test_print_cards_of_another_building_is_hidden(client, login, world):
    login(world["sister_coordinator"])
    data = {"csrf_token": token(client), "scope": "without_card"}
    assert (
        client.post(f"/staff/buildings/{world['building'].id}/cards", data=data).status_code == 404
    )
    assert auth.get_active_card(world["resident"]) is None


def test_residents_list_offers_the_new_actions(client, login, world):
    login(world["coordinator"])
    html = client.get(f"/staff/buildings/{world['building'].id}/residents").get_data(as_text=True)
    assert "Import a list (CSV)" in html and "Print cards for everyone without a card" in html
    login(world["concierge"])
    html = client.get(f"/staff/buildings/{world['building'].id}/residents").get_data(as_text=True)
    assert "Import a list (CSV)" not in html and "Print cards for the chosen" in html


def test_a_file_of_2000_lines_goes_through_preview_and_confirm(client, login, world):
    building = world["building"]
    login(world["coordinator"])
    lines = "".join(
        f"A{i // 2};{i // 40};T2;Prénom{i};Nom-é{i};1950;0320000000;fr\r\n" for i in range(2000)
    )
    header = "Logement;Étage;Type;Prénom;Nom;Année de naissance;Téléphone;Langue\r\n"
    html = upload(client, building.id, (header + lines).encode()).get_data(as_text=True)
    assert "2000 residents will be added." in html
    answer = confirm(client, building.id, hidden(html, "content"), hidden(html, "signature"))
    assert answer.status_code == 200
    assert residents_count() == 2001


# A failure half-way leaves nothing behind ---------------------------------------------------


def test_an_import_that_fails_half_way_leaves_no_resident_dwelling_nor_card(
    client, login, world, monkeypatch
):
    building = world["building"]
    login(world["coordinator"])
    html = upload(client, building.id, CSV.encode()).get_data(as_text=True)
    dwellings_before = len(building.dwellings)
    real = onboarding._new_resident
    created: list[Person] = []

    def fail_after_the_first(*args):
        if created:
            raise RuntimeError("the disk is full")
        created.append(real(*args))
        return created[-1]

    monkeypatch.setattr(onboarding, "_new_resident", fail_after_the_first)
    answer = confirm(client, building.id, hidden(html, "content"), hidden(html, "signature"))
    assert answer.status_code == 500
    assert len(created) == 1  # Jeanne was created before the failure...
    assert residents_count() == 1  # ...and is gone with the rest: only Rose lives here
    db.session.expire_all()
    assert len(building.dwellings) == dwellings_before
    assert onboarding.card_holder_ids(building) == set()
    assert list(db.session.scalars(select(AuditEntry.action))) == []


def test_printing_cards_that_fails_half_way_issues_no_card(client, login, world, monkeypatch):
    building = world["building"]
    rose = world["resident"]
    paul = make_resident(building, first_name="Paul")
    old = auth.do_issue_card(paul, None)

    def audit_fails(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(onboarding.audit, "record", audit_fails)
    login(world["concierge"])
    data = {"csrf_token": token(client), "scope": "chosen", "person_id": [rose.id, paul.id]}
    answer = client.post(f"/staff/buildings/{building.id}/cards", data=data)
    assert answer.status_code == 500
    assert "/login/card/" not in answer.get_data(as_text=True)
    assert auth.find_card(old).is_active  # Paul's card still works...
    assert onboarding.card_holder_ids(building) == {paul.id}  # ...and nobody got a new one
    assert auth.get_active_card(rose) is None
