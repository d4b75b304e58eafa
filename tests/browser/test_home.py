"""The resident's home in the browser: five tiles with live badges, the Today panel, every
core task within three taps, simplified mode, read aloud, profile and neighbours directory;
200 % text without sideways scrolling, axe in French and English (and Arabic once translated)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TEXT,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    jpeg_bytes,
    login_with_card,
    wait_connected,
)

if TYPE_CHECKING:
    from portal.people.models import Person

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class HomeSeed:
    residents: dict[str, Resident] = field(default_factory=dict)
    conversation_id: int = 0
    resident_tile_keys: tuple[str, ...] = ()


# key -> (first name, last name, settings)
HOME_RESIDENTS = {
    "helene": ("Hélène", "Vidal", {}),  # badges and the Today panel
    "fatima": ("Fatima", "Haddad", {}),  # the taps test
    "ahmed": ("Ahmed", "Saidi", {"in_directory": True}),  # the neighbour in the directory
    "mireille": ("Mireille", "Colin", {"simplified_mode": True}),
    "bernard": ("Bernard", "Roche", {"text_size": 200, "in_directory": True}),
    "reader": ("Aline", "Brun", {"read_aloud": True}),
    "gisele": ("Gisèle", "Marchand", {}),  # enrolled in the daily check-in
    "amina": ("Amina", "Rahmani", {"locale": "ar", "text_size": 200}),
    "youssef": ("Youssef", "Kaci", {"locale": "ar"}),
}


def make_home_seed(seed: Seed) -> HomeSeed:
    """Residents, two activities today, a parcel and help requests, made through services."""
    from activities import service as activities
    from concierge.desk import parcels
    from concierge.exchange import service as helping
    from messaging import service as messaging
    from portal.auth.service import do_issue_card
    from portal.db import utcnow
    from portal.extensions import db
    from portal.factory import create_app
    from portal.home.tiles import resident_tiles_for
    from portal.people.models import Role
    from tests.factories import make_building, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = make_building(name=f"Résidence des Platanes {uuid.uuid4().hex[:6]}")
        staff = make_staff(Role.COORDINATOR, [building])
        concierge = make_staff(Role.CONCIERGE, [building])
        made, residents = {}, {}
        for key, (first, last, settings) in HOME_RESIDENTS.items():
            person = make_resident(building, first_name=first, last_name=last, pin=PIN)
            for name, value in settings.items():
                setattr(person, name, value)
            db.session.commit()
            made[key] = person
            residents[key] = Resident(person.id, first, last, do_issue_card(person, issued_by=None))
        helene, fatima, ahmed = made["helene"], made["fatima"], made["ahmed"]
        start = utcnow() + timedelta(minutes=20)
        belote = activities.do_create_activity(
            staff,
            building.id,
            title="Belote",
            category="games",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
        )
        activities.do_create_activity(
            staff,
            building.id,
            title="Tricot",
            category="crafts",
            starts_at=start,
            ends_at=start + timedelta(minutes=40),
        )
        activities.do_sign_up(helene, belote.occurrences[0].id)
        parcels.do_log_parcel(concierge, helene.dwelling_id, carrier="La Poste")
        window = (utcnow() + timedelta(minutes=30), utcnow() + timedelta(hours=2))
        taken = helping.do_create_request(
            ahmed, kind="company", window_start=window[0], window_end=window[1]
        )
        helping.do_take(helene, taken.id)
        helping.do_create_request(
            ahmed,
            kind="groceries",
            window_start=window[0],
            window_end=window[1],
            details="Du pain",
        )
        conversation = messaging.get_or_create_direct(ahmed, helene.id)
        messaging.do_send_message(
            ahmed, conversation.id, client_id=str(uuid.uuid4()), body="Bonjour Hélène !"
        )
        messaging.get_or_create_direct(fatima, ahmed.id)
        _enrol_in_daily_checkin(made["gisele"])
        keys = tuple(item["tile"].key for item in resident_tiles_for(helene))
        result = HomeSeed(residents, conversation.id, keys)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def _enrol_in_daily_checkin(person: Person) -> None:
    """Gisèle opts in: her home then shows the "I'm fine today" panel."""
    from portal.wellbeing import service as wellbeing

    wellbeing.do_opt_in(person)


@pytest.fixture(scope="module")
def home_seed(seed: Seed) -> HomeSeed:
    return make_home_seed(seed)


RESIDENT_PAGES = ("/", "/settings", "/profile", "/directory", "/my-home", "/help")


def login_card_only(page: Page, resident: Resident) -> None:
    """Log in with the card on a French tablet; the pages then follow the person's language."""
    page.goto(resident.card_path)
    page.get_by_role("button", name=TEXT["fr"]["come_in"]).click()
    page.wait_for_url("**/")
    page.locator("h1").wait_for()


class Taps:
    """Counts the taps a resident makes from the home screen (typing is not a tap)."""

    def __init__(self, page: Page) -> None:
        self.page, self.count = page, 0

    def start(self) -> None:
        self.page.goto("/")
        self.count = 0

    def tap(self, target: Locator) -> None:
        self.count += 1
        target.click()
        self.page.wait_for_load_state()


