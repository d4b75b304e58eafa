"""The family circle in the browser: a resident invites her daughter by email from her
tablet; the daughter opens the link on her phone, sets up her account, writes to her mother
and sees nothing else of the building; the mother reads it and removes her in one tap with
a confirmation. Every new page accessible (axe), with 48 px targets, without sideways
scrolling on a phone."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    NewPage,
    Resident,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    login_staff_as,
    login_with_card,
    seeded_app,
)

PHONE = {"width": 390, "height": 844}
EMAIL = "tilleuls-fille@example.org"
JOIN_LINK = re.compile(r"https?://[^\s]+(/family/join/[A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class FamilySeed:
    building_name: str
    coordinator_email: str
    resident: Resident  # invites her daughter (pages in English)
    neighbour_conversation_id: int  # hers with a neighbour: the daughter must not see it
    neighbour_last_name: str
    joined_resident_id: int  # Armand, whose son joined his circle (the coordinator's view)
    login_link_path: str  # the son's login link, never opened (a GET changes nothing)


@pytest.fixture(scope="module")
def family_seed(seed: Seed) -> FamilySeed:
    """A building of its own: a coordinator, a resident and her neighbour who wrote to her,
    and another resident whose son joined his family circle and has a login link."""
    from messaging import service as messaging
    from messaging.family import service as family
    from portal import mail
    from portal.auth import links
    from portal.auth.models import LinkPurpose
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from tests.factories import make_building, make_resident, make_staff

    with seeded_app(seed) as app, app.test_request_context():
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Platanes")
        make_staff(Role.COORDINATOR, [building], email="tilleuls-coord@example.org")
        resident = make_resident(
            building, first_name="Mireille", last_name="Caillaux", pin=PIN, locale="en"
        )
        neighbour = make_resident(building, first_name="Lucien", last_name="Verdier", pin=PIN)
        db.session.commit()
        card = do_issue_card(resident, issued_by=None)
        conversation = messaging.get_or_create_direct(neighbour, resident.id)
        messaging.do_send_message(
            neighbour, conversation.id, client_id="c-glycines-01", body="Secret de voisin"
        )
        armand = make_resident(building, first_name="Armand", last_name="Roussel", locale="fr")
        db.session.commit()
        family.do_invite(
            armand,
            armand.id,
            first_name="Hugo",
            last_name="Roussel",
            relation="mon fils",
            channel="email",
            email="platanes-fils@example.org",
        )
        db.session.commit()
        invitation = mail.outbox()[-1].body.split("/family/join/")[1].split()[0]
        son = family.do_join(
            invitation, first_name="Hugo", last_name="Roussel", email="platanes-fils@example.org"
        )
        db.session.commit()
        login_token = links.do_issue_link(son, LinkPurpose.LOGIN)
        db.session.commit()
        return FamilySeed(
            building.name,
            "tilleuls-coord@example.org",
            Resident(resident.id, "Mireille", "Caillaux", card),
            conversation.id,
            "Verdier",
            armand.id,
            f"/family/login/{login_token}",
        )


def _join_path(tmp_path_factory: pytest.TempPathFactory, since: float) -> str:
    """The join link the server wrote to its log (no SMTP server: mails go to the log)."""
    logs = sorted(tmp_path_factory.getbasetemp().glob("server*/server-*.log"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for log in logs:
            if log.stat().st_mtime < since:
                continue
            found = JOIN_LINK.findall(Path(log).read_text(encoding="utf-8", errors="replace"))
            if found:
                return found[-1]
        time.sleep(0.1)
        logs = sorted(tmp_path_factory.getbasetemp().glob("server*/server-*.log"))
    raise AssertionError("no invitation link in the server's log")


def _status(page: Page, path: str) -> int:
    response = page.goto(path)
    assert response is not None
    return response.status


@pytest.mark.browser
def test_relative_invited_by_email_writes_to_the_resident_and_sees_nothing_else(
    new_page: NewPage, family_seed: FamilySeed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    mother = new_page(locale=LOCALES["en"])
    login_with_card(mother, family_seed.resident, "en")

    # "My family" below the tiles, then "Invite someone".
    mother.get_by_role("link", name="See my family").click()
    mother.wait_for_url(f"**/family/residents/{family_seed.resident.id}")
    check_page(mother)
    mother.get_by_role("link", name="Invite someone").click()
    check_page(mother)
    mother.get_by_label("First name").fill("Julie")
    mother.get_by_label("Last name").fill("Caillaux")
    mother.get_by_label("Who is this person for you?").fill("my daughter")
    mother.get_by_label("Email address").fill(EMAIL)
    sent_at = time.time() - 1
    mother.get_by_role("button", name="Send the invitation").click()
    mother.wait_for_url(f"**/family/residents/{family_seed.resident.id}")
    expect(mother.locator("main")).to_contain_text("Invitation sent to Julie.")
    expect(mother.locator("[data-link]", has_text="Julie Caillaux")).to_contain_text(
        "Waiting for the answer"
    )
    check_page(mother)

    # The daughter opens the link on her phone and sets up her account.
    daughter = new_page(locale=LOCALES["en"], viewport=PHONE)
    daughter.goto(_join_path(tmp_path_factory, sent_at))
    expect(daughter.locator("main")).to_contain_text("Mireille Caillaux")
    check_page(daughter)
    check_no_horizontal_scroll(daughter)
    daughter.get_by_label("With a password").check()
    daughter.get_by_label("Password (12 characters at least)").fill("a long enough secret")
    daughter.get_by_label("The same password again").fill("a long enough secret")
    daughter.get_by_role("button", name="Join").click()
    daughter.wait_for_url("**/family")
    check_page(daughter)
    check_no_horizontal_scroll(daughter)
    main = daughter.locator("main")
    expect(main).to_contain_text("Mireille Caillaux")
    expect(main).not_to_contain_text(family_seed.building_name)

    # She writes to her mother.
    daughter.get_by_role("link", name="Write to Mireille").click()
    daughter.wait_for_url(re.compile(r".*/messages/\d+$"))
    conversation_path = daughter.url.split(daughter.url.split("/messages/")[0])[1]
    check_page(daughter)
    check_no_horizontal_scroll(daughter)
    # A family conversation ends by leaving the circle, not by blocking.
    expect(daughter.get_by_role("link", name=re.compile("Block"))).to_have_count(0)
    daughter.locator("#body").fill("Bonjour maman, je pense à toi")
    daughter.get_by_role("button", name="Send").click()
    expect(daughter.locator("#messages")).to_contain_text("Bonjour maman, je pense à toi")
    daughter.get_by_role("link", name="Back to my messages").click()
    daughter.wait_for_url("**/family")
    daughter.get_by_role("link", name="News of Mireille").click()
    check_page(daughter)

    # Her mother reads it on her tablet.
    mother.goto(conversation_path)
    expect(mother.locator("#messages")).to_contain_text("Bonjour maman, je pense à toi")
    expect(mother.get_by_role("link", name=re.compile("Block"))).to_have_count(0)

    # "Leave and close my account" asks first, on her phone too (nothing changes yet).
    daughter.goto("/family/close")
    expect(daughter.get_by_role("heading", level=1)).to_contain_text("Leave and close my account?")
    expect(daughter.get_by_role("button", name="Yes, close my account")).to_be_visible()
    check_page(daughter)
    check_no_horizontal_scroll(daughter)

    # The daughter sees nothing else: neighbours, directory, help board, announcements, the
    # mother's other conversations, the building's pages, staff pages.
    for path in (
        "/directory",
        "/neighbours",
        "/announcements",
        "/activities",
        "/messages/new",
        f"/messages/{family_seed.neighbour_conversation_id}",
        f"/family/residents/{family_seed.resident.id}",
        "/desk",
        "/my-home",
        "/voice",
        "/staff/organisation",
    ):
        assert _status(daughter, path) == 404, path
        expect(daughter.locator("body")).not_to_contain_text(family_seed.neighbour_last_name)
    daughter.goto("/")
    daughter.wait_for_url("**/family")

    # The mother's circle now shows Julie joined, with what she may see and the emergency
    # contact choice.
    mother.goto(f"/family/residents/{family_seed.resident.id}")
    julie = mother.locator("[data-link]", has_text="Julie Caillaux")
    expect(julie).to_contain_text("Joined on")
    expect(julie.get_by_role("group", name="Julie may also see:")).to_be_visible()
    expect(julie.get_by_role("button", name="Tell Julie if help is needed")).to_be_visible()
    check_page(mother)

    # The mother removes her in one tap, after a plain confirmation.
    mother.locator("[data-link]", has_text="Julie Caillaux").get_by_role(
        "link", name="Remove Julie"
    ).click()
    expect(mother.get_by_role("heading", level=1)).to_contain_text("Remove Julie Caillaux?")
    check_page(mother)
    mother.get_by_role("button", name="Yes, remove").click()
    expect(mother.locator("main")).to_contain_text("Julie is no longer in the circle.")
    expect(mother.locator("[data-link]")).to_have_count(0)

    # Her session is over at once: her open page goes to the login page by itself.
    daughter.wait_for_url(re.compile(r".*/login"))
    daughter.goto(conversation_path)
    expect(daughter).to_have_url(re.compile(r".*/login\?next="))
    expect(daughter.locator("body")).not_to_contain_text("je pense à toi")
    # The login page leads to the family's; in no circle any more, she cannot log in.
    daughter.get_by_role("link", name="Family: log in").click()
    daughter.wait_for_url("**/family/login")
    daughter.get_by_label("Email address").fill(EMAIL)
    daughter.get_by_label("Password").fill("a long enough secret")
    daughter.locator("main").get_by_role("button", name="Log in").click()
    expect(daughter.locator("main")).to_contain_text("This account is closed.")
    check_page(daughter)


@pytest.mark.browser
def test_family_pages_are_accessible_in_french_for_the_coordinator(
    new_page: NewPage, family_seed: FamilySeed
) -> None:
    staff = new_page(locale=LOCALES["fr"])
    login_staff_as(staff, family_seed.coordinator_email, "fr")
    for path in (
        "/family",
        f"/family/residents/{family_seed.resident.id}",
        f"/family/residents/{family_seed.resident.id}/invite",
        "/family/login",
    ):
        assert _status(staff, path) in (200, 302), path
        check_page(staff)
    # A circle someone joined: what they may see, and naming them an emergency contact once
    # the resident agreed.
    assert _status(staff, f"/family/residents/{family_seed.joined_resident_id}") == 200
    son = staff.locator("[data-link]", has_text="Hugo Roussel")
    expect(son.locator("form[action$='/visibility'] input[type=checkbox]")).to_have_count(2)
    expect(son.locator("form[action$='/emergency'] input[name=consent]")).to_have_count(1)
    check_page(staff)
    # A mistake on the invitation form is shown accessibly too.
    staff.goto(f"/family/residents/{family_seed.resident.id}/invite")
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_load_state()
    expect(staff.locator(".flash-error").first).to_be_visible()
    check_page(staff)
    anonymous = new_page(locale=LOCALES["fr"], viewport=PHONE)
    anonymous.goto("/family/login")
    check_page(anonymous)
    check_no_horizontal_scroll(anonymous)
    anonymous.goto("/family/join/not-a-real-link")
    check_page(anonymous)
    # The login link mailed to a relative: one big "Log in" (the GET uses nothing up).
    assert _status(anonymous, family_seed.login_link_path) == 200
    expect(anonymous.get_by_role("heading", level=1)).to_contain_text("Hugo")
    check_page(anonymous)
    check_no_horizontal_scroll(anonymous)
