"""The tablet as an appliance: the resident's home is one screen at six sizes (768 x 1024
portrait and 1024 x 768 landscape, text at 100, 150 and 200 %), in the normal, simplified and
easy-to-read modes; every inner page shows its main action in the first screen at those sizes;
and the seven core tasks each take at most three taps from the home and end on a plain
confirmation in words."""

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
# The person's reading modes: the setting each turns on ("normal": none).
MODES = {"normal": "", "simplified": "simplified_mode", "easy_read": "easy_read"}
LONG_CONVERSATION = 14  # messages: more than the first screen holds at any size


@dataclass(frozen=True)
class ScreenSeed:
    by_size: dict[int, Resident] = field(default_factory=dict)  # French, check-in on
    # (mode, text size) -> a French resident in that mode, check-in on ("normal": by_size's)
    by_mode: dict[tuple[str, int], Resident] = field(default_factory=dict)
    arabic: Resident | None = None  # Arabic, text at 200 %, check-in on
    tasker: Resident | None = None  # English: the seven tasks
    unenrolled: Resident | None = None  # French, text at 200 %, check-in off
    conversations: dict[int, int] = field(default_factory=dict)  # resident id -> with Maurice
    long_conversation: int = 0  # by_size[200]'s, with another neighbour, many messages
    occurrence: int = 0  # the activity's date next week
    neighbour: str = ""
    activity: str = ""
    announcement: str = ""


def make_screen_seed(seed: Seed) -> ScreenSeed:
    """A building of its own: residents enrolled in the daily check-in at each text size and
    in each reading mode (each with a conversation with a neighbour), one with a long
    conversation, one not enrolled, an activity next week and a pinned announcement."""
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
    # The long conversation is written in one go: above the per-person sending rate.
    with (
        seeded_app(seed, MESSAGING_SEND_LIMIT="1000/second") as app,
        app.test_request_context(),
    ):
        building = make_building(name=f"Résidence des Marronniers {tag}")
        coordinator = make_staff(Role.COORDINATOR, [building])

        def resident(
            first: str, last: str, enrolled: bool = True, **settings: object
        ) -> tuple[Person, Resident]:
            person = make_resident(building, first_name=first, last_name=last, pin=PIN)
            for name, value in settings.items():
                setattr(person, name, value)
            db.session.flush()
            if enrolled:
                wellbeing.do_opt_in(person)
            token = do_issue_card(person, issued_by=None)
            return person, Resident(person.id, first, last, token)

        neighbour, _ = resident("Maurice", "Lenoir")
        people: dict[tuple[str, int], tuple[Person, Resident]] = {}
        for mode, setting in MODES.items():
            for size in TEXT_SIZES:
                settings: dict[str, object] = {"text_size": size, "locale": "fr"}
                if setting:
                    settings[setting] = True
                last = "Berthier" if mode == "normal" else mode.replace("_", "").capitalize()
                people[mode, size] = resident(f"Solange{size}", last, **settings)
        conversations = {
            found.id: messaging.get_or_create_direct(person, neighbour.id).id
            for person, found in people.values()
        }
        arabic = resident("Zohra", "Belkacem", text_size=200, locale="ar")[1]
        tasker_person, tasker = resident("Thérèse", "Aubert", locale="en")
        unenrolled = resident("Odile", "Perret", enrolled=False, text_size=200, locale="fr")[1]
        messaging.get_or_create_direct(tasker_person, neighbour.id)
        # Solange (200 %) and Lucien have written to each other for a while.
        solange, lucien = people["normal", 200][0], resident("Lucien", "Morel")[0]
        long_conversation = messaging.get_or_create_direct(solange, lucien.id).id
        for n in range(LONG_CONVERSATION):
            messaging.do_send_message(
                (solange, lucien)[n % 2],
                long_conversation,
                client_id=str(uuid.uuid4()),
                body=f"Message {n + 1} : bonjour, comment allez-vous aujourd'hui ?",
            )
        start = utcnow() + timedelta(days=6)
        activity = f"Scrabble {tag}"
        planned = activities.do_create_activity(
            coordinator,
            building.id,
            title=activity,
            category="games",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=12,
            place="Salle commune du rez-de-chaussée",
            description="On joue au Scrabble ensemble, débutants bienvenus.",
        )
        occurrence = planned.occurrences[0].id
        title = f"Water cut on Tuesday {tag}"
        announcements.do_publish(
            coordinator,
            building_id=building.id,
            title=title,
            body="The water is cut from 9 to 11 on Tuesday.",
            pinned=True,
        )
        db.session.commit()
    return ScreenSeed(
        by_size={size: people["normal", size][1] for size in TEXT_SIZES},
        by_mode={key: found for key, (_, found) in people.items()},
        arabic=arabic,
        tasker=tasker,
        unenrolled=unenrolled,
        conversations=conversations,
        long_conversation=long_conversation,
        occurrence=occurrence,
        neighbour="Maurice",
        activity=activity,
        announcement=title,
    )


