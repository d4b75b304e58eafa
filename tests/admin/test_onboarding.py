"""Reading, checking and importing a CSV list of residents: all or nothing."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal.admin import onboarding
from portal.audit.models import AuditEntry
from portal.errors import PermissionDenied
from portal.extensions import db
from portal.people.models import Building, Dwelling, DwellingType, Person, Role
from portal.transaction import owns_transaction
from tests.factories import make_building, make_dwelling, make_resident, make_staff

HEADER_FR = "Logement;Étage;Type;Prénom;Nom;Année de naissance;Téléphone;Langue\n"
GOOD_FR = (
    HEADER_FR
    + "101;1;T2;Jeanne;Martin;1942;06 12 34 56 78;fr\n"
    + "101;1;T2;Marcel;Martin;1940;;fr\n"
    + "B12;0;;Amina;Benali;1951;+33 6 00 00 00 00;ar\n"
)


@pytest.fixture(autouse=True)
def english(app):
    """Messages are checked in English (French is the default outside a request)."""
    with force_locale("en"):
        yield


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def coordinator(building):
    return make_staff(Role.COORDINATOR, [building])


def count(model) -> int:
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def residents_count() -> int:
    stmt = select(func.count(Person.id)).where(Person.role == Role.RESIDENT)
    return int(db.session.scalar(stmt) or 0)


def test_decode_accepts_utf8_with_bom_and_keeps_accents():
    text = onboarding.decode_upload("\ufeff".encode() + GOOD_FR.encode())
    assert text.startswith("Logement;Étage")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01PK\x03\x04binary", "not a CSV"),
        ("Logement;Étage\n101;1\n".encode("latin-1"), "not a CSV"),
        (b"   \n", "empty"),
        (b"a;b\n" * 200_000, "too large"),
    ],
)
def test_decode_refuses_files_that_are_not_small_utf8_csv(app, data, message):
    with pytest.raises(onboarding.ImportRefused) as refused:
        onboarding.decode_upload(data)
    assert message in refused.value.message


def test_preview_reads_semicolon_files_with_a_french_header(building):
    preview = onboarding.preview_import(building, GOOD_FR)
    assert preview.ok
    assert [r.first_name for r in preview.lines] == ["Jeanne", "Marcel", "Amina"]
    amina = preview.lines[2]
    assert (amina.number, amina.floor, amina.kind, amina.language) == ("B12", 0, None, "ar")
    assert preview.new_dwellings == ["101", "B12"]


def test_preview_reads_comma_files_without_header_in_the_documented_order(building):
    text = "12,2,T3,Paul,Durand,1938,0320000000,EN\n13,2,,Rose,Girard,,,\n"
    preview = onboarding.preview_import(building, text)
    assert preview.ok, [r.errors for r in preview.lines]
    assert preview.lines[0].kind == DwellingType.T3 and preview.lines[0].language == "en"
    assert preview.lines[1].birth_year is None and preview.lines[1].language is None


def test_quoted_cells_may_hold_the_separator(building):
    text = 'dwelling,floor,first name,last name\n5,1,"Jean, Pierre",Roux\n'
    preview = onboarding.preview_import(building, text)
    assert preview.ok and preview.lines[0].first_name == "Jean, Pierre"


def test_each_bad_line_gets_its_own_clear_messages(building):
    text = (
        HEADER_FR
        + "101;1;T2;Jeanne;Martin;19x2;;fr\n"
        + "102;1;T9;;Durand;1940;;klingon\n"
        + "103;un;T2;Paul;Petit;1940;abc;fr\n"
        + "101;1;T2;Jeanne;Martin;19x2;;fr\n"
    )
    lines = onboarding.preview_import(building, text).lines
    assert [r.line for r in lines] == [2, 3, 4, 5]
    assert any("birth year “19x2”" in e for e in lines[0].errors)
    assert any("T1, T2, T3, T4 or T5" in e for e in lines[1].errors)
    assert any("first name is missing" in e for e in lines[1].errors)
    assert any("language “klingon” is not known" in e for e in lines[1].errors)
    assert any("floor must be a whole number" in e for e in lines[2].errors)
    assert any("phone number" in e for e in lines[2].errors)
    assert any("Same person as line 2." in e for e in lines[3].errors)


def test_a_dwelling_with_two_floors_is_refused_in_the_file_and_against_the_building(building):
    make_dwelling(building, "201", floor=2)
    text = HEADER_FR + "201;3;;Anne;Roy;;;\n" + "300;3;;Luc;Roy;;;\n" + "300;4;;Eva;Roy;;;\n"
    lines = onboarding.preview_import(building, text).lines
    assert lines[0].errors == ["Dwelling 201 is on floor 2, not 3."]
    assert lines[1].ok
    assert lines[2].errors == ["Dwelling 300 is given another floor on line 3."]


def test_a_resident_already_in_the_building_is_a_duplicate(building):
    make_resident(building, first_name="Jeanne", last_name="Martin", birth_year=1942)
    lines = onboarding.preview_import(building, GOOD_FR).lines
    assert lines[0].errors == ["This person already lives in the building."]


def test_too_many_lines_is_refused_before_reading_them(building):
    text = HEADER_FR + "".join(f"{i};1;;A{i};B;;;\n" for i in range(2001))
    preview = onboarding.preview_import(building, text)
    assert not preview.ok and preview.lines == []
    assert "at most 2000" in preview.file_errors[0]


def test_unrecognised_columns_are_refused(building):
    preview = onboarding.preview_import(building, "a;b\n1;2\n")
    assert not preview.ok and "columns were not recognised" in preview.file_errors[0]


def test_import_creates_residents_dwellings_and_an_audit_entry(building, coordinator):
    make_dwelling(building, "101", floor=1)
    dwellings_before = count(Dwelling)
    created = onboarding.do_import(coordinator, building, GOOD_FR)
    assert [p.full_name for p in created] == ["Jeanne Martin", "Marcel Martin", "Amina Benali"]
    assert created[0].dwelling_id == created[1].dwelling_id
    assert created[2].dwelling.floor == 0 and created[2].dwelling.kind == DwellingType.T2
    assert created[2].locale == "ar" and created[0].phone == "06 12 34 56 78"
    assert all(p.building_id == building.id and p.role == Role.RESIDENT for p in created)
    assert count(Dwelling) == dwellings_before + 1
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "residents.imported" and entry.detail["count"] == 3


def test_one_bad_line_means_nothing_is_imported(building, coordinator):
    text = GOOD_FR + "999;9;T2;Paul;Durand;3000;;fr\n"
    before = (residents_count(), count(Dwelling))
    with pytest.raises(onboarding.ImportRefused) as refused:
        onboarding.do_import(coordinator, building, text)
    assert "nothing was imported" in refused.value.message
    assert (residents_count(), count(Dwelling)) == before
    assert count(AuditEntry) == 0


def test_a_failure_while_writing_rolls_everything_back(building, coordinator, monkeypatch):
    real = onboarding._new_resident
    calls = {"n": 0}

    def fail_on_third(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(onboarding, "_new_resident", fail_on_third)
    db.session.commit()  # the building and its coordinator exist before the import
    with pytest.raises(RuntimeError):
        # As a request does: the caller owns the transaction and undoes it when it fails.
        owns_transaction(onboarding.do_import)(coordinator, building, GOOD_FR)
    assert residents_count() == 0 and count(Dwelling) == 0
    assert calls["n"] == 3 and db.session.get(Building, building.id) is not None


@pytest.mark.parametrize("role", [Role.CONCIERGE, Role.RESIDENT])
def test_only_coordinators_and_managers_import(building, role):
    actor = make_staff(role, [building]) if role != Role.RESIDENT else make_resident(building)
    with pytest.raises(PermissionDenied):
        onboarding.do_import(actor, building, GOOD_FR)


def test_a_coordinator_of_another_building_cannot_import(building):
    other = make_staff(Role.COORDINATOR, [make_building(building.organisation)])
    with pytest.raises(PermissionDenied):
        onboarding.do_import(other, building, GOOD_FR)
    assert residents_count() == 0


def test_a_manager_imports_into_any_building_of_their_organisation_only(building):
    manager = make_staff(Role.MANAGER, [make_building(building.organisation)])
    assert len(onboarding.do_import(manager, building, GOOD_FR)) == 3
    stranger = make_staff(Role.MANAGER, [make_building()])
    with pytest.raises(PermissionDenied):
        onboarding.do_import(stranger, building, GOOD_FR.replace("Jeanne", "Rose"))


def test_the_signature_ties_the_text_to_the_staff_member_and_building(building, coordinator):
    signature = onboarding.sign_content(coordinator, building, GOOD_FR)
    assert onboarding.check_signed(coordinator, building, GOOD_FR, signature) == GOOD_FR
    with pytest.raises(onboarding.ImportRefused):
        onboarding.check_signed(coordinator, building, GOOD_FR + "x;1;;A;B;;;\n", signature)
    other = make_building(building.organisation)
    with pytest.raises(onboarding.ImportRefused):
        onboarding.check_signed(coordinator, other, GOOD_FR, signature)


def test_the_signature_survives_the_browser_turning_newlines_into_crlf(building, coordinator):
    signature = onboarding.sign_content(coordinator, building, GOOD_FR)
    sent_back = GOOD_FR.replace("\n", "\r\n")
    assert onboarding.check_signed(coordinator, building, sent_back, signature) == GOOD_FR


def test_create_one_resident_in_a_new_dwelling(building, coordinator):
    data = onboarding.NewResident("Henri", "Lefebvre", "1939", "", "fr", None, "7", "3", "T4")
    person = onboarding.do_create_resident(coordinator, building, data)
    assert person.dwelling.number == "7" and person.dwelling.kind == DwellingType.T4
    assert person.birth_year == 1939 and person.building_id == building.id


def test_create_one_resident_refuses_a_dwelling_of_another_building(building, coordinator):
    elsewhere = make_dwelling(make_building(building.organisation))
    data = onboarding.NewResident("Henri", "Lefebvre", "", "", "fr", elsewhere.id)
    with pytest.raises(onboarding.ImportRefused):
        onboarding.do_create_resident(coordinator, building, data)
    assert residents_count() == 0


def test_cards_for_everyone_without_one_replace_nothing_else(building, coordinator):
    from portal.auth import service as auth

    holder = make_resident(building, first_name="Rose")
    old_token = auth.do_issue_card(holder, coordinator)
    newcomer = make_resident(building, first_name="Henri")
    chosen = onboarding.list_card_targets(coordinator, building, None)
    assert [p.id for p in chosen] == [newcomer.id]
    onboarding.do_issue_cards(coordinator, building, [holder, newcomer])
    # A new card for Rose cancels her old one.
    assert not auth.find_card(old_token).is_active
    assert onboarding.card_holder_ids(building) == {holder.id, newcomer.id}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "cards.printed")).one()
    assert entry.detail == {"count": 2}


def test_cards_refuse_residents_of_another_building(building, coordinator):
    stranger = make_resident(make_building(building.organisation))
    with pytest.raises(onboarding.DomainError):
        onboarding.list_card_targets(coordinator, building, [stranger.id])
