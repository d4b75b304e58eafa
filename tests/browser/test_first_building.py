"""A landlord's first building, from an empty PostgreSQL to a resident logged in with a
printed card: production mode, Redis, real SMTP, every step in the pages."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import (
    TABLET_PORTRAIT,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
)
from tests.live import (
    ROOT,
    LiveServer,
    free_port,
    live_server,
    postgres_schema,
    server_python,
)
from tests.smtp import SMTPServer, body_of

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]

PASSWORD = "a long password for the test"
LINK = re.compile(r"https?://\S+/account/\S+")
DWELLINGS = "Logement;Étage;Type\n101;1;T2\n102;1;T3\n201;2;T1\n"
RESIDENTS = (
    "Logement;Étage;Type;Prénom;Nom;Année de naissance;Téléphone;Langue\n"
    "101;1;T2;Jeanne;Lefèvre;1941;;fr\n"
    "102;1;T3;Karim;Benali;1950;;en\n"
)


def flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [server_python(), "-m", "flask", *args],
        cwd=ROOT,
        env={**env, "FLASK_APP": "app"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def production(
    tmp_path: Path, redis_url: str, smtp_server: SMTPServer
) -> Iterator[tuple[str, dict[str, str], LiveServer]]:
    """An empty PostgreSQL schema migrated by `flask db upgrade`, and the production server."""
    smtp_server.inbox.clear()
    with postgres_schema("golive") as database:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "BV_ENV": "production",
            "SECRET_KEY": "a-production-like-secret-for-the-test",
            "DATABASE_URL": database,
            "REDIS_URL": redis_url,
            "BV_SMTP_URL": smtp_server.url,
            "BV_BASE_URL": base,
            "BV_UPLOAD_DIR": str(tmp_path / "uploads"),
            "BV_SCHEDULER": "0",
            # Plain http on 127.0.0.1: Chromium keeps Secure cookies for localhost only.
            "BV_SECURE_COOKIES": "0",
        }
        flask(env, "db", "upgrade")
        server_env = {
            k: v for k, v in env.items() if k.startswith(("BV_", "SECRET", "DATABASE", "REDIS"))
        }
        with live_server(database, tmp_path, server_env, port=port) as server:
            assert server.url == base
            yield base, env, server


def open_tablet(browser: Browser, base: str) -> Page:
    context = browser.new_context(base_url=base, locale="en-GB", viewport=TABLET_PORTRAIT)
    context.set_default_timeout(15_000)
    return context.new_page()


def checked(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


def choose_password(page: Page, link: str) -> None:
    page.goto(link)
    checked(page)
    page.get_by_label("New password (12 characters at least)").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Save my password").click()
    page.wait_for_url("**/")


def upload(page: Page, label: str, name: str, content: str) -> None:
    page.get_by_label(label).set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}]
    )


def test_a_landlord_starts_its_first_building_without_the_demo(
    browser: Browser, production: tuple[str, dict[str, str], LiveServer], smtp_server: SMTPServer
) -> None:
    base, env, server = production
    printed = flask(env, "org", "create", "Habitat Test", "--manager-email", "anne@example.org")
    manager_link = LINK.search(printed)
    assert manager_link, printed

    # The manager chooses a password, creates the building and its dwellings from a file.
    manager = open_tablet(browser, base)
    choose_password(manager, manager_link.group(0))
    manager.goto("/staff/organisation")
    checked(manager)
    manager.get_by_role("link", name="Add a building").click()
    manager.wait_for_url("**/buildings/new")
    checked(manager)
    manager.get_by_label("Name of the building").fill("Les Glycines")
    manager.get_by_label("Address").fill("3 rue des Glycines, 59000 Lille")
    manager.get_by_role("button", name="Save").click()
    manager.wait_for_url("**/dwellings")
    checked(manager)
    upload(manager, "The CSV file", "logements.csv", DWELLINGS)
    manager.get_by_role("button", name="Check the file").click()
    manager.get_by_text("3 dwellings will be added.").wait_for()
    checked(manager)
    manager.get_by_role("button", name="Confirm and add these dwellings").click()
    manager.get_by_text("3 dwellings are added.").wait_for()

    # The manager invites a coordinator by email.
    building_id = re.search(r"/buildings/(\d+)/", manager.url).group(1)  # type: ignore[union-attr]
    manager.goto(f"/staff/buildings/{building_id}/staff/invite")
    checked(manager)
    manager.get_by_label("First name").fill("Nadia")
    manager.get_by_label("Last name").fill("Haddad")
    manager.get_by_label("Email").fill("nadia@example.org")
    manager.get_by_label("Language of the mails").select_option("en")
    manager.get_by_role("button", name="Send the invitation").click()
    manager.get_by_text("Nadia Haddad is invited").wait_for()
    manager.get_by_text("invited, no password yet").wait_for()
    checked(manager)
    manager.goto(f"/staff/buildings/{building_id}/settings")
    checked(manager)

    [mail] = smtp_server.inbox.wait_for(1)
    assert mail["To"] == "nadia@example.org"
    coordinator_link = LINK.search(body_of(mail))
    assert coordinator_link and coordinator_link.group(0).startswith(base)

    # The coordinator sets a password, imports two residents and prints their cards.
    coordinator = open_tablet(browser, base)
    choose_password(coordinator, coordinator_link.group(0))
    coordinator.goto(f"/staff/buildings/{building_id}/import")
    upload(coordinator, "The CSV file", "residents.csv", RESIDENTS)
    coordinator.get_by_role("button", name="Check the file").click()
    coordinator.get_by_text("2 residents will be added.").wait_for()
    coordinator.get_by_role("button", name="Confirm and add these residents").click()
    coordinator.get_by_role("heading", name="2 residents added").wait_for()
    coordinator.get_by_role("button", name="Print their login cards").click()
    coordinator.wait_for_url("**/cards")
    coordinator.locator(".login-card-url").first.wait_for()
    card_urls = coordinator.locator(".login-card-url").all_inner_texts()
    assert len(card_urls) == 2
    assert all(url.startswith(base) for url in card_urls)

    # The forgotten-password page, for anyone.
    visitor = open_tablet(browser, base)
    visitor.goto("/login/staff")
    visitor.get_by_role("link", name="Forgotten password?").click()
    visitor.wait_for_url("**/login/staff/forgot")
    checked(visitor)

    # A resident logs in with the printed card.
    resident = open_tablet(browser, base)
    resident.goto(card_urls[0])
    resident.locator("main").get_by_role("button").first.click()
    resident.wait_for_url(f"{base}/")
    assert "Jeanne" in resident.locator("h1").inner_text(), server.log()[-6000:]
