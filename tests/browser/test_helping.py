"""Issue scenario: an older resident asks for groceries; a neighbour who offered groceries is
told live, takes it, they talk, it is done and thanked. A pharmacy run's details stay hidden
from a third neighbour, over HTTP and over the socket. Every page passes axe."""

from __future__ import annotations

from datetime import date, timedelta

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
    login_with_card,
    wait_connected,
)

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


def ask_for(page: Page, kind: str, **fields: str) -> int:
    """Fill the ask form and return the new request's id."""
    page.goto("/neighbours/ask")
    page.locator(f"input[name=kind][value={kind}]").check()
    page.locator("#day").fill(TOMORROW)
    page.locator("#start").fill("14:00")
    page.locator("#end").fill("17:00")
    for selector, value in fields.items():
        target = page.locator(f"#{selector}")
        if value == "check":
            target.check()
        else:
            target.fill(value)
    page.locator("#ask-form button[type=submit]").click()
    page.wait_for_url("**/neighbours/requests/*")
    return int(page.url.rsplit("/", 1)[1])


def click_in_status(page: Page, name: str) -> None:
    page.locator("#help-status").get_by_role("button", name=name).click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_groceries_from_asking_to_thanks(new_page: NewPage, seed: Seed) -> None:
    helper = new_page(locale=LOCALES["fr"])
    login_with_card(helper, seed.residents["karim"], "fr")
    helper.goto("/neighbours/offer")
    helper.locator("input[name=kind][value=groceries]").check()
    helper.locator("#availability").fill("Le mardi et le jeudi")
    helper.get_by_role("button", name="Proposer cette aide").click()
    helper.wait_for_url("**/neighbours/offer")
    helper.goto("/neighbours")
    wait_connected(helper)

    asker = new_page(locale=LOCALES["fr"])
    login_with_card(asker, seed.residents["yvette"], "fr")
    request_id = ask_for(asker, "groceries", details="Pain, lait, six œufs")
    wait_connected(asker)

    # The neighbour who offers groceries hears it at once: a notification and the board.
    helper.locator("#toasts .toast", has_text="Yvette").wait_for(timeout=10_000)
    helper.locator("#help-lists", has_text="Yvette").wait_for(timeout=10_000)
    helper.goto(f"/neighbours/requests/{request_id}")
    assert "six œufs" in helper.locator("#help-status").inner_text()
    click_in_status(helper, "Je m'en occupe")
    asker.locator("#help-status", has_text="Un voisin s'en occupe").wait_for(timeout=10_000)

    # They talk in the private conversation the taking opened.
    helper.locator("#help-status").get_by_role("link", name="Écrire à Yvette").click()
    helper.wait_for_url("**/messages/*")
    helper.locator("#body").fill("J'y vais demain vers 15 h.")
    helper.locator("#composer button[type=submit]").click()
    asker.locator("#help-status").get_by_role("link", name="Écrire à Karim").click()
    asker.wait_for_url("**/messages/*")
    asker.get_by_text("J'y vais demain vers 15 h.").wait_for(timeout=10_000)

    # Done, then thanked; each step reaches the other person live.
    asker.goto(f"/neighbours/requests/{request_id}")
    wait_connected(asker)
    helper.goto(f"/neighbours/requests/{request_id}")
    wait_connected(helper)
    helper.locator("input[name=minutes][value='60']").check()
    click_in_status(helper, "C'est fait")
    asker.locator("#help-status", has_text="Dire merci").wait_for(timeout=10_000)
    check_accessibility(asker)
    asker.locator("#note").fill("Merci beaucoup Karim !")
    click_in_status(asker, "Envoyer mes remerciements")
    helper.locator("#toasts .toast", has_text="Merci beaucoup Karim").wait_for(timeout=10_000)
    helper.locator("#help-status", has_text="Fait et remercié").wait_for(timeout=10_000)


@pytest.mark.browser
def test_pharmacy_details_refused_to_a_third_neighbour(new_page: NewPage, seed: Seed) -> None:
    asker = new_page(locale=LOCALES["fr"])
    login_with_card(asker, seed.residents["yvette"], "fr")
    request_id = ask_for(asker, "pharmacy", pharmacy="Pharmacie du Beffroi", consent="check")
    assert "Pharmacie du Beffroi" in asker.locator("#help-status").inner_text()

    third = new_page(locale=LOCALES["fr"])
    login_with_card(third, seed.residents["nadia"], "fr")
    third.goto("/neighbours")
    assert "Pharmacie du Beffroi" not in third.content()
    third.goto(f"/neighbours/requests/{request_id}")
    assert "Pharmacie du Beffroi" not in third.content()
    status = third.request.get(f"/neighbours/requests/{request_id}/status")
    assert status.ok and "Pharmacie du Beffroi" not in status.text()
    wait_connected(third)
    answer = third.evaluate(
        """(id) => new Promise((resolve) => window.bonVoisin.socket.emit(
            "get_help_details", {request_id: id}, resolve))""",
        request_id,
    )
    assert answer["ok"] is False and answer["error"] == "forbidden"
    check_accessibility(third)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_every_help_page_passes_axe(new_page: NewPage, seed: Seed, lang: str) -> None:
    page = new_page(locale=LOCALES[lang])
    login_with_card(page, seed.residents["nadia"], lang)
    for path in (
        "/neighbours",
        "/neighbours/ask",
        "/neighbours/offer",
        f"/neighbours/people/{seed.residents['karim'].id}",
    ):
        page.goto(path)
        check_accessibility(page)
        check_targets(page)
        check_no_horizontal_scroll(page)
    page.goto("/neighbours/ask")
    page.locator("input[name=kind][value=pharmacy]").check()
    page.locator("#ask-form button[type=submit]").click()
    page.locator(".flash-error, .field-errors").first.wait_for()
    check_accessibility(page)
    request_id = ask_for(page, "company", details="Une promenade au parc")
    check_accessibility(page)
    check_targets(page)

    staff = new_page(locale=LOCALES[lang])
    login_staff(staff, seed, lang)
    for path in (
        "/neighbours",
        "/neighbours/figures",
        f"/neighbours/requests/{request_id}",
        "/neighbours/ask",
    ):
        staff.goto(path)
        check_accessibility(staff)
        check_targets(staff)
        check_no_horizontal_scroll(staff)
