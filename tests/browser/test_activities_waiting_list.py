"""Issue scenario: a weekly activity with 2 places; the third resident waits, then is
promoted live when someone cancels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.conftest import (
    LOCALES,
    NewPage,
    Seed,
    check_accessibility,
    login_staff,
    login_with_card,
    wait_connected,
)

COMING = "Je viens"
CANCEL = "Annuler ma place"


@pytest.mark.browser
def test_third_resident_is_promoted_live(new_page: NewPage, seed: Seed) -> None:
    staff = new_page(locale=LOCALES["fr"])
    login_staff(staff, seed, "fr")
    staff.goto("/activities/new")
    day = date.today() + timedelta(days=3)
    staff.locator("#title").fill("Aide aux devoirs")
    staff.locator("#day").fill(day.isoformat())
    staff.locator("#start").fill("17:00")
    staff.locator("#end").fill("18:00")
    staff.locator("#capacity").fill("2")
    staff.locator("input[name=recurrence][value=weekly]").check()
    staff.locator("#repeat_until").fill((day + timedelta(weeks=4)).isoformat())
    staff.get_by_role("button", name="Mettre dans le calendrier").click()
    staff.wait_for_url("**/activities/occurrences/*")
    path = staff.url.split("127.0.0.1", 1)[1].split("/", 1)[1]

    tablets = []
    for key in ("robert", "germaine", "yvonne"):
        tablet = new_page(locale=LOCALES["fr"])
        login_with_card(tablet, seed.residents[key], "fr")
        tablet.goto("/" + path)
        tablet.get_by_role("button", name=COMING).click()
        tablet.wait_for_load_state()
        tablets.append(tablet)
    first, _second, third = tablets
    assert "liste d'attente" in third.locator("#my-status").inner_text()
    check_accessibility(third)
    wait_connected(third)

    first.get_by_role("link", name=CANCEL).click()  # a plain question first
    first.locator("[data-confirm-yes]").click()
    third.locator("#my-status", has_text="Une place s'est libérée").wait_for(timeout=10_000)
    # The notification also appears on screen, in the resident's language.
    third.locator("#toasts .toast", has_text="Aide aux devoirs").wait_for(timeout=10_000)
    check_accessibility(third)
