"""A resident's emergency contacts: the phone normaliser, the service with its access
matrix, the source escalation reads, the pages with CSRF, and data rights."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.alerts.contacts import EmergencyAddress, emergency_addresses
from portal.datarights.erasure import erase
from portal.datarights.export import build_export
from portal.errors import NotFound
from portal.extensions import db
from portal.wellbeing import contacts
from portal.wellbeing.models import ContactRelation, EmergencyContact
from tests.conftest import code
from tests.wellbeing.conftest import Cast, at, audit_actions, post

MARIE = {
    "name": "Marie Dupont",
    "relation": "family",
    "phone": "06 12 34 56 78",
    "email": "Marie@Example.org",
    "locale": "fr",
}


def add(actor, owner, consent: bool = True, **fields):
    values = {**MARIE, **fields}
    return contacts.do_add_contact(actor, owner.id, consent=consent, **values)


def count() -> int:
    return int(db.session.scalar(select(func.count(EmergencyContact.id))) or 0)


# The phone normaliser -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("01 40 20 50 50", "+33140205050"),
        ("09 70 12 34 56", "+33970123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("+44 20 7946 0000", "+442079460000"),
        ("0044 20 7946 0000", "+442079460000"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("+1 (212) 555-0100", "+12125550100"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion dials as +262
        ("0596 12 34 56", "+596596123456"),  # Martinique
    ],
)
def test_normalise_phone_accepts_french_and_international_numbers(typed, expected):
    assert contacts.normalise_phone(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "12345",
        "06 12 34 56",  # too short
        "06 12 34 56 78 9",  # too long
        "6 12 34 56 78",  # no leading 0
        "08 12 34 56 78",  # a service number, not a person
        "00 12 34 56 78",
        "+33 8 12 34 56 78",
        "+33 6 12 34 56",
        "+0612345678",
        "+1234567",  # fewer than 8 digits
        "+1234567890123456",  # more than 15
        "06 12 34 56 7a",
        "06 12 34 56 78 poste 2",
        "tel:0612345678",
        "0   6   1   2   3   4   5   6   7   8",  # longer than anyone types a number
        "+1 555 0100",
        "٠٦١٢٣٤٥٦٧٨",  # Arabic-Indic digits: refused rather than guessed
        "06\x0012345678",
    ],
)
def test_normalise_phone_refuses_anything_else(typed):
    assert contacts.normalise_phone(typed) is None


# The service ----------------------------------------------------------------------------


def test_resident_adds_a_contact_with_their_agreement(cast: Cast):
    contact = add(cast.jeanne, cast.jeanne, now=at(9))
    assert contact.phone == "+33612345678"
    assert contact.email == "Marie@example.org"  # the domain is normalised
    assert contact.relation is ContactRelation.FAMILY
    assert contact.locale == "fr"
    assert contact.consent_recorded_by_id == cast.jeanne.id
    assert contact.consent_recorded_at == at(9)
    assert "wellbeing.contact_added" in audit_actions(cast.jeanne)


def test_a_contact_needs_the_agreement_ticked(cast: Cast):
    assert code(add, cast.jeanne, cast.jeanne, consent=False) == "consent_needed"
    assert code(add, cast.coordinator, cast.jeanne, consent=False) == "consent_needed"
    assert count() == 0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "  "}, "name_missing"),
        ({"name": "x" * 81}, "name_too_long"),
        ({"relation": "boss"}, "bad_relation"),
        ({"email": "not an email"}, "bad_email"),
        ({"phone": "123"}, "bad_phone"),
        ({"phone": "", "email": ""}, "no_way_to_reach"),
        ({"locale": "de"}, "bad_locale"),
    ],
)
def test_a_contact_with_a_mistake_is_refused(cast: Cast, fields, expected):
    assert code(add, cast.jeanne, cast.jeanne, **fields) == expected
    assert count() == 0


def test_a_phone_alone_or_an_email_alone_is_enough(cast: Cast):
    assert add(cast.jeanne, cast.jeanne, email="").email is None
    assert add(cast.jeanne, cast.jeanne, phone="").phone is None


def test_at_most_three_contacts(cast: Cast):
    for name in ("Marie", "Luc", "Ahmed"):
        add(cast.jeanne, cast.jeanne, name=name)
    assert code(add, cast.jeanne, cast.jeanne, name="Zoé") == "too_many"
    assert code(add, cast.coordinator, cast.jeanne, name="Zoé") == "too_many"
    assert count() == 3


def test_the_coordinator_records_a_contact_for_a_resident_who_agreed(cast: Cast):
    contact = add(cast.coordinator, cast.jeanne, relation="neighbour")
    assert contact.person_id == cast.jeanne.id
    assert contact.consent_recorded_by_id == cast.coordinator.id
    assert contacts.list_contacts(cast.coordinator, cast.jeanne.id) == [contact]
    assert contacts.list_contacts(cast.jeanne, cast.jeanne.id) == [contact]


@pytest.mark.parametrize(
    "who", ["paul", "concierge", "manager", "other_coordinator", "other_concierge", "outsider"]
)
def test_nobody_else_reads_or_changes_a_residents_contacts(cast: Cast, who: str):
    contact = add(cast.jeanne, cast.jeanne)
    actor = getattr(cast, who)
    with pytest.raises(NotFound):
        contacts.list_contacts(actor, cast.jeanne.id)
    with pytest.raises(NotFound):
        add(actor, cast.jeanne)
    with pytest.raises(NotFound):
        contacts.do_remove_contact(actor, contact.id)
    assert count() == 1


def test_staff_have_no_contacts_of_their_own(cast: Cast):
    with pytest.raises(NotFound):
        add(cast.coordinator, cast.coordinator)


def test_removing_a_contact(cast: Cast):
    mine = add(cast.jeanne, cast.jeanne)
    by_staff = add(cast.coordinator, cast.jeanne, name="Luc")
    contacts.do_remove_contact(cast.jeanne, by_staff.id)
    contacts.do_remove_contact(cast.coordinator, mine.id)
    assert count() == 0
    assert audit_actions(cast.jeanne).count("wellbeing.contact_removed") == 2
    with pytest.raises(NotFound):
        contacts.do_remove_contact(cast.jeanne, mine.id)


# The source escalation reads ------------------------------------------------------------


def test_escalation_reads_the_consented_contacts(cast: Cast):
    add(cast.jeanne, cast.jeanne)
    add(
        cast.coordinator,
        cast.jeanne,
        name="Karim",
        phone="",
        email="karim@example.org",
        locale="ar",
    )
    add(cast.outsider, cast.outsider, name="Someone else")
    assert emergency_addresses(cast.jeanne.id) == [
        EmergencyAddress("Marie Dupont", "Marie@example.org", "+33612345678", "fr"),
        EmergencyAddress("Karim", "karim@example.org", None, "ar"),
    ]
    assert emergency_addresses(cast.paul.id) == []
    assert emergency_addresses(cast.coordinator.id) == []


def test_escalation_reads_nothing_for_a_closed_account(cast: Cast):
    add(cast.jeanne, cast.jeanne)
    cast.jeanne.active = False
    db.session.flush()
    assert emergency_addresses(cast.jeanne.id) == []


# Pages ----------------------------------------------------------------------------------


def form(**fields) -> dict[str, str]:
    return {**MARIE, "consent": "y", **fields}


def test_resident_adds_and_removes_a_contact_in_the_pages(client, login, cast: Cast):
    login(cast.jeanne)
    page = client.get("/wellbeing").get_data(as_text=True)
    assert "People to tell if I need help" in page and "Add a person" in page
    assert client.get("/wellbeing/contacts/new").status_code == 200
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form())
    assert answer.status_code == 302 and answer.location.endswith("/wellbeing")
    [contact] = db.session.scalars(select(EmergencyContact)).all()
    assert contact.phone == "+33612345678"
    page = client.get("/wellbeing").get_data(as_text=True)
    assert "Marie Dupont" in page and "+33612345678" in page

    confirm = client.get(f"/wellbeing/contacts/{contact.id}/remove")
    assert confirm.status_code == 200 and "Remove Marie Dupont?" in confirm.get_data(as_text=True)
    assert count() == 1  # asking changes nothing
    assert post(client, f"/wellbeing/contacts/{contact.id}/remove").status_code == 302
    assert count() == 0


def test_a_form_with_a_mistake_says_why_beside_the_field(client, login, cast: Cast):
    login(cast.jeanne)
    url = f"/wellbeing/people/{cast.jeanne.id}/contacts"
    answer = post(client, url, form(consent=""))
    assert answer.status_code == 422
    assert "Tick the box to say you agree." in answer.get_data(as_text=True)
    answer = post(client, url, form(phone="12"))
    assert answer.status_code == 422
    assert "Write a phone number, like 06 12 34 56 78" in answer.get_data(as_text=True)
    answer = post(client, url, form(name=""))
    assert answer.status_code == 422
    assert "Write the name of the person." in answer.get_data(as_text=True)
    assert count() == 0


def test_contact_forms_need_their_csrf_token(client, login, cast: Cast):
    contact = add(cast.jeanne, cast.jeanne)
    login(cast.jeanne)
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form(), csrf=False)
    assert answer.status_code == 400
    answer = post(client, f"/wellbeing/contacts/{contact.id}/remove", csrf=False)
    assert answer.status_code == 400
    assert count() == 1


def test_the_fourth_contact_is_refused_in_the_page(client, login, cast: Cast):
    for name in ("Marie", "Luc", "Ahmed"):
        add(cast.jeanne, cast.jeanne, name=name)
    login(cast.jeanne)
    assert "Add a person" not in client.get("/wellbeing").get_data(as_text=True)
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form(name="Zoé"))
    assert answer.status_code == 422
    assert "up to 3 people" in answer.get_data(as_text=True)
    assert count() == 3


def test_coordinator_manages_a_residents_contacts_on_their_page(client, login, cast: Cast):
    login(cast.coordinator)
    page = client.get(f"/wellbeing/residents/{cast.jeanne.id}")
    assert page.status_code == 200
    assert "The resident agreed that Bon Voisin tells this person" in page.get_data(as_text=True)
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form(consent=""))
    assert answer.status_code == 422
    assert "confirm that the resident agreed" in answer.get_data(as_text=True)
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form())
    assert answer.status_code == 302
    assert answer.location.endswith(f"/wellbeing/residents/{cast.jeanne.id}")
    [contact] = db.session.scalars(select(EmergencyContact)).all()
    assert contact.consent_recorded_by_id == cast.coordinator.id
    page = client.get(f"/wellbeing/residents/{cast.jeanne.id}").get_data(as_text=True)
    assert f"Agreement recorded by {cast.coordinator.full_name}" in page
    answer = post(client, f"/wellbeing/contacts/{contact.id}/remove")
    assert answer.status_code == 302 and count() == 0


@pytest.mark.parametrize(
    "who", ["paul", "concierge", "manager", "other_coordinator", "other_concierge", "outsider"]
)
def test_the_pages_of_a_residents_contacts_are_hidden_from_others(
    client, login, cast: Cast, who: str
):
    contact = add(cast.jeanne, cast.jeanne)
    login(getattr(cast, who))
    assert client.get(f"/wellbeing/residents/{cast.jeanne.id}").status_code == 404
    assert client.get(f"/wellbeing/contacts/{contact.id}/remove").status_code == 404
    assert post(client, f"/wellbeing/contacts/{contact.id}/remove").status_code == 404
    answer = post(client, f"/wellbeing/people/{cast.jeanne.id}/contacts", form())
    assert answer.status_code == 404
    assert count() == 1


def test_contact_pages_need_a_login(client, cast: Cast):
    assert client.get("/wellbeing/contacts/new").status_code in (302, 401)
    assert client.get(f"/wellbeing/residents/{cast.jeanne.id}").status_code in (302, 401)


def test_staff_have_no_contact_form_of_their_own(client, login, cast: Cast):
    login(cast.coordinator)
    assert client.get("/wellbeing/contacts/new").status_code == 404


# Data rights ----------------------------------------------------------------------------


def test_the_export_holds_the_contacts(cast: Cast):
    add(cast.jeanne, cast.jeanne, now=at(9))
    section = build_export(cast.jeanne)["wellbeing"]
    assert section["emergency_contacts"] == [
        {
            "name": "Marie Dupont",
            "relation": "family",
            "email": "Marie@example.org",
            "phone": "+33612345678",
            "language": "fr",
            "agreement_recorded_at": at(9).isoformat(),
        }
    ]


def test_erasing_a_resident_erases_their_contacts(cast: Cast):
    add(cast.jeanne, cast.jeanne)
    kept = add(cast.coordinator, cast.paul)
    db.session.commit()
    erase(cast.jeanne, actor=None)
    db.session.commit()
    assert [c.id for c in db.session.scalars(select(EmergencyContact))] == [kept.id]


def test_erasing_a_coordinator_keeps_the_agreements_they_recorded(cast: Cast):
    contact = add(cast.coordinator, cast.jeanne)
    db.session.commit()
    erase(cast.coordinator, actor=None)
    db.session.commit()
    db.session.refresh(contact)
    assert contact.consent_recorded_by_id is None
    assert emergency_addresses(cast.jeanne.id) != []


def test_coordinator_opens_any_residents_page_from_the_overview(client, login, cast: Cast):
    login(cast.coordinator)
    overview = client.get(f"/wellbeing/enrolments?building={cast.building.id}")
    assert f'<option value="{cast.paul.id}">' in overview.get_data(as_text=True)
    answer = client.get(f"/wellbeing/residents?person={cast.paul.id}")
    assert answer.location.endswith(f"/wellbeing/residents/{cast.paul.id}")
    assert client.get(answer.location).status_code == 200
    assert client.get(f"/wellbeing/residents/{cast.outsider.id}").status_code == 404
