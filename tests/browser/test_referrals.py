"""Referrals in the browser: a partner's referral reaches the coordinator's "To call" list
live, and the partner sees the coordinator's answer live; every referral page accessible in
French, English and Arabic (axe), narrow screens included."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    NewPage,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    login_staff_as,
    seeded_app,
    wait_connected,
)
from tests.factories import STAFF_PASSWORD

LIVE_MS = 5_000
NARROW = {"width": 320, "height": 800}


@dataclass(frozen=True)
class ReferralSeed:
    building_id: int
    coordinator_email: str
    partner_email: str
    referral_id: int  # one referral already sent (the pages' checks open it)


@pytest.fixture(scope="module")
def ref_seed(seed: Seed) -> ReferralSeed:
    """A building of its own in the seeded database: a coordinator, a resident in flat
    M12, a partner attached to it and one referral already sent."""
    from portal.auth.service import do_set_password
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from portal.referrals import service
    from tests.factories import make_building, make_dwelling, make_resident, make_staff

    with seeded_app(seed) as app:
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Mimosas")
        coordinator = make_staff(Role.COORDINATOR, [building], email="mimosas-coord@example.org")
        make_resident(
            building, dwelling=make_dwelling(building, "M12"), first_name="Hélène", last_name="Roy"
        )
        with app.test_request_context():
            partner, _ = service.do_invite_partner(
                coordinator,
                email="mimosas-partner@example.org",
                first_name="Sonia",
                last_name="Haddad",
                kind="social_worker",
                organisation_name="CCAS de Lille",
                building_ids=[building.id],
            )
        do_set_password(partner, STAFF_PASSWORD)
        referral = service.do_send_referral(
            partner,
            building_id=building.id,
            dwelling_number="",
            resident_name="",
            concern="dwelling",
            urgency="low",
            text="The entrance light is broken.",
        )
        db.session.commit()  # the server reads them from its own process
        return ReferralSeed(
            building.id, "mimosas-coord@example.org", "mimosas-partner@example.org", referral.id
        )


def login_partner(page: Page, email: str) -> None:
    """A partner logs in with email and password; their home is their referrals."""
    page.goto("/login/staff")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/referrals")


@pytest.mark.browser
def test_a_referral_reaches_the_coordinator_live_and_the_partner_sees_the_answer(
    new_page: NewPage, ref_seed: ReferralSeed
) -> None:
    coordinator = new_page(locale=LOCALES["en"])
    login_staff_as(coordinator, ref_seed.coordinator_email, "en")
    coordinator.goto(f"/wellbeing/to-call?building={ref_seed.building_id}")
    wait_connected(coordinator)
    listing = coordinator.locator("#to-call")
    before = listing.locator("[data-referral]").count()

    partner = new_page(locale=LOCALES["en"])
    login_partner(partner, ref_seed.partner_email)
    partner.get_by_role("link", name="Send a referral").click()
    partner.wait_for_url("**/referrals/new")
    partner.get_by_label("Flat number (leave empty if it is about the building)").fill("M12")
    partner.get_by_label("The resident's name (optional)").fill("Roy")
    partner.get_by_label("Isolation").check()
    partner.get_by_label("Today").check()
    partner.locator("#text").fill("Nobody has visited her for two weeks.")
    partner.get_by_role("button", name="Send to the coordinator").click()
    partner.wait_for_url("**/referrals")
    wait_connected(partner)
    mine = partner.locator("#my-referrals [data-referral]").first
    expect(mine).to_contain_text("Received")

    # Live on the coordinator's list, without reloading.
    expect(listing.locator("[data-referral]")).to_have_count(before + 1, timeout=LIVE_MS)
    item = listing.locator("[data-referral]", has_text="Isolation")
    expect(item).to_contain_text("Flat M12")
    item.get_by_role("link", name="Open the referral").click()
    coordinator.wait_for_url("**/staff/referrals/*")
    expect(coordinator.locator("main")).to_contain_text("Nobody has visited her for two weeks.")
    expect(coordinator.locator("main")).to_contain_text("Hélène Roy")
    check_page(coordinator)
    coordinator.locator("#consent").check()
    coordinator.get_by_role("button", name="Record the consent").click()
    coordinator.wait_for_load_state()
    coordinator.get_by_label("In progress").check()
    coordinator.get_by_label("A short note for the partner (optional)").fill("We are calling her.")
    coordinator.get_by_role("button", name="Send the answer").click()
    coordinator.wait_for_load_state()
    # The referral once answered, the consent recorded: its other state, accessible too.
    expect(coordinator.locator("main")).to_contain_text("We are calling her.")
    check_page(coordinator)

    # Live on the partner's page, without reloading.
    expect(mine).to_contain_text("In progress", timeout=LIVE_MS)
    expect(mine).to_contain_text("We are calling her.")
    check_page(partner)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_referral_pages_are_accessible(
    new_page: NewPage, ref_seed: ReferralSeed, lang: str
) -> None:
    partner = new_page(locale=LOCALES[lang])
    login_partner(partner, ref_seed.partner_email)
    narrow = new_page(locale=LOCALES[lang], viewport=NARROW)
    login_partner(narrow, ref_seed.partner_email)
    for path in ("/referrals", "/referrals/new"):
        response = partner.goto(path)
        assert response is not None and response.status == 200, path
        assert partner.locator("html").get_attribute("lang") == lang
        check_page(partner)
        narrow.goto(path)
        check_no_horizontal_scroll(narrow)
    # A form sent with a mistake shows its message accessibly too.
    partner.goto("/referrals/new")
    partner.locator("#dwelling").fill("ZZ99")
    partner.locator("#text").fill("A test.")
    partner.locator("main form button[type=submit]").click()
    partner.wait_for_load_state()
    expect(partner.locator(".field-errors").first).to_be_visible()
    check_page(partner)
    # The building's pages stay closed to a partner.
    assert partner.goto(f"/wellbeing/to-call?building={ref_seed.building_id}").status == 404

    coordinator = new_page(locale=LOCALES[lang])
    login_staff_as(coordinator, ref_seed.coordinator_email, lang)
    narrow_staff = new_page(locale=LOCALES[lang], viewport=NARROW)
    login_staff_as(narrow_staff, ref_seed.coordinator_email, lang)
    b = ref_seed.building_id
    for path in (
        f"/staff/referrals?building={b}",
        f"/staff/referrals/{ref_seed.referral_id}",
        f"/staff/partners?building={b}",
        f"/wellbeing/to-call?building={b}",
    ):
        response = coordinator.goto(path)
        assert response is not None and response.status == 200, path
        check_page(coordinator)
        narrow_staff.goto(path)
        check_no_horizontal_scroll(narrow_staff)
