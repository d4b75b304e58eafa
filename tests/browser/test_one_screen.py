"""The tablet as an appliance: the resident's home is one screen at six sizes (768 x 1024
portrait and 1024 x 768 landscape, text at 100, 150 and 200 %), and the seven core tasks each
take at most three taps from it and end on a plain confirmation in words."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    check_targets,
    jpeg_bytes,
    wait_connected,
)
from tests.browser.test_home import Taps, login_card_only, tile

VIEWPORTS = {
    "portrait": {"width": 768, "height": 1024},
    "landscape": {"width": 1024, "height": 768},
}
TEXT_SIZES = (100, 150, 200)


@dataclass(frozen=True)
class ScreenSeed:
    by_size: dict[int, Resident] = field(default_factory=dict)  # French, check-in on
    arabic: Resident | None = None  # Arabic, text at 200 %, check-in on
    tasker: Resident | None = None  # English: the seven tasks
    neighbour: str = ""
    activity: str = ""
    announcement: str = ""


def make_screen_seed(seed: Seed) -> ScreenSeed:
    """A building of its own: residents enrolled in the daily check-in at each text size, a
    neighbour to write to, an activity next week and a pinned announcement."""
    from activities import service as activities
    from messaging import service as messaging
    from messaging.announcements import service as announcements
    from portal.auth.service import do_issue_card
    from portal.db import utcnow
    from portal.extensions import db
    from portal.people.models import Person, Role
    from portal.wellbeing import service as wellbeing
    from tests.browser.conftest import seeded_app
    from tests.factories import make_building, make_resident, make_staff

    tag = uuid.uuid4().hex[:6]
    with seeded_app(seed) as app, app.test_request_context():
        building = make_building(name=f"Résidence des Marronniers {tag}")
        coordinator = make_staff(Role.COORDINATOR, [building])

        def resident(first: str, last: str, **settings: object) -> tuple[Person, Resident]:
            person = make_resident(building, first_name=first, last_name=last, pin=PIN)
            for name, value in settings.items():
                setattr(person, name, value)
            db.session.flush()
            wellbeing.do_opt_in(person)
            token = do_issue_card(person, issued_by=None)
            return person, Resident(person.id, first, last, token)

        by_size = {
            size: resident(f"Solange{size}", "Berthier", text_size=size, locale="fr")[1]
            for size in TEXT_SIZES
        }
        arabic = resident("Zohra", "Belkacem", text_size=200, locale="ar")[1]
        tasker_person, tasker = resident("Thérèse", "Aubert", locale="en")
        neighbour, _ = resident("Maurice", "Lenoir")
        messaging.get_or_create_direct(tasker_person, neighbour.id)
        start = utcnow() + timedelta(days=6)
        activity = f"Scrabble {tag}"
        activities.do_create_activity(
            coordinator,
            building.id,
            title=activity,
            category="games",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        title = f"Water cut on Tuesday {tag}"
        announcements.do_publish(
            coordinator,
            building_id=building.id,
            title=title,
            body="The water is cut from 9 to 11 on Tuesday.",
            pinned=True,
        )
        db.session.commit()
    return ScreenSeed(by_size, arabic, tasker, "Maurice", activity, title)


@pytest.fixture(scope="module")
def screen_seed(seed: Seed) -> ScreenSeed:
    return make_screen_seed(seed)


def check_in_first_screen(page: Page, targets: dict[str, Locator]) -> None:
    """Each target is wholly inside the viewport, as the page opens (no scrolling)."""
    size = page.viewport_size
    assert size is not None
    assert page.evaluate("window.scrollY") == 0
    outside = {}
    for name, target in targets.items():
        box = target.bounding_box()
        assert box is not None, f"{name} is not shown"
        inside = (
            box["x"] >= -0.5
            and box["y"] >= -0.5
            and box["x"] + box["width"] <= size["width"] + 0.5
            and box["y"] + box["height"] <= size["height"] + 0.5
        )
        if not inside:
            outside[name] = {k: round(v) for k, v in box.items()}
    assert not outside, f"outside the first screen of {size} on {page.url}: {outside}"


def home_targets(page: Page) -> dict[str, Locator]:
    """What the first screen of the home must hold: tiles, the help buttons, the check-in."""
    targets = {
        f"tile {key}": page.locator(f'a.tile[data-tile="{key}"]')
        for key in page.locator("ul.tiles-home a.tile").evaluate_all(
            "tiles => tiles.map(t => t.dataset.tile)"
        )
    }
    assert len(targets) == 6, targets  # five tiles and the settings
    targets["top bar Help"] = page.locator(".topbar [data-help]")
    targets["I need help"] = page.locator("[data-need-help]")
    targets["I'm fine today"] = page.locator('[data-panel="checkin"] form button[type=submit]')
    return targets


@pytest.mark.browser
@pytest.mark.parametrize("size", TEXT_SIZES)
def test_home_is_one_screen_in_portrait_and_landscape(
    new_page: NewPage, screen_seed: ScreenSeed, size: int
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.by_size[size])
    assert f"text-{size}" in (page.locator("html").get_attribute("class") or "").split()
    for orientation, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        page.goto("/")
        check_in_first_screen(page, home_targets(page))
        # The top bar is not a menu: the name and one Help.
        expect(page.locator(".topbar")).to_contain_text(screen_seed.by_size[size].first_name)
        expect(page.locator(".topbar").get_by_role("link")).to_have_count(2)
        assert page.locator(".topbar form").count() == 0, orientation


@pytest.mark.browser
def test_arabic_home_is_one_screen_at_200_percent(
    new_page: NewPage, screen_seed: ScreenSeed
) -> None:
    assert screen_seed.arabic is not None
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.arabic)
    assert page.locator("html").get_attribute("dir") == "rtl"
    for viewport in VIEWPORTS.values():
        page.set_viewport_size(viewport)
        page.goto("/")
        check_in_first_screen(page, home_targets(page))
    check_accessibility(page)
    check_targets(page)


@pytest.mark.browser
@pytest.mark.parametrize("size", TEXT_SIZES)
def test_inner_pages_show_their_main_action_in_the_first_screen(
    new_page: NewPage, screen_seed: ScreenSeed, size: int
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.by_size[size])
    main_actions = {
        "/help-me": "#call-status form button[type=submit]",
        "/my-home": ".quick-report button[type=submit]",
        "/settings": "form[action$='/logout'] button",
        "/messages": "main a.button-primary[href$='/messages/new']",
        "/neighbours": "main a.button-primary[href$='/neighbours/ask']",
    }
    for viewport in VIEWPORTS.values():
        page.set_viewport_size(viewport)
        for path, selector in main_actions.items():
            page.goto(path)
            check_in_first_screen(page, {path: page.locator(selector)})


@pytest.mark.browser
def test_the_seven_core_tasks_take_three_taps_and_end_in_words(
    new_page: NewPage, screen_seed: ScreenSeed
) -> None:
    assert screen_seed.tasker is not None
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.tasker)  # her own setting: English
    taps = Taps(page)
    counted: dict[str, int] = {}

    # 1. Send a message: Messages → the neighbour → Send; the message says it left.
    taps.start()
    taps.tap(tile(page, "messages"))
    taps.tap(page.locator(".conversation-item", has_text=screen_seed.neighbour))
    page.locator("#body").fill("Bonjour Maurice, un café ?")
    wait_connected(page)
    taps.tap(page.get_by_role("button", name="Send"))
    mine = page.locator("#messages .message-mine", has_text="un café ?")
    expect(mine).to_contain_text(re.compile(r"\b(Sent|Read)\b"))
    counted["send a message"] = taps.count

    # 2. Sign up for an activity: Activities → the activity → Count me in.
    taps.start()
    taps.tap(tile(page, "activities"))
    taps.tap(page.get_by_role("link", name=screen_seed.activity))
    taps.tap(page.get_by_role("button", name="Count me in"))
    expect(page.locator(".flash-success")).to_have_text("You are signed up. See you there!")
    counted["sign up for an activity"] = taps.count

    # 3. Ask for groceries: Help between neighbours → Ask for groceries → Ask my neighbours.
    taps.start()
    taps.tap(tile(page, "help"))
    taps.tap(page.get_by_role("link", name="Ask for groceries"))
    taps.tap(page.get_by_role("button", name="Ask my neighbours"))
    expect(page.locator(".flash-success")).to_contain_text("Your request is on the board.")
    counted["ask for groceries"] = taps.count

    # 4. Report a repair with a photo: Concierge → Take a photo (the camera) → Send.
    taps.start()
    taps.tap(tile(page, "concierge"))
    page.locator("#quick-description").fill("The kitchen tap drips.")
    photo = page.locator(".quick-report label.button-photo")
    assert page.locator(".quick-report input[type=file]").get_attribute("capture") == "environment"
    with page.expect_file_chooser() as chooser:
        taps.tap(photo)
    chooser.value.set_files(
        files=[{"name": "tap.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    expect(page.locator(".quick-report [data-photo-chosen]")).to_have_text("1 photo is ready.")
    taps.tap(page.locator(".quick-report").get_by_role("button", name="Send"))
    page.wait_for_url("**/tickets/*")
    expect(page.locator(".flash-success")).to_contain_text("the desk has your report")
    expect(page.locator("main img").first).to_be_visible()  # the photo went with it
    counted["report a repair with a photo"] = taps.count

    # 5. "I'm fine today": one tap on the home.
    taps.start()
    taps.tap(page.get_by_role("button", name=re.compile(r"I.m fine today")))
    expect(page.locator('[data-panel="checkin"]')).to_contain_text("Thank you, have a good day")
    counted["I'm fine today"] = taps.count

    # 6. Read the pinned announcement: Announcements → the pinned one → I have read it.
    taps.start()
    taps.tap(tile(page, "announcements"))
    taps.tap(page.locator(".announcement-pinned", has_text=screen_seed.announcement))
    taps.tap(page.get_by_role("button", name="I have read it"))
    expect(page.locator(".flash-success")).to_contain_text("It is noted that you have read it")
    counted["read the pinned announcement"] = taps.count

    # 7. "I need help": the big button → Send my call for help.
    taps.start()
    taps.tap(page.locator("[data-need-help]"))
    taps.tap(page.get_by_role("button", name="Send my call for help"))
    expect(page.locator(".call-state")).to_contain_text("Your call is sent.")
    counted["I need help"] = taps.count

    assert len(counted) == 7
    assert all(count <= 3 for count in counted.values()), counted
