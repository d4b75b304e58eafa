"""No sideways scrolling: tablet portrait and landscape, 320 px wide, and text at 200 %."""

from __future__ import annotations

import pytest

from tests.browser.conftest import (
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    log_out,
    login_with_card,
)

VIEWPORTS = {
    "portrait": {"width": 768, "height": 1024},
    "landscape": {"width": 1024, "height": 768},
    "narrow": {"width": 320, "height": 800},
}


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_login_and_home_fit_the_screen_width(new_page: NewPage, seed: Seed, viewport: str) -> None:
    page = new_page(viewport=VIEWPORTS[viewport])
    page.goto("/login")
    check_no_horizontal_scroll(page)

    login_with_card(page, seed.residents["jeanne"])
    check_no_horizontal_scroll(page)
    page.goto("/settings")
    check_no_horizontal_scroll(page)

    log_out(page)
    # This tablet now shows the photo grid, everyone from the building included.
    page.locator("details.more-people > summary").click()
    check_no_horizontal_scroll(page)
    check_targets(page)


@pytest.mark.browser
def test_pages_fit_the_screen_width_at_the_largest_text_size_in_high_contrast(
    new_page: NewPage, seed: Seed
) -> None:
    page = new_page()
    login_with_card(page, seed.residents["lucie"])
    page.goto("/settings")

    page.locator("input[name=text_size][value='200']").check()
    page.locator("input[name=high_contrast]").check()
    page.get_by_role("button", name=TEXT["fr"]["save_settings"]).click()

    page.wait_for_url("**/settings")
    classes = (page.locator("html").get_attribute("class") or "").split()
    assert "text-200" in classes and "contrast" in classes
    check_accessibility(page)
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 36  # twice the normal 18 px
    for viewport in ("portrait", "landscape"):
        page.set_viewport_size(VIEWPORTS[viewport])
        for path in ("/", "/settings", "/help"):
            page.goto(path)
            check_no_horizontal_scroll(page)
            check_targets(page)
