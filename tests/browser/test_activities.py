"""The coordinator plans an activity; a resident finds it and signs up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import (
    LOCALES,
    NewPage,
    Seed,
    arabic,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    login_staff,
    login_with_card,
)

PLAN = {"fr": "Mettre dans le calendrier", "en": "Put it in the calendar"}
COMING = {"fr": "Je viens", "en": "Count me in"}
PLAN["ar"], COMING["ar"] = arabic(PLAN["en"]), arabic(COMING["en"])


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_plan_find_and_join_an_activity(new_page: NewPage, seed: Seed, lang: str) -> None:
    title = f"Atelier tablette ({lang})"
    staff = new_page(locale=LOCALES[lang])
    login_staff(staff, seed, lang)
    staff.goto("/activities/new")
    check_accessibility(staff)
    check_targets(staff)
    staff.locator("#title").fill(title)
    staff.locator("#place").fill("Salle commune")
    staff.locator("#day").fill((date.today() + timedelta(days=2)).isoformat())
    staff.locator("#start").fill("15:00")
    staff.locator("#end").fill("16:30")
    staff.locator("#capacity").fill("6")
    staff.get_by_role("button", name=PLAN[lang]).click()
    staff.wait_for_url("**/activities/occurrences/*")
    check_accessibility(staff)
    staff.goto(staff.url + "/edit")
    check_accessibility(staff)
    check_targets(staff)

    tablet = new_page(locale=LOCALES[lang])
    login_with_card(tablet, seed.residents["gaston"], lang)
    tablet.goto("/activities")
    assert title in tablet.locator("main").inner_text()
    check_accessibility(tablet)
    check_targets(tablet)
    check_no_horizontal_scroll(tablet)
    tablet.goto("/activities?range=month")
    check_accessibility(tablet)
    check_targets(tablet)
    check_no_horizontal_scroll(tablet)
    tablet.goto("/activities")
    tablet.get_by_role("link", name=title).click()
    tablet.get_by_role("button", name=COMING[lang]).click()
    tablet.wait_for_load_state()
    assert "5" in tablet.locator("[data-places-for]").first.inner_text()
    check_accessibility(tablet)
    check_targets(tablet)
    tablet.goto("/activities/my-calendar")
    tablet.locator("main form button[type=submit]").last.click()
    tablet.wait_for_load_state()
    assert "/activities/feed/" in tablet.locator("main").inner_text()
    check_accessibility(tablet)
    check_targets(tablet)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_proposal_pages_are_accessible(new_page: NewPage, seed: Seed, lang: str) -> None:
    tablet = new_page(locale=LOCALES[lang])
    login_with_card(tablet, seed.residents["claire"], lang)
    tablet.goto("/activities/propose")
    check_accessibility(tablet)
    check_targets(tablet)
    tablet.locator("#title").fill(f"Pétanque ({lang})")
    tablet.locator("#day").fill((date.today() + timedelta(days=4)).isoformat())
    tablet.locator("#start").fill("15:00")
    tablet.locator("#end").fill("17:00")
    tablet.locator("main form button[type=submit]").click()
    tablet.wait_for_url("**/activities")
    staff = new_page(locale=LOCALES[lang])
    login_staff(staff, seed, lang)
    staff.goto("/activities/proposals")
    assert f"Pétanque ({lang})" in staff.locator("main").inner_text()
    check_accessibility(staff)
    check_targets(staff)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_room_pages_are_accessible(new_page: NewPage, seed: Seed, lang: str) -> None:
    staff = new_page(locale=LOCALES[lang])
    login_staff(staff, seed, lang)
    staff.goto("/activities/rooms")
    check_accessibility(staff)
    check_targets(staff)
    staff.locator("#name").fill(f"Salle commune ({lang})")
    staff.locator("#opens_at").fill("09:00")
    staff.locator("#closes_at").fill("21:00")
    staff.locator("main form button[type=submit]").click()
    staff.get_by_role("link", name=f"Salle commune ({lang})").click()
    staff.locator("#day").fill((date.today() + timedelta(days=5)).isoformat())
    staff.locator("#start").fill("10:00")
    staff.locator("#end").fill("11:00")
    staff.locator("main form button[type=submit]").last.click()
    staff.wait_for_load_state()
    check_accessibility(staff)
    check_targets(staff)
    check_no_horizontal_scroll(staff)
