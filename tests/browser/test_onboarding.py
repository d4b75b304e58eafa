"""A coordinator imports residents from a CSV file, prints their cards, and a newcomer logs in.

Also: every staff page for onboarding and managing people passes axe in French and English
on a 768 x 1024 tablet, without sideways scrolling.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    LOCALES,
    NewPage,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    login_staff,
)

HEADER = "Logement;Étage;Type;Prénom;Nom;Année de naissance;Téléphone;Langue\n"
NEW_PIN = "4826"


def csv_file(lines: list[str]) -> dict[str, object]:
    content = "\ufeff" + HEADER + "".join(line + "\n" for line in lines)
    return {"name": "residents.csv", "mimeType": "text/csv", "buffer": content.encode()}


def check_staff_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


def check_print_layout(page: Page) -> None:
    """On paper: two cards a row on A4, no menus, the two cards on one page."""
    page.emulate_media(media="print")
    columns = page.evaluate(
        "getComputedStyle(document.querySelector('.card-sheet')).gridTemplateColumns"
    )
    assert len(columns.split()) == 2, columns
    assert page.locator(".topbar").first.is_hidden()
    assert page.get_by_role("button", name="Print").is_hidden()
    pdf = page.pdf(format="A4", print_background=True)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    page.emulate_media(media="screen")


def upload(page: Page, seed: Seed, lines: list[str]) -> None:
    page.goto(f"/staff/buildings/{seed.building_id}/import")
    page.locator("input[type=file]").set_input_files(csv_file(lines))
    page.locator("main form[enctype] button[type=submit]").click()
    page.wait_for_url(f"**/staff/buildings/{seed.building_id}/import")


def import_and_print(page: Page, seed: Seed, lines: list[str]) -> list[str]:
    """Preview, confirm, print: returns the card links printed on the sheet."""
    upload(page, seed, lines)
    page.locator("form.import-confirm button[type=submit]").click()
    page.wait_for_url("**/import/confirm")
    page.locator("main form.panel button[type=submit]").click()
    page.wait_for_url("**/cards")
    page.locator(".bulk-card").first.wait_for()
    return [text.strip() for text in page.locator(".login-card-url").all_inner_texts()]


# Every page a resident reaches from the home screen (no URL argument needed).
EVERY_RESIDENT_PAGE = (
    "/",
    "/messages",
    "/messages/new",
    "/messages/groups/new",
    "/messages/search",
    "/activities",
    "/activities?range=month",
    "/activities/my-calendar",
    "/activities/rooms",
    "/activities/propose",
    "/neighbours",
    "/neighbours/ask",
    "/neighbours/offer",
    "/my-home",
    "/my-home/parcels",
    "/my-home/visits/new",
    "/tickets",
    "/tickets/new",
    "/announcements",
    "/notifications",
    "/profile",
    "/directory",
    "/wellbeing",
    "/help",
    "/help-me",
    "/settings",
    "/settings/pin",
)


@pytest.mark.browser
def test_imported_resident_logs_in_with_the_printed_card(new_page: NewPage, seed: Seed) -> None:
    staff = new_page(locale=LOCALES["en"])
    login_staff(staff, seed, "en")
    upload(staff, seed, ["501;5;T2;Nadège;Vasseur;1944;;fr", "501;5;T2;Ali;Vasseur;1941;;en"])
    staff.get_by_text("2 residents will be added.").wait_for()
    assert staff.locator("table.import-table tbody tr").count() == 2
    staff.get_by_role("button", name="Confirm and add these residents").click()
    staff.get_by_role("heading", name="2 residents added").wait_for()
    staff.get_by_role("button", name="Print their login cards").click()
    staff.wait_for_url("**/cards")
    assert staff.locator(".bulk-card svg").count() == 2
    cards = dict(
        zip(
            staff.locator(".bulk-card h2").all_inner_texts(),
            staff.locator(".login-card-url").all_inner_texts(),
            strict=True,
        )
    )
    url = cards["Ali Vasseur"].strip()  # his language is English
    check_print_layout(staff)
    assert re.search(r"/login/card/[\w-]+$", url)

    tablet = new_page(locale=LOCALES["en"])
    tablet.goto(url)
    tablet.get_by_role("button", name="Come in").click()
    tablet.wait_for_url("**/")
    tablet.get_by_role("heading", level=1, name="Hello Ali!").wait_for()

    tablet.goto("/settings/pin")
    tablet.get_by_label("New 4-digit code").fill(NEW_PIN)
    tablet.get_by_label("The same code again").fill(NEW_PIN)
    tablet.locator("main").get_by_role("button", name="Save my code").click()
    tablet.wait_for_url("**/settings")

    tablet.locator("input[name=text_size][value='200']").check()
    tablet.get_by_role("button", name="Save my settings").click()
    tablet.wait_for_url("**/settings")
    assert "text-200" in (tablet.locator("html").get_attribute("class") or "").split()
    for path in EVERY_RESIDENT_PAGE:
        response = tablet.goto(path)
        assert response is not None and response.status == 200, path
        check_no_horizontal_scroll(tablet)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_onboarding_and_people_pages_are_accessible(
    new_page: NewPage, seed: Seed, lang: str
) -> None:
    page = new_page(locale=LOCALES[lang])
    login_staff(page, seed, lang)
    for path in (
        f"/staff/buildings/{seed.building_id}/residents",
        f"/staff/buildings/{seed.building_id}/residents/new",
        f"/staff/buildings/{seed.building_id}/import",
        f"/staff/buildings/{seed.building_id}/staff",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_staff_page(page)

    # A file with problems: every line explained, no confirm button.
    upload(page, seed, ["601;6;T9;;Petit;19x2;;de", "601;7;T2;Luc;Petit;1950;;fr"])
    assert page.locator("form.import-confirm").count() == 0
    assert page.locator("tr.line-bad").count() == 2
    check_staff_page(page)

    # A good file: preview, done, then the sheet of cards.
    surname = f"Essai{lang.upper()}"
    upload(page, seed, [f"60{len(lang)};6;T3;Irène;{surname};1939;0320000000;{lang}"])
    check_staff_page(page)
    import_and_print_from_preview(page)

    page.goto(f"/staff/buildings/{seed.building_id}/residents")
    page.get_by_role("link", name=re.compile(surname)).click()
    page.wait_for_url("**/staff/residents/*")
    person_id = page.url.rsplit("/", 1)[-1]
    for path in (f"/staff/residents/{person_id}", f"/staff/people/{person_id}"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_staff_page(page)


def import_and_print_from_preview(page: Page) -> None:
    page.locator("form.import-confirm button[type=submit]").click()
    page.wait_for_url("**/import/confirm")
    check_staff_page(page)
    page.locator("main form.panel button[type=submit]").click()
    page.wait_for_url("**/cards")
    assert page.locator(".bulk-card").count() == 1
    check_staff_page(page)
