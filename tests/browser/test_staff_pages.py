"""Staff log in with a password, see their building's residents and print login cards."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_targets,
    login_staff,
    login_with_card,
)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_staff_pages_are_accessible(new_page: NewPage, seed: Seed, lang: str) -> None:
    jeanne = seed.residents["jeanne"]
    page = new_page(locale=LOCALES[lang])
    page.goto("/login/staff")
    page.locator("#email").fill(seed.staff_email)
    page.locator("#password").fill("not the password")
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.get_by_role("alert").wait_for()
    check_accessibility(page)

    login_staff(page, seed, lang)

    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page)
    check_targets(page)

    page.locator(f"a[href$='/staff/buildings/{seed.building_id}/residents']").click()
    page.wait_for_url(f"**/staff/buildings/{seed.building_id}/residents")
    assert page.get_by_role("link", name=f"{jeanne.last_name} {jeanne.first_name}").is_visible()
    # Residents of another building are not listed.
    assert page.get_by_text(seed.residents["odette"].last_name).count() == 0
    check_accessibility(page)
    check_targets(page)

    page.get_by_role("link", name=f"{jeanne.last_name} {jeanne.first_name}").click()
    page.wait_for_url(f"**/staff/residents/{jeanne.id}")
    check_accessibility(page)
    check_targets(page)

    # Another building's resident stays hidden.
    response = page.goto(f"/staff/residents/{seed.residents['odette'].id}")
    assert response is not None and response.status == 404


@pytest.mark.browser
def test_print_a_card_shows_a_printable_card_with_a_qr_code(new_page: NewPage, seed: Seed) -> None:
    henri = seed.residents["henri"]
    page = new_page()
    login_staff(page, seed)
    page.goto(f"/staff/residents/{henri.id}")

    page.get_by_role("button", name=TEXT["fr"]["print_card"], exact=True).click()

    page.wait_for_url(f"**/staff/residents/{henri.id}/card")
    page.get_by_role("heading", level=1, name=f"{henri.first_name} {henri.last_name}").wait_for()
    qr = page.locator(".login-card-qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["height"] >= 150
    assert page.get_by_role("img", name=re.compile("QR")).is_visible()
    printed_url = page.locator(".login-card-url").inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/login/card/[\w-]+", printed_url)
    assert page.get_by_role("button", name="Imprimer", exact=True).is_visible()
    check_accessibility(page)
    check_targets(page)

    # The printed card works on the resident's own tablet.
    tablet = new_page()
    login_with_card(tablet, dataclasses.replace(henri, card_token=printed_url.rsplit("/", 1)[1]))