def tile(page: Page, key: str) -> Locator:
    return page.locator(f'a.tile[data-tile="{key}"]')


@pytest.mark.browser
def test_home_shows_the_five_tiles_in_order_with_live_badges(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["helene"], "en")
    keys = page.locator("ul.tiles-home a.tile").evaluate_all(
        "tiles => tiles.map(t => t.dataset.tile)"
    )
    assert keys[-1] == "settings"  # language, settings and logging out: one tile, last
    keys = keys[:-1]
    assert keys == list(home_seed.resident_tile_keys)
    assert keys[:4] == ["messages", "activities", "help", "concierge"]
    if "announcements" in home_seed.resident_tile_keys:
        assert keys == ["messages", "activities", "help", "concierge", "announcements"]
    for key in keys:
        expect(tile(page, key).locator(".tile-icon")).to_be_visible()
        assert tile(page, key).locator(".tile-badge").count() == 1, key
    expect(tile(page, "messages").locator(".tile-badge")).to_have_text("1 new")
    expect(tile(page, "activities").locator(".tile-badge")).to_have_text("2 today")
    expect(tile(page, "help").locator(".tile-badge")).to_have_text("1 new")
    expect(tile(page, "concierge").locator(".tile-badge")).to_have_text("Parcels: 1")
    # The top bar is not a menu: the person's name and one Help.
    assert page.locator(".topbar a[href$='/settings']").count() == 0
    expect(page.locator(".topbar")).to_contain_text("Hélène")
    expect(page.locator(".topbar").get_by_role("link")).to_have_count(2)  # name, Help
    expect(page.get_by_role("link", name="I need help")).to_be_visible()

    today = page.locator('[data-panel="today"]')
    expect(today.locator(".today-item", has_text="Belote")).to_contain_text("I am going")
    expect(today.locator(".today-item", has_text="Tricot").get_by_role("button")).to_be_visible()
    expect(today).to_contain_text("A parcel is waiting for you at the desk")
    expect(today).to_contain_text("I help: Company")
    assert today.locator(".today-time").count() >= 3  # activities and help show their time

    wait_connected(page)  # the badge listens for new messages from now on
    neighbour = new_page(locale=LOCALES["en"])
    login_with_card(neighbour, home_seed.residents["ahmed"], "en")
    neighbour.goto(f"/messages/{home_seed.conversation_id}")
    wait_connected(neighbour)
    neighbour.locator("#body").fill("Vous venez à la belote ?")
    neighbour.get_by_role("button", name="Send").click()
    expect(tile(page, "messages").locator(".tile-badge")).to_have_text("2 new", timeout=5_000)
    check_accessibility(page)


@pytest.mark.browser
def test_each_core_task_takes_at_most_three_taps_from_home(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["fatima"], "en")
    taps = Taps(page)
    counted: dict[str, int] = {}

    # Write to a neighbour one already talks with: Messages → the conversation → Send.
    taps.start()
    taps.tap(tile(page, "messages"))
    taps.tap(page.locator(".conversation-item", has_text="Ahmed"))
    page.locator("#body").fill("Bonjour Ahmed, un café cet après-midi ?")
    wait_connected(page)
    taps.tap(page.get_by_role("button", name="Send"))
    expect(page.locator("#messages")).to_contain_text("un café cet après-midi")
    counted["message a neighbour"] = taps.count

    # Write to a new neighbour: My neighbours → Write to Bernard → Send.
    taps.start()
    taps.tap(page.get_by_role("link", name="My neighbours"))
    taps.tap(page.get_by_role("button", name="Write to Bernard"))
    page.locator("#body").fill("Bonjour Bernard !")
    wait_connected(page)
    taps.tap(page.get_by_role("button", name="Send"))
    expect(page.locator("#messages")).to_contain_text("Bonjour Bernard !")
    counted["message a new neighbour"] = taps.count

    # Sign up for today's activity right from the Today panel.
    taps.start()
    taps.tap(page.locator(".today-item", has_text="Tricot").get_by_role("button", name="Join"))
    expect(page.locator(".flash-success")).to_be_visible()
    counted["join today's activity"] = taps.count
    page.goto("/")
    expect(page.locator(".today-item", has_text="Tricot")).to_contain_text("I am going")

    # Ask for groceries: Help → Ask for groceries → Ask my neighbours.
    taps.start()
    taps.tap(tile(page, "help"))
    taps.tap(page.get_by_role("link", name="Ask for groceries"))
    taps.tap(page.get_by_role("button", name="Ask my neighbours"))
    page.wait_for_url("**/neighbours/requests/*")
    counted["ask for groceries"] = taps.count

    # Report a repair: Concierge → Report a problem → Send to the desk.
    taps.start()
    taps.tap(tile(page, "concierge"))
    taps.tap(page.get_by_role("link", name="Report a problem"))
    page.locator("textarea[name=description]").fill("The kitchen tap drips.")
    taps.tap(page.get_by_role("button", name="Send to the desk"))
    page.wait_for_url("**/tickets/*")
    counted["report a repair"] = taps.count

    assert all(count <= 3 for count in counted.values()), counted


