"""Emergency contacts and pausing the daily check-in in the browser: the resident names a
contact and pauses the check-in in two taps from the home screen; the coordinator sees them
away; every page accessible (axe), with 48 px targets, at 200 % text on 768 x 1024."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TABLET_PORTRAIT,
    NewPage,
    Resident,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    check_targets,
    login_staff_as,
    login_with_card,
    seeded_app,
)

LANDSCAPE = {"width": 1024, "height": 768}
CONSENT = (
    "I agree that Bon Voisin tells this person if I need help and nobody from the building answers."
)


@dataclass(frozen=True)
class ContactsSeed:
    building_id: int
    coordinator_email: str
    resident: Resident  # names a contact, pauses the check-in (pages in English)
    french: Resident  # the same pages in French
    large: Resident  # reads at 200 % text size, has a contact already


@pytest.fixture(scope="module")
def contacts_seed(seed: Seed) -> ContactsSeed:
    """A building of its own in the seeded database: a coordinator, three residents
    enrolled in the daily check-in."""
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from portal.wellbeing import contacts, service
    from tests.factories import make_building, make_resident, make_staff

    with seeded_app(seed):
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Capucines")
        coordinator = make_staff(Role.COORDINATOR, [building], email="capucines-coord@example.org")
        made: dict[str, Resident] = {}
        for key, (first_name, last_name) in {
            "resident": ("Colette", "Vidal"),
            "french": ("Raymond", "Bertin"),
            "large": ("Odile", "Caron"),
        }.items():
            person = make_resident(building, first_name=first_name, last_name=last_name, pin=PIN)
            if key == "large":
                person.text_size = 200
            db.session.commit()
            made[key] = Resident(
                person.id, first_name, last_name, do_issue_card(person, issued_by=None)
            )
            service.do_enrol(coordinator, person.id, time(21, 0), consent=True)
        contacts.do_add_contact(
            coordinator,
            made["large"].id,
            name="Nadine Caron",
            relation="family",
            phone="+44 20 7946 0000",
            email="nadine@example.org",
            locale="en",
            consent=True,
        )
        db.session.commit()  # the server reads them from its own process
        return ContactsSeed(building.id, "capucines-coord@example.org", **made)


@pytest.mark.browser
def test_resident_names_a_contact_and_pauses_the_check_in(
    new_page: NewPage, contacts_seed: ContactsSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, contacts_seed.resident, "en")

    # Naming a contact, from the daily check-in page.
    page.goto("/wellbeing")
    check_page(page)
    page.get_by_role("link", name="Add a person").click()
    page.wait_for_url("**/wellbeing/contacts/new")
    check_page(page)
    page.get_by_label("Name of the person").fill("Marie Vidal")
    page.get_by_label("Who is this person for you?").select_option("family")
    page.get_by_label("Phone number").fill("06 12 34 56 78")
    # Sent without the agreement: the page says why, beside the box.
    page.get_by_role("button", name="Save this person").click()
    expect(page.locator(".field-errors")).to_contain_text("Tick the box to say you agree.")
    check_page(page)
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Save this person").click()
    page.wait_for_url("**/wellbeing")
    item = page.locator("[data-contact]", has_text="Marie Vidal")
    expect(item).to_contain_text("+33612345678")
    expect(item).to_contain_text("You agreed on")
    check_page(page)

    # Removing asks first; "No" keeps the contact.
    item.get_by_role("link", name="Remove Marie Vidal").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove Marie Vidal?")
    check_page(page)
    page.get_by_role("link", name="No, keep this person").click()
    page.wait_for_url("**/wellbeing")
    expect(page.locator("[data-contact]", has_text="Marie Vidal")).to_be_visible()

    # Pausing the check-in: two taps from the home screen, then "resume now".
    page.goto("/")
    panel = page.locator("[data-panel=checkin]")
    panel.get_by_role("link", name="I am going away").click()  # tap 1
    page.wait_for_url("**/wellbeing/pause")
    check_page(page)
    page.get_by_role("button", name="Pause the check-in").click()  # tap 2
    page.wait_for_url(re.compile(r".*/$"))
    expect(panel.locator("[role=status]")).to_contain_text("Check-in paused until")
    expect(panel.get_by_role("button", name=re.compile("I.m fine today"))).to_have_count(0)
    check_page(page)

    # The coordinator sees her away.
    staff = new_page(locale=LOCALES["en"])
    login_staff_as(staff, contacts_seed.coordinator_email, "en")
    staff.goto(f"/wellbeing/enrolments?building={contacts_seed.building_id}")
    row = staff.locator("li", has_text=contacts_seed.resident.full_name)
    expect(row).to_contain_text("Away until")
    check_page(staff)
    row.get_by_role("link", name=re.compile("Away and emergency contacts")).click()
    staff.wait_for_url(f"**/wellbeing/residents/{contacts_seed.resident.id}")
    expect(staff.locator("main")).to_contain_text("Marie Vidal")
    check_page(staff)

    page.reload()
    panel.get_by_role("button", name="I am back: resume now").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(panel.get_by_role("button", name=re.compile("I.m fine today"))).to_be_visible()


@pytest.mark.browser
def test_contact_and_pause_pages_are_accessible_in_french(
    new_page: NewPage, contacts_seed: ContactsSeed
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_with_card(page, contacts_seed.french, "fr")
    for path in ("/wellbeing", "/wellbeing/contacts/new", "/wellbeing/pause", "/"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == "fr"
        check_page(page)
    staff = new_page(locale=LOCALES["fr"])
    login_staff_as(staff, contacts_seed.coordinator_email, "fr")
    response = staff.goto(f"/wellbeing/residents/{contacts_seed.large.id}")
    assert response is not None and response.status == 200
    check_page(staff)
    # A mistake on the coordinator's form is shown accessibly too.
    staff.locator("main form[action$='/contacts'] button[type=submit]").click()
    staff.wait_for_load_state()
    expect(staff.locator(".field-errors").first).to_be_visible()
    check_page(staff)


@pytest.mark.browser
def test_contact_and_pause_pages_work_at_200_percent_text(
    new_page: NewPage, contacts_seed: ContactsSeed
) -> None:
    large = contacts_seed.large
    paths = (
        "/wellbeing",
        "/wellbeing/contacts/new",
        "/wellbeing/pause",
        "/",
    )
    for viewport in (TABLET_PORTRAIT, LANDSCAPE):
        page = new_page(locale=LOCALES["en"], viewport=viewport)
        login_with_card(page, large, "en")
        for path in paths:
            page.goto(path)
            assert "text-200" in (page.locator("html").get_attribute("class") or "")
            check_targets(page)
            check_no_horizontal_scroll(page)
        page.goto("/wellbeing")
        item = page.locator("[data-contact]", has_text="Nadine Caron")
        expect(item).to_contain_text("+442079460000")
        item.get_by_role("link", name="Remove Nadine Caron").click()
        check_targets(page)
        check_no_horizontal_scroll(page)
    # At 200 %, on the tablet in portrait: name a contact, pause, resume.
    page = new_page(locale=LOCALES["en"], viewport=TABLET_PORTRAIT)
    login_with_card(page, large, "en")
    page.goto("/wellbeing/contacts/new")
    page.get_by_label("Name of the person").fill("Paul Caron")
    page.get_by_label("Email address").fill("paul@example.org")
    page.get_by_label(CONSENT).check()
    page.get_by_role("button", name="Save this person").click()
    page.wait_for_url("**/wellbeing")
    expect(page.locator("[data-contact]", has_text="Paul Caron")).to_be_visible()
    check_page(page)
    page.goto("/")
    page.get_by_role("link", name="I am going away").click()
    page.get_by_role("button", name="Pause the check-in").click()
    page.wait_for_url(re.compile(r".*/$"))
    expect(page.locator("[data-panel=checkin] [role=status]")).to_contain_text("paused until")
    check_targets(page)
    check_no_horizontal_scroll(page)
    page.get_by_role("button", name="I am back: resume now").click()
    page.wait_for_url(re.compile(r".*/$"))
