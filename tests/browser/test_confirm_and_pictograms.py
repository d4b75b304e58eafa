"""Pictograms that always show, and a plain question before a destructive tap, in the browser:
tiles and buttons carry inline SVG (no emoji font needed); leaving a group and cancelling a
place each ask first, "No" changes nothing; every page accessible with 48 px targets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    NewPage,
    Resident,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    login_with_card,
    seeded_app,
)


@dataclass(frozen=True)
class ConfirmSeed:
    group_id: int
    occurrence_id: int
    residents: dict[str, Resident]  # one per language, each in the group and signed up


@pytest.fixture(scope="module")
def confirm_seed(seed: Seed) -> ConfirmSeed:
    """A building of its own: three residents in one group, each signed up for one activity."""
    from activities import service as activities
    from messaging import service as messaging
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from tests.activities.test_service import make_activity
    from tests.factories import make_building, make_resident, make_staff

    with seeded_app(seed):
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Acacias")
        coordinator = make_staff(Role.COORDINATOR, [building], email="acacias-coord@example.org")
        occurrence = make_activity(coordinator, building, capacity=10).occurrences[0]
        made: dict[str, Resident] = {}
        people = []
        for lang, (first_name, last_name) in {
            "fr": ("Lucienne", "Garnier"),
            "en": ("Marcel", "Fabre"),
            "ar": ("Yamina", "Haddad"),
        }.items():
            person = make_resident(building, first_name=first_name, last_name=last_name, pin=PIN)
            db.session.commit()
            made[lang] = Resident(
                person.id, first_name, last_name, do_issue_card(person, issued_by=None)
            )
            activities.do_sign_up(person, occurrence.id, guests=0, show_name=True)
            people.append(person)
        group = messaging.do_create_group(people[0], "Club des Glycines", [p.id for p in people])
        db.session.commit()  # the server reads them from its own process
        return ConfirmSeed(group.id, occurrence.id, made)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_the_home_tiles_draw_svg_pictograms(
    new_page: NewPage, confirm_seed: ConfirmSeed, lang: str
) -> None:
    page = new_page(locale=LOCALES[lang])
    login_with_card(page, confirm_seed.residents[lang], lang)
    icons = page.locator(".tile .tile-icon svg.icon")
    assert icons.count() >= 3
    for index in range(icons.count()):
        box = icons.nth(index).bounding_box()
        assert box is not None and box["width"] >= 24 and box["height"] >= 24  # drawn, big
    # No character of the page needs an emoji font.
    text = page.locator("body").inner_text()
    assert not any(0x1F000 <= ord(c) <= 0x1FAFF or 0x2600 <= ord(c) <= 0x27BF for c in text)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_leaving_a_group_asks_first_and_no_changes_nothing(
    new_page: NewPage, confirm_seed: ConfirmSeed, lang: str
) -> None:
    page = new_page(locale=LOCALES[lang])
    login_with_card(page, confirm_seed.residents[lang], lang)
    conversation = f"/messages/{confirm_seed.group_id}"
    page.goto(conversation)
    page.locator(f'a[href="{conversation}/leave"]').click()
    page.wait_for_url(f"**{conversation}/leave")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Club des Glycines")
    yes, no = page.locator("[data-confirm-yes]"), page.locator("[data-confirm-no]")
    expect(yes).to_be_visible()
    expect(no).to_be_visible()
    check_page(page)
    check_no_horizontal_scroll(page)

    no.click()  # "No": back to the group, still in it
    page.wait_for_url(f"**{conversation}")
    expect(page.locator(f'a[href="{conversation}/leave"]')).to_be_visible()

    page.locator(f'a[href="{conversation}/leave"]').click()
    page.locator("[data-confirm-yes]").click()  # "Yes": out of the group
    page.wait_for_url("**/messages")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f'a[href="{conversation}"]')).to_have_count(0)


@pytest.mark.browser
def test_cancelling_a_place_asks_a_plain_question_first(
    new_page: NewPage, confirm_seed: ConfirmSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, confirm_seed.residents["en"], "en")
    occurrence = f"/activities/occurrences/{confirm_seed.occurrence_id}"
    page.goto(occurrence)
    page.get_by_role("link", name="Cancel my place").click()
    page.wait_for_url(f"**{occurrence}/cancel")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your place at Tricot?")
    expect(page.get_by_text("Your place goes to someone else.")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="No, keep my place").click()
    page.wait_for_url(f"**{occurrence}")
    expect(page.get_by_role("link", name="Cancel my place")).to_be_visible()  # still going
    page.get_by_role("link", name="Cancel my place").click()
    page.get_by_role("button", name="Yes, cancel my place").click()
    page.wait_for_url(f"**{occurrence}")
    expect(page.locator(".flash-success")).to_contain_text("Your place is cancelled.")
    expect(page.get_by_role("link", name="Cancel my place")).to_have_count(0)
