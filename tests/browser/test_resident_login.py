"""Residents log in without a memory test: the card link, then their photo and a 4-digit code."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_targets,
    log_out,
    login_with_card,
)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_card_login_leads_to_an_accessible_home_and_logout_returns_to_login(
    new_page: NewPage, seed: Seed, lang: str
) -> None:
    jeanne = seed.residents["jeanne"]
    page = new_page(locale=LOCALES[lang])

    login_with_card(page, jeanne, lang)

    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page)
    check_targets(page)

    for path in ("/settings", "/settings/pin", "/help"):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_accessibility(page)
        check_targets(page)

    log_out(page, lang)
    assert re.search(r"/login$", page.url)
    # The page waits for the logout answer instead of reloading itself on the socket event.
    page.get_by_role("status").filter(has_text=TEXT[lang]["logged_out"]).wait_for()
    # The session is over: home sends the tablet back to the login page.
    page.goto("/")
    page.wait_for_url("**/login")


def _enrol_tablet(page: Page, seed: Seed) -> None:
    """A card login remembers the building on this tablet; logging out keeps that."""
    login_with_card(page, seed.residents["jeanne"])
    log_out(page)


@pytest.mark.browser
def test_after_a_card_login_the_tablet_offers_photo_and_pin_login(page: Page, seed: Seed) -> None:
    jeanne = seed.residents["jeanne"]
    _enrol_tablet(page, seed)

    page.goto("/login")
    page.get_by_role("heading", name=TEXT["fr"]["tap_photo"]).wait_for()
    check_accessibility(page)
    check_targets(page)
    # Only this building's residents are offered.
    assert page.get_by_role("link", name=seed.residents["odette"].full_name).count() == 0

    page.get_by_role("link", name=jeanne.full_name).first.click()
    page.wait_for_url(f"**/login/pin/{jeanne.id}")
    check_accessibility(page)
    check_targets(page)
    page.get_by_label(TEXT["fr"]["pin_label"]).fill(PIN)
    page.locator("main").get_by_role("button", name=TEXT["fr"]["come_in"]).click()

    page.wait_for_url("**/")
    page.get_by_role("heading", level=1, name=f"Bonjour {jeanne.first_name} !").wait_for()


@pytest.mark.browser
def test_a_wrong_pin_shows_an_error_and_stays_on_the_pin_page(page: Page, seed: Seed) -> None:
    paul = seed.residents["paul"]
    _enrol_tablet(page, seed)

    page.goto("/login")
    page.locator("details.more-people > summary").click()
    page.get_by_role("link", name=paul.full_name).click()
    page.wait_for_url(f"**/login/pin/{paul.id}")
    page.get_by_label(TEXT["fr"]["pin_label"]).fill("0000")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.locator("main").get_by_role("button", name=TEXT["fr"]["come_in"]).click()

    assert answer.value.status == 422
    error = page.get_by_role("alert")
    error.wait_for()
    assert TEXT["fr"]["wrong_pin"] in error.inner_text()
    assert page.url.endswith(f"/login/pin/{paul.id}")
    check_accessibility(page)
    check_targets(page)
