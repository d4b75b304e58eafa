"""Every resident page, in each reading mode a resident can choose (usual, simplified,
easy-to-read, high contrast) and in each language (fr, en, ar): zero axe violations and no
sideways scrolling on the tablet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
)

MODES: dict[str, dict[str, bool]] = {
    "usual": {},
    "simplified": {"simplified_mode": True},
    "easy_read": {"easy_read": True},
    "high_contrast": {"high_contrast": True},
}
LANGS = ("fr", "en", "ar")

# The pages a resident reaches (every parameterless page that answers a resident, and their
# family circle); `{me}` is the resident's own id.
PAGES = (
    "/",
    "/messages",
    "/messages/new",
    "/messages/groups/new",
    "/messages/search",
    "/neighbours",
    "/neighbours/ask",
    "/neighbours/offer",
    "/directory",
    "/activities",
    "/activities/my-calendar",
    "/activities/propose",
    "/activities/rooms",
    "/announcements",
    "/my-home",
    "/my-home/visits/new",
    "/tickets",
    "/tickets/new",
    "/help",
    "/help-me",
    "/wellbeing",
    "/wellbeing/contacts/new",
    "/notifications",
    "/profile",
    "/settings",
    "/settings/pin",
    "/calls",
    "/voice",
    "/voice/ideas",
    "/voice/ideas/new",
    "/voice/decisions",
    "/my-data/erasure-request",
    "/family/residents/{me}",
    "/family/residents/{me}/invite",
)

_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


@dataclass(frozen=True)
class ModesSeed:
    residents: dict[tuple[str, str], Resident]


@pytest.fixture(scope="module")
def mode_residents(seed: Seed) -> ModesSeed:
    """One resident per (mode, language), in a building of their own."""
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
    residents: dict[tuple[str, str], Resident] = {}
    with app.app_context(), app.test_request_context():
        building = make_building(name=f"Résidence des Saules {uuid.uuid4().hex[:6]}")
        for mode, settings in MODES.items():
            for lang in LANGS:
                person = make_resident(building, first_name="Yvonne", last_name=f"{mode}-{lang}")
                person.locale = lang
                for name, value in settings.items():
                    setattr(person, name, value)
                db.session.commit()
                token = do_issue_card(person, issued_by=None)
                residents[(mode, lang)] = Resident(person.id, "Yvonne", person.last_name, token)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ModesSeed(residents)


def come_in(page: Page, resident: Resident, lang: str) -> None:
    """Open the card link on a tablet speaking the resident's language and come in."""
    page.goto(resident.card_path)
    page.get_by_role("button", name=TEXT[lang]["come_in"]).click()
    page.wait_for_url("**/")
    page.locator("h1").wait_for()


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("mode", list(MODES))
def test_every_resident_page_passes_axe_in_each_mode_and_language(
    new_page: NewPage, mode_residents: ModesSeed, mode: str, lang: str
) -> None:
    resident = mode_residents.residents[(mode, lang)]
    page = new_page(locale=LOCALES[lang])
    come_in(page, resident, lang)
    for template in PAGES:
        path = template.format(me=resident.id)
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert page.locator("html").get_attribute("lang") == lang, path
        check_accessibility(page)
        assert not page.evaluate(_SIDEWAYS), f"{path} scrolls sideways"
