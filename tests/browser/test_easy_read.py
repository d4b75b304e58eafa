"""Easy-to-read and simplified modes in the browser: the easy wording on the resident pages in
French, English and Arabic, a pictogram beside every action, secondary actions stepping aside,
and axe with 48 px targets on each page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    check_targets,
    login_with_card,
)

# key -> (first name, last name, settings)
READERS = {
    "easy_fr": ("Odile", "Masson", {"easy_read": True, "locale": "fr"}),
    "easy_en": ("Eliane", "Brunet", {"easy_read": True, "locale": "en"}),
    "easy_ar": ("Samira", "Belkacem", {"easy_read": True, "locale": "ar"}),
    "simple": ("Raymond", "Giraud", {"simplified_mode": True, "locale": "en"}),
    "usual": ("Lucien", "Carré", {"locale": "en"}),
}
EASY_PAGES = (
    "/",
    "/messages",
    "/neighbours",
    "/activities",
    "/my-home",
    "/settings",
    "/help",
    "/help-me",
    "/notifications",
    "/announcements",
)

# Every visible action in the page's main part shows a pictogram: its own SVG, or the
# stylesheet's arrow drawn before it.
_ACTIONS_WITHOUT_PICTOGRAM = """
() => [...document.querySelectorAll('main a.button, main button.button')]
  .filter((el) => el.checkVisibility({ visibilityProperty: true }))
  .filter((el) => {
    if (el.querySelector('svg')) return false;
    const before = getComputedStyle(el, '::before');
    const mask = before.maskImage || before.webkitMaskImage || 'none';
    return !(mask !== 'none' && parseFloat(before.width) > 0);
  })
  .map((el) => el.outerHTML.slice(0, 160))
"""


@dataclass(frozen=True)
class ReadersSeed:
    residents: dict[str, Resident]


@pytest.fixture(scope="module")
def readers(seed: Seed) -> ReadersSeed:
    """Residents of a building of their own, each with their reading setting."""
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app
    from tests.factories import make_building, make_resident

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    residents: dict[str, Resident] = {}
    with app.app_context(), app.test_request_context():
        building = make_building(name=f"Résidence des Lilas {uuid.uuid4().hex[:6]}")
        for key, (first, last, settings) in READERS.items():
            person = make_resident(building, first_name=first, last_name=last)
            for name, value in settings.items():
                setattr(person, name, value)
            db.session.commit()
            token = do_issue_card(person, issued_by=None)
            residents[key] = Resident(person.id, first, last, token)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ReadersSeed(residents)


def login_on_a_french_tablet(page: Page, resident: Resident) -> None:
    """The card's page speaks the tablet's language; the pages then follow the person's."""
    page.goto(resident.card_path)
    page.get_by_role("button", name=TEXT["fr"]["come_in"]).click()
    page.wait_for_url("**/")
    page.locator("h1").wait_for()


def body_classes(page: Page) -> list[str]:
    return (page.locator("body").get_attribute("class") or "").split()


@pytest.mark.browser
def test_easy_to_read_pages_in_french_pass_axe_with_a_pictogram_beside_every_action(
    new_page: NewPage, readers: ReadersSeed
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_with_card(page, readers.residents["easy_fr"], "fr")
    expect(page.locator("main")).to_contain_text("Les nouvelles de l'immeuble")  # a tile
    expect(page.locator("main")).not_to_contain_text("Annonces")
    assert "easy-read" in body_classes(page)
    for path in EASY_PAGES:
        page.goto(path)
        assert "easy-read" in body_classes(page), path
        check_accessibility(page)
        check_targets(page)
        assert page.evaluate(_ACTIONS_WITHOUT_PICTOGRAM) == [], path
    page.goto("/messages")  # one main action: the second ways in step aside
    expect(page.get_by_role("link", name="Écrire à un voisin")).to_be_visible()
    expect(page.get_by_role("link", name="Écrire à plusieurs voisins")).to_be_hidden()
    page.goto("/help")
    expect(page.locator("main")).to_contain_text("En cas de danger")
    expect(page.locator("main")).not_to_contain_text("SAMU")


@pytest.mark.browser
@pytest.mark.parametrize(
    ("key", "lang", "easy"),
    [("easy_en", "en", "News of the building"), ("easy_ar", "ar", "أخبار المبنى")],
)
def test_easy_to_read_pages_in_english_and_arabic(
    new_page: NewPage, readers: ReadersSeed, key: str, lang: str, easy: str
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_on_a_french_tablet(page, readers.residents[key])
    expect(page.locator("main")).to_contain_text(easy)
    for path in ("/", "/messages", "/activities", "/help"):
        page.goto(path)
        check_accessibility(page)
        assert page.evaluate(_ACTIONS_WITHOUT_PICTOGRAM) == [], path


@pytest.mark.browser
def test_simplified_mode_keeps_the_main_action_of_inner_pages(
    new_page: NewPage, readers: ReadersSeed
) -> None:
    usual = new_page(locale=LOCALES["en"])
    login_with_card(usual, readers.residents["usual"], "en")
    usual.goto("/messages")
    expect(usual.get_by_role("link", name="New group")).to_be_visible()
    usual.goto("/activities")
    expect(usual.get_by_role("link", name="Common rooms")).to_be_visible()

    page = new_page(locale=LOCALES["en"])
    login_with_card(page, readers.residents["simple"], "en")
    page.goto("/messages")
    assert "simplified" in body_classes(page)
    expect(page.get_by_role("link", name="Write to a neighbour")).to_be_visible()
    expect(page.get_by_role("link", name="New group")).to_be_hidden()
    expect(page.get_by_role("link", name="Search")).to_be_hidden()
    check_accessibility(page)
    page.goto("/activities")
    expect(page.get_by_role("link", name="Common rooms")).to_be_hidden()
    check_accessibility(page)
    page.goto("/my-home")
    expect(page.locator("#visits-title")).to_be_hidden()
    expect(page.locator(".quick-report button[type=submit]")).to_be_visible()
    check_accessibility(page)
    check_targets(page)