@pytest.mark.browser
def test_saying_i_am_fine_takes_one_tap_when_the_check_in_exists(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["gisele"], "en")
    button = page.get_by_role("button", name=re.compile(r"I.m fine today", re.I))
    expect(button.first).to_be_visible()
    taps = Taps(page)
    taps.start()
    taps.tap(button.first)
    assert taps.count == 1
    expect(page.locator("main")).to_contain_text("Thank you, have a good day")


@pytest.mark.browser
def test_simplified_mode_keeps_only_the_tiles_and_the_help_button(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["mireille"], "en")
    assert "simplified" in (page.locator("html").get_attribute("class") or "").split()
    expect(page.locator("ul.tiles-home a.tile")).to_have_count(
        len(home_seed.resident_tile_keys) + 1  # and the settings tile
    )
    expect(page.get_by_role("link", name="I need help")).to_be_visible()
    assert page.locator(".home-panel, .footer").count() == 0
    header = page.locator(".topbar")
    assert header.get_by_role("link", name="Notifications").count() == 0
    assert header.locator("form[action$='/language']").count() == 0
    expect(tile(page, "settings")).to_be_visible()  # the way back out
    check_accessibility(page)
    check_targets(page)


READ_ALOUD_STUB = """
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speaking: false,
  speak(utterance) { window.__spoken = { text: utterance.text, lang: utterance.lang }; },
  cancel() {},
}});
"""


@pytest.mark.browser
def test_read_aloud_reads_the_main_content_in_the_page_language(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    page.add_init_script(READ_ALOUD_STUB)
    login_with_card(page, home_seed.residents["reader"], "en")
    page.goto("/help")
    button = page.locator("[data-read-aloud]")
    expect(button).to_have_accessible_name("Read aloud")
    button.click()
    spoken = page.evaluate("window.__spoken")
    assert spoken["lang"] == "en"
    assert "In an emergency" in spoken["text"] and "Log out" not in spoken["text"]
    expect(button).to_have_accessible_name("Stop reading")


@pytest.mark.browser
def test_read_aloud_stays_hidden_where_the_browser_cannot_speak(
    new_page: NewPage, home_seed: HomeSeed
) -> None:
    page = new_page(locale=LOCALES["en"])
    page.add_init_script("delete Window.prototype.speechSynthesis; delete window.speechSynthesis;")
    login_with_card(page, home_seed.residents["reader"], "en")
    assert page.locator("[data-read-aloud]").count() == 1
    expect(page.locator("[data-read-aloud]")).to_be_hidden()


@pytest.mark.browser
def test_profile_then_directory_then_write(new_page: NewPage, home_seed: HomeSeed) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["helene"], "en")
    page.goto("/directory")
    expect(page.locator(".neighbour-card", has_text="Ahmed")).to_be_visible()
    assert page.locator(".neighbour-card", has_text="Fatima").count() == 0  # not opted in
    page.goto("/profile")
    page.locator("input[name=photo]").set_input_files(
        files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.locator("input[name=display_name]").fill("Lène")
    page.locator("input[name=languages]").fill("français, occitan")
    page.locator("input[name=in_directory]").check()
    page.get_by_role("button", name="Save my profile").click()
    expect(page.locator(".flash-success")).to_be_visible()

    other = new_page(locale=LOCALES["en"])
    login_with_card(other, home_seed.residents["bernard"], "en")
    other.goto("/directory")
    card = other.locator(".neighbour-card", has_text="Lène")
    expect(card).to_contain_text("français, occitan")
    assert card.locator("img.avatar").evaluate("img => img.naturalWidth") > 0
    card.get_by_role("button", name="Write to Lène").click()
    other.wait_for_url("**/messages/*")
    expect(other.locator("h1")).to_contain_text("Hélène")


@pytest.mark.browser
def test_my_pages_fit_at_200_percent_text(new_page: NewPage, home_seed: HomeSeed) -> None:
    page = new_page(locale=LOCALES["en"])
    login_with_card(page, home_seed.residents["bernard"], "en")
    assert "text-200" in (page.locator("html").get_attribute("class") or "").split()
    for path in RESIDENT_PAGES:
        page.goto(path)
        check_no_horizontal_scroll(page)
        check_targets(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_my_pages_pass_axe(new_page: NewPage, home_seed: HomeSeed, lang: str) -> None:
    page = new_page(locale=LOCALES["fr" if lang == "ar" else lang])
    if lang == "ar":
        login_card_only(page, home_seed.residents["youssef"])  # his own setting: Arabic
    else:
        login_with_card(page, home_seed.residents["helene"], lang)  # the browser's language
    for path in RESIDENT_PAGES:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == lang
        check_accessibility(page)
        check_targets(page)
        check_no_horizontal_scroll(page)
