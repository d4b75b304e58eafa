"""Arabic pages read from right to left: <html dir="rtl">, the header starts on the right,
and nothing scrolls sideways on a 768 x 1024 tablet, even with text at 200 %."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import TABLET_PORTRAIT, NewPage, Seed, check_no_horizontal_scroll
from tests.browser.test_home import HomeSeed, login_card_only, make_home_seed

ARABIC_PAGES = (
    "/",
    "/settings",
    "/profile",
    "/directory",
    "/my-home",
    "/help",
    "/messages",
    "/activities",
    "/neighbours",
    "/notifications",
)


@pytest.fixture(scope="module")
def rtl_seed(seed: Seed) -> HomeSeed:
    return make_home_seed(seed)


def check_right_to_left(page: Page) -> None:
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl", page.url
    assert html.get_attribute("lang") == "ar", page.url
    brand = page.locator(".topbar .brand-link").bounding_box()
    actions = page.locator(".topbar-actions").bounding_box()
    width = page.viewport_size["width"] if page.viewport_size else TABLET_PORTRAIT["width"]
    assert brand and actions
    # The header's first item sits against the right edge, the actions come after it (leftwards).
    assert brand["x"] + brand["width"] >= width - 48, (page.url, brand)
    if actions["y"] < brand["y"] + brand["height"]:  # same line: the actions are to its left
        assert actions["x"] + actions["width"] <= brand["x"] + 1, (page.url, actions, brand)
    else:  # wrapped: the actions' first button starts on the right too
        first = page.locator(".topbar-actions > :visible").first.bounding_box()
        assert first and first["x"] + first["width"] >= width - 48, (page.url, first)
    icon = page.locator(".topbar .brand-icon").bounding_box()
    assert icon and icon["x"] > brand["x"] + brand["width"] / 2, (page.url, icon)


@pytest.mark.browser
def test_arabic_pages_are_right_to_left_without_sideways_scrolling_at_200_percent(
    new_page: NewPage, rtl_seed: HomeSeed
) -> None:
    page = new_page(viewport=TABLET_PORTRAIT)
    login_card_only(page, rtl_seed.residents["amina"])  # Arabic, text at 200 %
    assert "text-200" in (page.locator("html").get_attribute("class") or "").split()
    for path in ARABIC_PAGES:
        response = page.goto(path)
        assert response is not None and response.ok, path
        check_right_to_left(page)
        check_no_horizontal_scroll(page)


@pytest.mark.browser
def test_arabic_at_normal_size_and_back_to_french(new_page: NewPage, rtl_seed: HomeSeed) -> None:
    page = new_page(viewport=TABLET_PORTRAIT)
    login_card_only(page, rtl_seed.residents["youssef"])
    for path in ("/", "/settings", "/directory"):
        page.goto(path)
        check_right_to_left(page)
        check_no_horizontal_scroll(page)
    # The back arrow turns with the reading direction.
    page.goto("/settings")
    arrow = page.locator(".button-back .flip-rtl")
    assert "matrix(-1" in arrow.evaluate("el => getComputedStyle(el).transform")
    page.locator("form[action$='/language']:has(input[value='fr']) button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("html").get_attribute("lang") == "fr"