@pytest.fixture(scope="module")
def screen_seed(seed: Seed) -> ScreenSeed:
    return make_screen_seed(seed)


def check_in_first_screen(
    page: Page, targets: dict[str, Locator], *, scrolled: bool = False
) -> None:
    """Each target is wholly inside the viewport, as the page opens (no scrolling, unless
    the page itself scrolls on opening: a long conversation shows its newest message)."""
    size = page.viewport_size
    assert size is not None
    if not scrolled:
        assert page.evaluate("window.scrollY") == 0, page.url
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
@pytest.mark.parametrize("mode", ["simplified", "easy_read"])
def test_home_is_one_screen_in_simplified_and_easy_to_read_modes(
    new_page: NewPage, screen_seed: ScreenSeed, mode: str
) -> None:
    for size in TEXT_SIZES:
        page = new_page(locale=LOCALES["fr"])
        login_card_only(page, screen_seed.by_mode[mode, size])
        classes = page.evaluate("[document.documentElement.className, document.body.className]")
        assert f"text-{size}" in classes[0].split()
        assert ("simplified" if mode == "simplified" else "easy-read") in " ".join(classes)
        for viewport in VIEWPORTS.values():
            page.set_viewport_size(viewport)
            page.goto("/")
            check_in_first_screen(page, home_targets(page))
            if mode == "simplified":  # the check-in stays; the other panels step aside
                expect(page.locator(".home-panel")).to_have_count(1)
        page.close()


def main_actions(screen_seed: ScreenSeed, resident: Resident) -> dict[str, str]:
    """Each inner page a resident reaches from the home and its main action."""
    conversation = screen_seed.conversations[resident.id]
    return {
        "/help-me": "#call-status form button[type=submit]",
        "/my-home": ".quick-report button[type=submit]",
        "/settings": "form[action$='/logout'] button",
        "/messages": "main a.button-primary[href$='/messages/new']",
        f"/messages/{conversation}": "#composer button[type=submit]",
        "/neighbours": "main a.button-primary[href$='/neighbours/ask']",
        "/activities": "main .activity-card a.card-link",  # the first activity
        f"/activities/occurrences/{screen_seed.occurrence}": (
            "main form[action$='/signup'] button[type=submit]"
        ),
        "/tickets/new": "main form button[type=submit]",
        "/wellbeing": "main .checkin-panel form button[type=submit]",
    }


@pytest.mark.browser
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("size", TEXT_SIZES)
def test_inner_pages_show_their_main_action_in_the_first_screen(
    new_page: NewPage, screen_seed: ScreenSeed, mode: str, size: int
) -> None:
    resident = screen_seed.by_mode[mode, size]
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, resident)
    actions = main_actions(screen_seed, resident)
    for viewport in VIEWPORTS.values():
        page.set_viewport_size(viewport)
        for path, selector in actions.items():
            page.goto(path)
            check_in_first_screen(page, {path: page.locator(selector).first})


@pytest.mark.browser
def test_a_long_conversation_opens_on_its_newest_message_above_the_docked_send(
    new_page: NewPage, screen_seed: ScreenSeed
) -> None:
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.by_size[200])
    path = f"/messages/{screen_seed.long_conversation}"
    for viewport in VIEWPORTS.values():
        page.set_viewport_size(viewport)
        page.goto(path)
        page.wait_for_load_state("load")
        newest = page.locator("#messages > li").last
        expect(newest).to_contain_text(f"Message {LONG_CONVERSATION} :")
        send = page.locator("#composer button[type=submit]")
        check_in_first_screen(page, {"Send": send}, scrolled=True)
        assert page.evaluate("window.scrollY") > 0  # the page opened on its newest message
        # The newest message is on screen, above the composer (not under it).
        box, dock = newest.bounding_box(), page.locator(".composer").bounding_box()
        assert box is not None and dock is not None
        assert 0 <= box["y"] < dock["y"] - 48, (box, dock)
        # Scrolled back to the first message, Send stays docked on screen.
        page.locator("#messages > li").first.scroll_into_view_if_needed()
        check_in_first_screen(page, {"Send": send}, scrolled=True)


@pytest.mark.browser
def test_switching_on_the_check_in_is_in_the_first_screen(
    new_page: NewPage, screen_seed: ScreenSeed
) -> None:
    assert screen_seed.unenrolled is not None
    page = new_page(locale=LOCALES["fr"])
    login_card_only(page, screen_seed.unenrolled)
    for viewport in VIEWPORTS.values():
        page.set_viewport_size(viewport)
        page.goto("/wellbeing")
        switch_on = page.locator("main form button[type=submit]").first
        check_in_first_screen(page, {"Switch it on": switch_on})


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
