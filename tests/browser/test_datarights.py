"""Data rights in the browser: a resident downloads their data (with their messages); the
manager's audit log and erasure confirmation pages are accessible in French and English."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

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
    login_with_card,
)

MANAGER_EMAIL = "direction-droits@example.org"
MESSAGE = "Bonjour Hugo, merci pour les courses !"


@dataclass(frozen=True)
class RightsSeed:
    writer: Resident  # writes a message, then downloads their data
    to_erase: Resident  # the person on the erasure confirmation page
    manager_password: str
    large_email: str  # a manager reading at 200 % text size


@pytest.fixture(scope="module")
def rights_seed(seed: Seed) -> RightsSeed:
    from messaging import service as messaging
    from portal.audit import service as audit
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app
    from portal.people.models import Building, Role
    from tests.factories import STAFF_PASSWORD, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = db.session.get(Building, seed.building_id)
        assert building is not None
        writer = make_resident(building, first_name="Irène", last_name="Dumas", pin=PIN)
        neighbour = make_resident(building, first_name="Hugo", last_name="Marchand", pin=PIN)
        erased = make_resident(building, first_name="Léa", last_name="Roche", pin=PIN)
        conversation = messaging.get_or_create_direct(writer, neighbour.id)
        messaging.do_send_message(
            writer, conversation.id, client_id=str(uuid.uuid4()), body=MESSAGE
        )
        manager = make_staff(Role.MANAGER, [building], email=MANAGER_EMAIL)
        large = make_staff(Role.MANAGER, [building], email="direction-200@example.org")
        large.text_size = 200
        db.session.commit()
        audit.do_record("card.issued", actor=manager, subject=erased)
        audit.do_record("pin.reset", actor=manager, subject=writer)
        card = do_issue_card(writer, issued_by=None)
        db.session.commit()  # the server reads them from its own process
        result = RightsSeed(
            Resident(writer.id, "Irène", "Dumas", card),
            Resident(erased.id, "Léa", "Roche", None),
            STAFF_PASSWORD,
            large.email or "",
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def login_manager(page: Page, email: str, password: str, lang: str = "fr") -> None:
    page.goto("/login/staff")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


@pytest.mark.browser
def test_a_resident_downloads_their_data_with_their_messages(
    new_page: NewPage, rights_seed: RightsSeed, tmp_path: Path
) -> None:
    tablet = new_page(accept_downloads=True)
    login_with_card(tablet, rights_seed.writer)
    tablet.goto("/settings")
    button = tablet.locator("form[action='/my-data'] button[type=submit]")
    expect(button).to_be_visible()
    with tablet.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".json")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["profile"]["first_name"] == "Irène"
    assert MESSAGE in [m["text"] for m in data["messages"]]
    assert "pin_hash" not in target.read_text(encoding="utf-8")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_audit_and_erasure_pages_are_accessible(
    new_page: NewPage, rights_seed: RightsSeed, lang: str
) -> None:
    staff = new_page(locale=LOCALES[lang])
    login_manager(staff, MANAGER_EMAIL, rights_seed.manager_password, lang)
    for path in ("/staff/audit", f"/staff/people/{rights_seed.to_erase.id}/erase"):
        response = staff.goto(path)
        assert response is not None and response.status == 200, path
        assert staff.locator("html").get_attribute("lang") == lang
        check_accessibility(staff)
        check_targets(staff)
        check_no_horizontal_scroll(staff)
    expect(staff.locator("main")).to_contain_text(rights_seed.to_erase.full_name)
    # A wrong name shows its message accessibly, and nothing is erased.
    staff.locator("#confirm_name").fill("Quelqu'un d'autre")
    staff.locator("main form.form button[type=submit]").click()
    staff.wait_for_load_state()
    expect(staff.locator(".flash-error")).to_contain_text(rights_seed.to_erase.full_name)
    check_accessibility(staff)
    # A bad filter on the log too.
    response = staff.goto("/staff/audit?since=2026-13-40")
    assert response is not None and response.status == 422
    expect(staff.locator(".flash-error")).to_be_visible()
    check_accessibility(staff)


@pytest.mark.browser
def test_manager_pages_work_at_200_percent_text(new_page: NewPage, rights_seed: RightsSeed) -> None:
    staff = new_page()
    login_manager(staff, rights_seed.large_email, rights_seed.manager_password)
    for path in ("/staff/audit", f"/staff/people/{rights_seed.to_erase.id}/erase"):
        staff.goto(path)
        assert "text-200" in (staff.locator("html").get_attribute("class") or "")
        check_targets(staff)
        check_no_horizontal_scroll(staff)
