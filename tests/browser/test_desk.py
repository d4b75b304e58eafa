"""The concierge desk in the browser: a leak reported with a photo, followed live to the
logbook; a parcel announced live; every desk page accessible in French and English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    jpeg_bytes,
    login_staff,
    login_with_card,
    wait_connected,
)

LIVE_MS = 5_000
NARROW = {"width": 320, "height": 800}
PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass(frozen=True)
class DeskSeed:
    reporter: Resident  # reports the leak, follows it live, gets a parcel
    reporter_dwelling: int
    browser: Resident  # owns a full set of desk data, for the page checks
    browser_dwelling: int
    ticket_id: int
    large: Resident  # shares the browser's flat, reads at 200 % text size


@pytest.fixture(scope="module")
def desk_seed(seed: Seed) -> DeskSeed:
    """Two more residents of the seeded building, with their own flats and data."""
    from concierge.desk import logbook, parcels, tickets, visits
    from portal.auth.service import do_issue_card
    from portal.db import utcnow
    from portal.extensions import db
    from portal.factory import create_app
    from portal.people.models import Building, Person
    from tests.factories import make_resident

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = db.session.get(Building, seed.building_id)
        staff = db.session.scalars(db.select(Person).filter_by(email=seed.staff_email)).one()
        made = {}
        for key, (first, last) in {
            "reporter": ("Yvette", "Leroy"),
            "browser": ("Émile", "Garnier"),
        }.items():
            person = make_resident(building, first_name=first, last_name=last, pin=PIN)
            token = do_issue_card(person, issued_by=None)
            made[key] = (Resident(person.id, first, last, token), person)
        owner = made["browser"][1]
        flatmate = make_resident(dwelling=owner.dwelling, first_name="Léon", last_name="Garnier")
        flatmate.text_size = 200
        db.session.commit()
        large = Resident(flatmate.id, "Léon", "Garnier", do_issue_card(flatmate, issued_by=None))
        ticket = tickets.do_create_ticket(
            owner, category="heating", description="Radiateur froid", photos=[jpeg_bytes()]
        )
        tickets.do_add_reply(staff, ticket.id, "Le chauffagiste passe lundi.")
        parcels.do_log_parcel(staff, owner.dwelling_id, carrier="Colissimo", note="Fragile")
        start = utcnow() + timedelta(days=1)
        visits.do_add_visit(
            owner,
            owner.dwelling_id,
            kind="entry_permission",
            visitor="Plombier",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
        )
        logbook.do_add_entry(
            staff,
            owner.dwelling_id,
            kind="boiler",
            title="Entretien chaudière",
            happened_on=date(2026, 1, 12),
            body="Contrôle annuel",
            documents=[("attestation.pdf", PDF)],
        )
        result = DeskSeed(
            made["reporter"][0],
            made["reporter"][1].dwelling_id,
            made["browser"][0],
            owner.dwelling_id,
            ticket.id,
            large,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def check_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)


def set_status(staff: Page, status: str, message: str = "") -> None:
    staff.locator("#status").select_option(status)
    if message:
        staff.locator("#message").fill(message)
    staff.locator("#save-status").click()
    staff.wait_for_load_state()


@pytest.mark.browser
def test_leak_followed_live_to_the_logbook_and_a_parcel_announced(
    new_page: NewPage, seed: Seed, desk_seed: DeskSeed
) -> None:
    tablet = new_page()
    login_with_card(tablet, desk_seed.reporter)
    tablet.goto("/tickets/new")
    tablet.locator("input[name=category][value=water]").check()
    tablet.locator("#description").fill("L'eau coule sous l'évier de la cuisine")
    tablet.locator("input[name=photos]").set_input_files(
        files=[{"name": "fuite.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    tablet.locator("main form button[type=submit]").click()
    tablet.wait_for_url("**/tickets/*")
    ticket_path = "/tickets/" + tablet.url.rsplit("/", 1)[1]
    expect(tablet.locator("#photos-title")).to_be_visible()
    wait_connected(tablet)
    tablet.evaluate("() => { window.notReloaded = true; }")

    staff = new_page()
    login_staff(staff, seed)
    staff.goto("/desk")
    link = staff.locator(f"#desk-queue a[href='{ticket_path}']")
    expect(link).to_be_visible()
    link.click()
    staff.wait_for_url(f"**{ticket_path}")
    set_status(staff, "acknowledged", "Nous passons ce matin.")

    status = tablet.locator(".ticket-status")
    expect(status).to_have_attribute("data-status", "acknowledged", timeout=LIVE_MS)
    expect(tablet.locator("#ticket-live")).to_contain_text("Nous passons ce matin.")
    expect(tablet.locator("#toasts .toast")).to_have_count(1, timeout=LIVE_MS)
    assert tablet.evaluate("() => window.notReloaded === true")

    set_status(staff, "resolved", "Joint du siphon remplacé")
    expect(status).to_have_attribute("data-status", "resolved", timeout=LIVE_MS)
    assert tablet.evaluate("() => window.notReloaded === true")
    tablet.goto(f"/dwellings/{desk_seed.reporter_dwelling}/logbook")
    entry = tablet.locator(".logbook-entry[data-kind=ticket]")
    expect(entry).to_contain_text("Joint du siphon remplacé")

    tablet.goto("/my-home")
    wait_connected(tablet)
    expect(tablet.locator("#my-parcels .parcel")).to_have_count(0)
    staff.goto(f"/desk/dwellings/{desk_seed.reporter_dwelling}")
    staff.locator("#carrier").fill("Chronopost")
    staff.locator("#log-parcel").click()
    staff.wait_for_load_state()
    expect(tablet.locator("#my-parcels .parcel")).to_have_count(1, timeout=LIVE_MS)
    expect(tablet.locator("#my-parcels")).to_contain_text("Chronopost")
    expect(tablet.locator("#toasts .toast").last).to_contain_text("Chronopost", timeout=LIVE_MS)


RESIDENT_PAGES = [
    "/tickets",
    "/tickets/new",
    "/tickets/{ticket}",
    "/my-home",
    "/my-home/visits/new",
    "/dwellings/{dwelling}/logbook",
    "/dwellings/{dwelling}/logbook/print",
]
STAFF_PAGES = [
    "/desk",
    "/desk/dwellings",
    "/desk/dwellings?q=zzz",
    "/desk/dwellings/{dwelling}",
    "/desk/dwellings/{dwelling}/logbook/new",
    "/tickets/{ticket}",
    "/tickets/new",
    "/dwellings/{dwelling}/logbook",
]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_desk_pages_are_accessible(
    new_page: NewPage, seed: Seed, desk_seed: DeskSeed, lang: str
) -> None:
    values = {"ticket": desk_seed.ticket_id, "dwelling": desk_seed.browser_dwelling}
    tablet = new_page(locale=LOCALES[lang])
    login_with_card(tablet, desk_seed.browser, lang)
    narrow = new_page(locale=LOCALES[lang], viewport=NARROW)
    login_with_card(narrow, desk_seed.browser, lang)
    for template in RESIDENT_PAGES:
        path = template.format(**values)
        response = tablet.goto(path)
        assert response is not None and response.status == 200, path
        assert tablet.locator("html").get_attribute("lang") == lang
        check_page(tablet)
        narrow.goto(path)
        check_no_horizontal_scroll(narrow)
    # A form sent with a mistake shows its message accessibly too.
    tablet.goto("/tickets/new")
    tablet.locator("main form button[type=submit]").click()
    tablet.wait_for_load_state()
    expect(tablet.locator(".field-errors").first).to_be_visible()
    check_page(tablet)

    staff = new_page(locale=LOCALES[lang])
    login_staff(staff, seed, lang)
    for template in STAFF_PAGES:
        path = template.format(**values)
        response = staff.goto(path)
        assert response is not None and response.status == 200, path
        check_page(staff)
        check_no_horizontal_scroll(staff)


@pytest.mark.browser
def test_desk_pages_work_at_200_percent_text(new_page: NewPage, desk_seed: DeskSeed) -> None:
    values = {"ticket": desk_seed.ticket_id, "dwelling": desk_seed.browser_dwelling}
    for viewport in ({"width": 768, "height": 1024}, {"width": 1024, "height": 768}):
        tablet = new_page(viewport=viewport)
        login_with_card(tablet, desk_seed.large)
        for template in RESIDENT_PAGES:
            tablet.goto(template.format(**values))
            assert "text-200" in (tablet.locator("html").get_attribute("class") or "")
            check_targets(tablet)
            check_no_horizontal_scroll(tablet)
