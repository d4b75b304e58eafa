"""Wellbeing in the browser: a missed check-in reaches the coordinator's "To call" list
live; "I need help" reaches the concierge's desk live and the resident sees "coming" live;
every wellbeing page accessible in French and English, at 200 % text and 320 px wide."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TABLET_PORTRAIT,
    NewPage,
    Resident,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    check_targets,
    login_staff_as,
    login_with_card,
    seeded_app,
    wait_connected,
)
from tests.live import LiveServer, live_server

LIVE_MS = 5_000
NARROW = {"width": 320, "height": 800}
PARIS = ZoneInfo("Europe/Paris")
DUE = time(6, 0)  # Marguerite's check-in time; the job runs with a frozen clock around it


@dataclass(frozen=True)
class WellbeingSeed:
    building_id: int
    coordinator_email: str
    concierge_email: str
    missing: Resident  # enrolled, does not check in: appears on the list when the job runs
    caller: Resident  # presses "I need help"
    enrolled: Resident  # enrolled, taps "I'm fine today" (pages in fr/en)
    large: Resident  # reads at 200 % text size


def _today_at(moment: time) -> datetime:
    return datetime.combine(datetime.now(PARIS).date(), moment, tzinfo=PARIS)


@pytest.fixture(scope="module")
def wb_seed(seed: Seed) -> WellbeingSeed:
    """A building of its own in the seeded database: its staff, four residents."""
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from portal.wellbeing import service
    from tests.factories import make_building, make_dwelling, make_resident, make_staff

    with seeded_app(seed):
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Glycines")
        coordinator = make_staff(Role.COORDINATOR, [building], email="glycines-coord@example.org")
        make_staff(Role.CONCIERGE, [building], email="glycines-desk@example.org")
        made: dict[str, Resident] = {}
        for key, (first_name, last_name, floor) in {
            "missing": ("Marguerite", "Dupuis", 2),
            "caller": ("Suzanne", "Robin", 3),
            "enrolled": ("Fernand", "Colas", 1),
            "large": ("Lucienne", "Marchal", 4),
        }.items():
            person = make_resident(
                building,
                dwelling=make_dwelling(building, floor=floor),
                first_name=first_name,
                last_name=last_name,
                pin=PIN,
            )
            person.phone = "06 11 22 33 44"
            if key == "large":
                person.text_size = 200
            db.session.commit()
            token = do_issue_card(person, issued_by=None)
            made[key] = Resident(person.id, first_name, last_name, token)
        service.do_enrol(
            coordinator,
            made["missing"].id,
            DUE,
            consent=True,
            now=_today_at(DUE) - timedelta(hours=1),
        )
        for key in ("enrolled", "large"):
            service.do_enrol(coordinator, made[key].id, time(21, 0), consent=True)
        db.session.commit()  # the server reads them from its own process
        return WellbeingSeed(
            building.id, "glycines-coord@example.org", "glycines-desk@example.org", **made
        )


# A missed check-in, live ----------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(
    seed: Seed,
    wb_seed: WellbeingSeed,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, str]]:
    """The real server sharing events through Redis, on the seeded database.

    The job runs in this test process with a frozen clock, as the separate scheduler
    process of a deployment does; its events reach the server's sockets through Redis.
    """
    env = {
        "SECRET_KEY": "browser-test-secret",
        "BV_UPLOAD_DIR": seed.upload_dir,
        "REDIS_URL": redis_url,
    }
    with live_server(seed.database_uri, tmp_path_factory.mktemp("wellbeing"), env) as running:
        yield running, redis_url


@pytest.mark.browser
@pytest.mark.redis
def test_missed_check_in_appears_live_on_the_coordinators_list(
    browser: Browser, seed: Seed, wb_seed: WellbeingSeed, redis_server: tuple[LiveServer, str]
) -> None:
    from portal.extensions import db
    from portal.wellbeing import jobs

    server, redis_url = redis_server
    context = browser.new_context(
        base_url=server.url, locale=LOCALES["en"], viewport=TABLET_PORTRAIT
    )
    context.set_default_timeout(10_000)
    try:
        staff = context.new_page()
        login_staff_as(staff, wb_seed.coordinator_email, "en")
        staff.goto(f"/wellbeing/to-call?building={wb_seed.building_id}")
        wait_connected(staff)
        name = wb_seed.missing.full_name
        listing = staff.locator("#to-call")
        expect(listing).not_to_contain_text(name)

        with seeded_app(seed, REDIS_URL=redis_url):  # the scheduler's process
            assert jobs.run_missed_checkins(_today_at(DUE) - timedelta(minutes=1)) == 0
            assert jobs.run_missed_checkins(_today_at(DUE) + timedelta(minutes=5)) == 1
            db.session.commit()  # as the scheduler's job wrapper does: the event leaves now
            assert jobs.run_missed_checkins(_today_at(DUE) + timedelta(minutes=10)) == 0
            db.session.commit()

        item = listing.locator("li", has_text=name)
        expect(item).to_be_visible(timeout=LIVE_MS)
        expect(item.locator('a[href="tel:0611223344"]')).to_be_visible()
        check_page(staff)
        item.get_by_label("A short note (optional)").fill("Elle était chez sa fille")
        item.get_by_role("button", name="I reached them").click()
        staff.wait_for_load_state()
        expect(staff.locator("#to-call")).not_to_contain_text(name)
    finally:
        context.close()


# "I need help", live --------------------------------------------------------------------


@pytest.mark.browser
def test_help_button_reaches_the_desk_live_and_the_resident_sees_coming(
    new_page: NewPage, wb_seed: WellbeingSeed
) -> None:
    # In English: the buttons are found by the words a person reads.
    desk = new_page(locale=LOCALES["en"])
    login_staff_as(desk, wb_seed.concierge_email, "en")
    desk.goto(f"/desk?building={wb_seed.building_id}")
    wait_connected(desk)
    name = wb_seed.caller.full_name
    expect(desk.locator("#desk-queue")).not_to_contain_text(name)

    tablet = new_page(locale=LOCALES["en"])
    login_with_card(tablet, wb_seed.caller, "en")
    tablet.goto("/help-me")
    expect(tablet.locator('a[href="tel:15"]')).to_be_visible()
    expect(tablet.locator('a[href="tel:112"]')).to_be_visible()
    tablet.get_by_role("button", name="Send my call for help").click()
    tablet.wait_for_load_state()
    expect(tablet.locator("[data-call-status=open]")).to_be_visible()
    wait_connected(tablet)
    # A second press shows the same call (the form is gone; posting again changes nothing).
    expect(tablet.get_by_role("button", name="Send my call for help")).to_have_count(0)

    item = desk.locator("#desk-queue .queue-item").first
    expect(item).to_contain_text(name, timeout=LIVE_MS)
    item.get_by_role("link").click()
    desk.wait_for_url("**/wellbeing/to-call**")
    check_page(desk)
    desk.locator("li", has_text=name).get_by_role("button", name="I've seen it, I'm coming").click()
    desk.wait_for_load_state()

    expect(tablet.locator("[data-call-status=seen]")).to_be_visible(timeout=LIVE_MS)
    expect(tablet.locator("#call-status")).to_contain_text(
        "Someone has seen your call and is coming"
    )
    check_page(tablet)
    desk.locator("li", has_text=name).get_by_role("button", name="Resolved").click()
    desk.wait_for_load_state()
    expect(desk.locator("#to-call")).not_to_contain_text(name)


# Every page, in both languages ----------------------------------------------------------

RESIDENT_PAGES = ["/wellbeing", "/help-me"]
STAFF_PAGES = ["/wellbeing/to-call?building={b}", "/wellbeing/enrolments?building={b}"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_wellbeing_pages_are_accessible(
    new_page: NewPage, wb_seed: WellbeingSeed, lang: str
) -> None:
    tablet = new_page(locale=LOCALES[lang])
    login_with_card(tablet, wb_seed.enrolled, lang)
    narrow = new_page(locale=LOCALES[lang], viewport=NARROW)
    login_with_card(narrow, wb_seed.enrolled, lang)
    for path in RESIDENT_PAGES:
        response = tablet.goto(path)
        assert response is not None and response.status == 200, path
        assert tablet.locator("html").get_attribute("lang") == lang
        check_page(tablet)
        narrow.goto(path)
        check_no_horizontal_scroll(narrow)
    # The one-tap check-in on the home screen, then today's thanks until tomorrow.
    tablet.goto("/")
    panel = tablet.locator("[data-panel=checkin]")
    expect(panel).to_be_visible()
    check_page(tablet)
    button = panel.locator("button[type=submit]")
    if button.count():  # the first language's run taps it; the second finds the thanks
        button.click()
        tablet.wait_for_url("**/")
    expect(tablet.locator("[data-panel=checkin] [role=status]")).to_be_visible()
    check_page(tablet)

    for email in (wb_seed.coordinator_email, wb_seed.concierge_email):
        staff = new_page(locale=LOCALES[lang])
        login_staff_as(staff, email, lang)
        for template in STAFF_PAGES:
            path = template.format(b=wb_seed.building_id)
            response = staff.goto(path)
            if "enrolments" in path and email == wb_seed.concierge_email:
                assert response is not None and response.status == 404
                continue
            assert response is not None and response.status == 200, path
            check_page(staff)
            check_no_horizontal_scroll(staff)
    # A form sent with a mistake shows its message accessibly too.
    coordinator = new_page(locale=LOCALES[lang])
    login_staff_as(coordinator, wb_seed.coordinator_email, lang)
    coordinator.goto(f"/wellbeing/enrolments?building={wb_seed.building_id}")
    coordinator.locator("#resident").select_option(index=1)
    coordinator.locator("main form").first.locator("button[type=submit]").click()
    coordinator.wait_for_load_state()
    expect(coordinator.locator(".field-errors").first).to_be_visible()
    check_page(coordinator)


@pytest.mark.browser
def test_wellbeing_pages_work_at_200_percent_text(
    new_page: NewPage, wb_seed: WellbeingSeed
) -> None:
    for viewport in (TABLET_PORTRAIT, {"width": 1024, "height": 768}):
        tablet = new_page(viewport=viewport)
        login_with_card(tablet, wb_seed.large)
        for path in RESIDENT_PAGES:
            tablet.goto(path)
            assert "text-200" in (tablet.locator("html").get_attribute("class") or "")
            check_targets(tablet)
            check_no_horizontal_scroll(tablet)
