"""Pages seen before logging in: accessible, with large targets, in French and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_targets,
)

PUBLIC_PAGES = {
    "login": ("/login", 200),
    "staff_login": ("/login/staff", 200),
    "card": ("/login/card/{token}", 200),
    "invalid_card": ("/login/card/this-card-does-not-exist", 404),
    "help": ("/help", 200),
}


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_is_accessible_with_large_targets(
    new_page: NewPage, seed: Seed, name: str, lang: str
) -> None:
    path, status = PUBLIC_PAGES[name]
    page = new_page(locale=LOCALES[lang])
    response = page.goto(path.format(token=seed.residents["jeanne"].card_token))
    assert response is not None and response.status == status
    assert page.locator("html").get_attribute("lang") == lang
    check_accessibility(page)
    check_targets(page)


@pytest.mark.browser
def test_login_page_speaks_french_by_default_and_switches_with_the_language_button(
    page: Page,
) -> None:
    page.goto("/login")
    page.get_by_role("heading", level=1, name=TEXT["fr"]["welcome"]).wait_for()

    page.get_by_role("button", name=TEXT["fr"]["language_button"]).click()

    page.get_by_role("heading", level=1, name=TEXT["en"]["welcome"]).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/login")
    check_accessibility(page)
    check_targets(page)
