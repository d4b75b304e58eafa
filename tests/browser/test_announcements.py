"""Announcements in the browser: staff publish a heatwave warning, a resident's home badge
appears live, she reads it and says so, and the staff's read list shows who to call. Every
announcements page passes axe in French and English on a tablet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TABLET_PORTRAIT,
    TEXT,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    login_with_card,
    wait_connected,
)
from tests.factories import STAFF_PASSWORD

LIVE_MS = 10_000
TABLET_LANDSCAPE = {"width": 1024, "height": 768}
STAFF_EMAIL = "annonces@lilas.example.org"


@dataclass(frozen=True)
class AnnouncementSeed:
    building_id: int
    reader: Resident  # reads the warning live
    others: tuple[Resident, ...]  # never read: listed to call
    browser: Resident  # opens every page for the axe checks
    large: Resident  # reads at 200 % text size


@pytest.fixture(scope="module")
def ann_seed(seed: Seed) -> AnnouncementSeed:
    """A building of its own (so no other test's announcement shows), its coordinator and
    four residents with cards; the others have phone numbers to be called."""
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app
    from tests.factories import make_building, make_dwelling, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = make_building(name="Résidence des Lilas")
        make_staff(buildings=[building], email=STAFF_EMAIL)
        made: list[Resident] = []
        names = [
            ("Suzanne", "Lemaire"),
            ("Albert", "Noël"),
            ("Gisèle", "Huet"),
            ("Bernard", "Colin"),
            ("Marthe", "Vidal"),
        ]
        for index, (first, last) in enumerate(names):
            dwelling = make_dwelling(building, f"2{index:02d}", floor=2)
            person = make_resident(
                building, dwelling=dwelling, first_name=first, last_name=last, pin=PIN
            )
            person.phone = f"06 00 00 00 0{index}"
            person.text_size = 200 if first == "Marthe" else 100
            db.session.commit()
            made.append(Resident(person.id, first, last, do_issue_card(person, issued_by=None)))
        result = AnnouncementSeed(building.id, made[0], (made[1], made[2]), made[3], made[4])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def login_lilas_staff(page: Page, lang: str = "fr") -> None:
    page.goto("/login/staff")
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


def write(page: Page, title: str, body: str, *, pinned: bool = True) -> int:
    """Fill the form and publish; returns the announcement's id."""
    page.goto("/announcements/new")
    page.locator("#title").fill(title)
    page.locator("#body").fill(body)
    if pinned:
        page.locator("#pinned").check()
    page.locator("#until_day").fill((date.today() + timedelta(days=4)).isoformat())
    page.locator("#until_time").fill("20:00")
    page.locator("#announcement-form button[type=submit]").click()
    page.wait_for_url("**/announcements/*")
    return int(page.url.rsplit("/", 1)[1])


def check_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


@pytest.mark.browser
def test_published_warning_reaches_the_home_live_and_the_read_list(
    new_page: NewPage, ann_seed: AnnouncementSeed
) -> None:
    resident = new_page(locale=LOCALES["fr"])
    login_with_card(resident, ann_seed.reader, "fr")
    badge = resident.locator("[data-tile=announcements] .tile-badge")
    expect(badge).to_be_hidden()
    wait_connected(resident, timeout=30_000)

    staff = new_page(locale=LOCALES["fr"])
    login_lilas_staff(staff, "fr")
    announcement_id = write(staff, "Alerte canicule", "Buvez de l'eau, fermez les volets.")

    # The resident's home, left open, shows the new announcement without reloading.
    expect(badge).to_be_visible(timeout=LIVE_MS)
    expect(badge).to_contain_text("1")
    resident.locator("[data-tile=announcements]").click()
    resident.wait_for_url("**/announcements")
    resident.locator(".announcement-card", has_text="Alerte canicule").click()
    resident.wait_for_url(f"**/announcements/{announcement_id}")
    resident.locator("#mark-read").click()
    resident.wait_for_url(f"**/announcements/{announcement_id}")
    expect(resident.locator("#read-status")).to_be_visible()
    resident.goto("/")
    expect(resident.locator("[data-tile=announcements] .tile-badge")).to_be_hidden()

    staff.goto(f"/announcements/{announcement_id}/reads")
    read_table = staff.locator("#read-table")
    expect(read_table).to_contain_text(ann_seed.reader.full_name)
    not_read = staff.locator("#not-read-table")
    for other in (*ann_seed.others, ann_seed.browser, ann_seed.large):
        expect(not_read).to_contain_text(other.full_name)
        expect(read_table).not_to_contain_text(other.full_name)
    expect(not_read).not_to_contain_text(ann_seed.reader.full_name)
    expect(staff.locator("#count-read .announcement-count")).to_have_text("1")
    expect(staff.locator("#count-not-read .announcement-count")).to_have_text("4")
    expect(not_read).to_contain_text("06 00 00 00 01")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_every_announcements_page_passes_axe(
    new_page: NewPage, ann_seed: AnnouncementSeed, lang: str
) -> None:
    staff = new_page(locale=LOCALES[lang])
    login_lilas_staff(staff, lang)
    staff.goto("/announcements/new")
    check_page(staff)
    staff.locator("#announcement-form button[type=submit]").click()  # empty: refused
    expect(staff.locator(".field-errors").first).to_be_visible()
    check_page(staff)
    announcement_id = write(staff, f"Eau coupée ({lang})", "Jeudi de 9 h à 12 h.")
    for path in (
        "/announcements",
        f"/announcements/{announcement_id}",
        f"/announcements/{announcement_id}/edit",
        f"/announcements/{announcement_id}/reads",
    ):
        staff.goto(path)
        check_page(staff)

    resident = new_page(locale=LOCALES[lang])
    login_with_card(resident, ann_seed.browser, lang)
    # The newest pinned announcement shows on the home screen.
    expect(resident.locator("main")).to_contain_text(f"Eau coupée ({lang})")
    check_page(resident)
    for path in ("/announcements", f"/announcements/{announcement_id}"):
        resident.goto(path)
        check_page(resident)
    resident.locator("#mark-read").click()
    expect(resident.locator("#read-status")).to_be_visible()
    check_page(resident)


@pytest.mark.browser
def test_resident_pages_fit_the_tablet_at_200_percent_text(
    new_page: NewPage, ann_seed: AnnouncementSeed
) -> None:
    staff = new_page(locale=LOCALES["fr"])
    login_lilas_staff(staff, "fr")
    long_title = "Coupure d'eau générale dans tout l'immeuble pour travaux urgents"
    announcement_id = write(staff, long_title, "Remplissez des bouteilles ce soir. " * 20)
    for viewport in (TABLET_PORTRAIT, TABLET_LANDSCAPE):
        resident = new_page(locale=LOCALES["fr"], viewport=viewport)
        login_with_card(resident, ann_seed.large, "fr")
        assert resident.evaluate("document.documentElement.className").count("text-200") == 1
        for path in ("/", "/announcements", f"/announcements/{announcement_id}"):
            resident.goto(path)
            check_no_horizontal_scroll(resident)
            check_targets(resident)
