"""Alerts in the browser: the coordinator sets the on-call rota in its pages; an alert's
timeline shows a new step live when the alert is acknowledged elsewhere (the link in a
message, tapped on another device) or escalated by the scheduler process; every alert
page accessible (axe, 48 px targets, no sideways scrolling at 768 px)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    LOCALES,
    TABLET_PORTRAIT,
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    wait_connected,
)
from tests.factories import STAFF_PASSWORD
from tests.live import LiveServer, live_server

LIVE_MS = 5_000
SECRET = "browser-test-secret"  # the server's SECRET_KEY (tests/browser/conftest.py)


@dataclass(frozen=True)
class AlertSeed:
    building_id: int
    coordinator_email: str
    concierge_email: str
    concierge_name: str
    alert_id: int  # acknowledged through the link, in the browser
    escalating_id: int  # escalated by the scheduler process
    link_path: str  # the link of the mail the concierge received


@pytest.fixture(scope="module")
def alert_seed(seed: Seed) -> AlertSeed:
    """A building of its own: a coordinator, a concierge on call (the fallback), a
    resident, and two alerts about her whose first round went to the concierge."""
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import select

    from portal.alerts import service
    from portal.alerts.models import AlertStep, StepKind
    from portal.extensions import db
    from portal.factory import create_app
    from portal.people.models import Building, Organisation, Role
    from tests.factories import make_building, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
            "ALERTS_SEND_AT_ONCE": True,
        }
    )
    with app.app_context():
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Lilas")
        coordinator = make_staff(Role.COORDINATOR, [building], email="lilas-coord@example.org")
        concierge = make_staff(Role.CONCIERGE, [building], email="lilas-desk@example.org")
        make_staff(Role.MANAGER, [building], email="lilas-manager@example.org")
        resident = make_resident(building, first_name="Colette", last_name="Lemoine")
        service.do_set_fallback(coordinator, building.id, concierge.id)
        db.session.commit()
        first_alert, _ = service.do_raise(
            service.AlertKind.HELP_CALL, building.id, "browser:ack", person_id=resident.id
        )
        db.session.commit()  # the first round: the concierge, by email (kept in memory)
        step = db.session.scalars(
            select(AlertStep).where(
                AlertStep.alert_id == first_alert.id, AlertStep.what == StepKind.TOLD
            )
        ).first()
        assert step is not None
        token = URLSafeTimedSerializer(SECRET, salt=service.TOKEN_SALT).dumps({"s": step.id})
        # The coordinator on call all week: told first about the second alert; the scheduler
        # then passes it on to the fallback.
        service.do_add_entry(coordinator, building.id, coordinator.id, list(range(7)), *_all_day())
        second_alert, _ = service.do_raise(
            service.AlertKind.HELP_CALL, building.id, "browser:escalate", person_id=resident.id
        )
        db.session.commit()
        ids = [first_alert.id, second_alert.id]
        result = AlertSeed(
            building.id,
            "lilas-coord@example.org",
            "lilas-desk@example.org",
            concierge.full_name,
            ids[0],
            ids[1],
            f"/alerts/on-it/{token}",
        )
        db.session.remove()
        db.engine.dispose()
    return result


def _all_day():
    from datetime import time

    return time(0), time(0)


def login_as(page: Page, email: str, lang: str = "fr") -> None:
    page.goto("/login/staff")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


def check_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


@pytest.mark.browser
def test_the_coordinator_sets_the_on_call_rota_in_the_pages(
    new_page: NewPage, alert_seed: AlertSeed
) -> None:
    page = new_page()
    login_as(page, alert_seed.coordinator_email)
    page.goto(f"/alerts/rota?building={alert_seed.building_id}")
    check_page(page)
    page.locator("#person").select_option(label=f"{alert_seed.concierge_name} (Concierge)")
    for day in ("5", "6"):
        page.locator(f'input[name="days"][value="{day}"]').check()
    page.locator("#start").fill("22:00")
    page.locator("#end").fill("07:00")
    page.locator("#position").fill("1")
    page.locator('section[aria-labelledby="add-title"] button[type="submit"]').click()
    page.wait_for_load_state()
    line = page.locator(".rota-entry", has_text=alert_seed.concierge_name)
    expect(line).to_contain_text("22:00")
    expect(line).to_contain_text("07:00")
    page.locator("#fallback-person").select_option(label=f"{alert_seed.concierge_name} (Concierge)")
    page.locator('section[aria-labelledby="fallback-title"] button[type="submit"]').click()
    page.wait_for_load_state()
    expect(page.locator("#now-title").locator("..")).to_contain_text(alert_seed.concierge_name)
    check_page(page)
    # At 200 % text, the page still fits the tablet.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    check_no_horizontal_scroll(page)
    check_targets(page)


@pytest.mark.browser
def test_the_timeline_shows_the_acknowledgement_made_elsewhere_live(
    new_page: NewPage, alert_seed: AlertSeed
) -> None:
    staff = new_page(locale=LOCALES["en"])
    login_as(staff, alert_seed.coordinator_email, "en")
    staff.goto(f"/alerts?building={alert_seed.building_id}")
    check_page(staff)
    staff.goto(f"/alerts/{alert_seed.alert_id}")
    wait_connected(staff)
    timeline = staff.locator("#alert-live")
    expect(timeline.locator('[data-step="told"]').first).to_be_visible()
    expect(timeline.locator('[data-step="acknowledged"]')).to_have_count(0)
    check_page(staff)

    phone = new_page(locale=LOCALES["fr"])  # the concierge's phone: no login
    phone.goto(alert_seed.link_path)
    check_page(phone)
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_load_state()
    expect(phone.locator("main")).to_contain_text(alert_seed.concierge_name)

    expect(timeline.locator('[data-step="acknowledged"]')).to_have_count(1, timeout=LIVE_MS)
    expect(timeline.locator(".alert-state")).to_contain_text(alert_seed.concierge_name)
    check_page(staff)


@pytest.fixture(scope="module")
def redis_server(
    seed: Seed, alert_seed: AlertSeed, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, str]]:
    """The real server sharing events through Redis (the scheduler runs in this process)."""
    env = {"SECRET_KEY": SECRET, "BV_UPLOAD_DIR": seed.upload_dir, "REDIS_URL": redis_url}
    with live_server(seed.database_uri, tmp_path_factory.mktemp("alerts"), env) as running:
        yield running, redis_url


@pytest.mark.browser
@pytest.mark.redis
def test_the_timeline_shows_an_escalation_by_the_scheduler_live(
    browser: Browser, seed: Seed, alert_seed: AlertSeed, redis_server: tuple[LiveServer, str]
) -> None:
    from portal.alerts import jobs
    from portal.db import utcnow
    from portal.extensions import db
    from portal.factory import create_app

    server, redis_url = redis_server
    context = browser.new_context(
        base_url=server.url, locale=LOCALES["en"], viewport=TABLET_PORTRAIT
    )
    context.set_default_timeout(10_000)
    try:
        staff = context.new_page()
        login_as(staff, "lilas-manager@example.org", "en")
        staff.goto(f"/alerts/{alert_seed.escalating_id}")
        wait_connected(staff)
        timeline = staff.locator("#alert-live")
        expect(timeline.locator('[data-step="escalated"]')).to_have_count(0)
        scheduler = create_app(
            {
                "ENV_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": seed.database_uri,
                "REDIS_URL": redis_url,
            }
        )
        with scheduler.app_context():
            assert jobs.run_escalations(utcnow() + timedelta(minutes=11)) == 1
            db.session.remove()
            db.engine.dispose()
        expect(timeline.locator('[data-step="escalated"]')).to_have_count(1, timeout=LIVE_MS)
        check_accessibility(staff)
    finally:
        context.close()
