"""Browser harness: a seeded SQLite file, the real server (`python app.py`), headless Chromium.

One server and one browser serve the whole session; every test gets fresh browser contexts.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.support import Translations
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests import media
from tests.factories import STAFF_PASSWORD, make_building, make_resident, make_staff
from tests.live import live_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Voice messages: a fake microphone (a beep) that needs no prompt. Only getUserMedia
    # is affected; pages that never ask for the microphone behave as before.
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
AXE_FILE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MIN_TARGET = 48  # CSS px, the guide's minimum (stricter than WCAG 2.5.8's 24)

TABLET_PORTRAIT = {"width": 768, "height": 1024}
LOCALES = {"fr": "fr-FR", "en": "en-US", "ar": "ar"}
PIN = "2580"

# Texts the tests look for, per language (the translations must be compiled).
TEXT: dict[str, dict[str, str]] = {
    "fr": {
        "come_in": "Entrer",
        "log_out": "Se déconnecter",
        "logged_out": "À bientôt !",
        "log_in": "Se connecter",
        "welcome": "Bienvenue sur Bon Voisin",
        "tap_photo": "Appuyez sur votre photo",
        "pin_label": "Votre code à 4 chiffres",
        "wrong_pin": "Ce code n'est pas le bon.",
        "hello": "Bonjour {name} !",
        "print_card": "Imprimer une carte",
        "save_settings": "Enregistrer mes réglages",
        "language_button": "English",
    },
    "en": {
        "come_in": "Come in",
        "log_out": "Log out",
        "logged_out": "See you soon!",
        "log_in": "Log in",
        "welcome": "Welcome to Bon Voisin",
        "tap_photo": "Tap your photo",
        "pin_label": "Your 4-digit code",
        "wrong_pin": "That code is not right.",
        "hello": "Hello {name}!",
        "print_card": "Print a card",
        "save_settings": "Save my settings",
        "language_button": "Français",
    },
}


def arabic(msgid: str) -> str:
    """An English msgid as the Arabic pages show it (from the compiled catalogue)."""
    return _ARABIC.gettext(msgid)


_ARABIC = Translations.load(str(ROOT / "translations"), ["ar"])
TEXT["ar"] = {
    "come_in": arabic("Come in"),
    "log_out": arabic("Log out"),
    "logged_out": arabic("You are logged out. See you soon!"),
    "log_in": arabic("Log in"),
    "welcome": arabic("Welcome to Bon Voisin"),
    "tap_photo": arabic("Tap your photo"),
    "pin_label": arabic("Your 4-digit code"),
    "hello": arabic("Hello %(name)s!").replace("%(name)s", "{name}"),
    "print_card": arabic("Print a card"),
    "save_settings": arabic("Save my settings"),
}


# Seed data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resident:
    id: int
    first_name: str
    last_name: str
    card_token: str | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def card_path(self) -> str:
        assert self.card_token, f"{self.first_name} has no login card"
        return f"/login/card/{self.card_token}"


@dataclass(frozen=True)
class Seed:
    database_uri: str
    building_id: int
    other_building_id: int
    staff_email: str
    staff_password: str
    residents: dict[str, Resident] = field(default_factory=dict)
    upload_dir: str = ""
    conversations: dict[str, int] = field(default_factory=dict)  # DIRECT_CONVERSATIONS' ids


# Residents, each with one job so that tests never disturb each other's sessions or counters.
SEED_RESIDENTS = {
    "jeanne": ("Jeanne", "Martin", True),  # card and photo login, pages in fr/en
    "paul": ("Paul", "Durand", True),  # wrong PIN
    "lucie": ("Lucie", "Bernard", True),  # text size 200 %
    "marcel": ("Marcel", "Petit", True),  # real-time logout
    "henri": ("Henri", "Lefebvre", False),  # no card yet: staff print one
    "rose": ("Rose", "Girard", True),  # messaging: writes to Louis live (text, photo, voice)
    "louis": ("Louis", "Roux", True),  # messaging: Rose's neighbour, answers her
    "germaine": ("Germaine", "Faure", True),  # messaging: her tablet goes offline, catches up
    "robert": ("Robert", "Blanc", True),  # messaging: writes while Germaine is offline
    "yvonne": ("Yvonne", "Garnier", True),  # messaging: writes while offline (outbox)
    "andre": ("André", "Chevalier", True),  # messaging: receives Yvonne's outbox
    "simone": ("Simone", "Lambert", True),  # messaging: in none of the others' conversations
    "claire": ("Claire", "Mercier", True),  # messaging pages in fr/en
    "gaston": ("Gaston", "Fontaine", True),  # messaging: Claire's neighbour
    "yvette": ("Yvette", "Leroy", True),  # help between neighbours: asks for groceries
    "karim": ("Karim", "Benali", True),  # help between neighbours: offers groceries, helps
    "nadia": ("Nadia", "Perrin", True),  # help between neighbours: refused pharmacy details
}

# One-to-one conversations made in the seed step: name -> (resident, resident).
DIRECT_CONVERSATIONS = {
    "offline": ("germaine", "robert"),
    "outbox": ("yvonne", "andre"),
    "pages": ("claire", "gaston"),  # holds a text, a photo and a voice message
}


def jpeg_bytes(size: tuple[int, int] = (160, 120), colour: str = "#3366aa") -> bytes:
    """A small JPEG photo, as a tablet's camera would give (only smaller)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def _compile_translations() -> None:
    """French pages need the compiled catalogues; compile them when missing or stale."""
    catalogues = list((ROOT / "translations").glob("*/LC_MESSAGES/*.po"))
    stale = [
        po
        for po in catalogues
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    flask = ROOT / ".venv" / "bin" / "flask"
    command = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
    env = {**os.environ, "FLASK_APP": "app"}
    subprocess.run(
        [*command, "translate", "compile"], cwd=ROOT, env=env, check=True, capture_output=True
    )


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """A temporary SQLite file with two buildings, their residents and a coordinator."""
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app

    _compile_translations()
    folder = tmp_path_factory.mktemp("browser")
    uri = f"sqlite:///{folder / 'db.sqlite3'}"
    upload_dir = str(folder / "uploads")
    app = create_app(
        {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri, "PORTAL_UPLOAD_DIR": upload_dir}
    )
    with app.app_context():
        db.create_all()
        building = make_building(name="Résidence des Tilleuls")
        other = make_building(name="Résidence des Acacias")
        staff = make_staff(buildings=[building], email="coordination@example.org")
        residents: dict[str, Resident] = {}
        for key, (first, last, with_card) in SEED_RESIDENTS.items():
            person = make_resident(building, first_name=first, last_name=last, pin=PIN)
            token = do_issue_card(person, issued_by=None) if with_card else None
            residents[key] = Resident(person.id, first, last, token)
        outsider = make_resident(other, first_name="Odette", last_name="Moreau", pin=PIN)
        residents["odette"] = Resident(
            outsider.id, "Odette", "Moreau", do_issue_card(outsider, issued_by=None)
        )
        result = Seed(
            database_uri=uri,
            building_id=building.id,
            other_building_id=other.id,
            staff_email=staff.email or "",
            staff_password=STAFF_PASSWORD,
            residents=residents,
            upload_dir=upload_dir,
            conversations=_seed_conversations(residents),
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def _seed_conversations(residents: dict[str, Resident]) -> dict[str, int]:
    """The one-to-one conversations the messaging tests open, made through the service."""
    from messaging import service
    from portal.extensions import db
    from portal.people.models import Person

    def person(key: str) -> Person:
        found = db.session.get(Person, residents[key].id)
        assert found is not None
        return found

    def send(sender: Person, conversation_id: int, **fields: Any) -> None:
        service.do_send_message(sender, conversation_id, client_id=str(uuid.uuid4()), **fields)

    ids: dict[str, int] = {}
    for name, (first, second) in DIRECT_CONVERSATIONS.items():
        ids[name] = service.get_or_create_direct(person(first), residents[second].id).id
    claire, gaston, pages = person("claire"), person("gaston"), ids["pages"]
    send(claire, pages, body="Bonjour Gaston, vous venez au goûter jeudi ?")
    send(gaston, pages, body="Avec plaisir ! J'apporte des crêpes.")
    photo = service.do_save_upload(claire, "photo", jpeg_bytes())
    send(claire, pages, kind="photo", attachment_id=photo.id)
    voice = service.do_save_upload(gaston, "voice", media.recording("chrome", 2.5), 2500)
    send(gaston, pages, kind="voice", attachment_id=voice.id)
    return ids


@contextmanager
def seeded_app(seed: Seed, **config: Any) -> Iterator[Flask]:
    """An app on the seeded database, for a test module to add its own people (commit what
    the server must read); its connections are closed at the end."""
    from portal.extensions import db
    from portal.factory import create_app

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
            **config,
        }
    )
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


# The real server ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python app.py` on a free port of 127.0.0.1, on the seeded database; yields its URL."""
    log_dir = tmp_path_factory.mktemp("server")
    env = {"SECRET_KEY": "browser-test-secret", "BV_UPLOAD_DIR": seed.upload_dir}
    with live_server(seed.database_uri, log_dir, env) as running:
        yield running.url


# The browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (make chromium)"
        if os.environ.get("BV_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    playwright: Playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, server: str) -> Iterator[NewPage]:
    """Open a page in a new browser context (its own cookies: one tablet each)."""
    contexts: list[BrowserContext] = []

    def open_page(
        locale: str = "fr-FR", viewport: dict[str, int] | None = None, **options: Any
    ) -> Page:
        context = browser.new_context(
            base_url=server,
            locale=locale,
            viewport=viewport or TABLET_PORTRAIT,
            **options,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A French tablet in portrait, 768 x 1024."""
    return new_page()


# Actions --------------------------------------------------------------------------------

CONNECTED = "() => document.documentElement.dataset.realtime === 'connected'"


def wait_connected(page: Page, timeout: float | None = None) -> None:
    """Wait until the page's socket is connected: a live event published before that moment
    reaches the page only as a refresh on connect, never as a toast."""
    page.wait_for_function(CONNECTED, timeout=timeout)


def wait_disconnected(page: Page) -> None:
    """Wait until the page's socket has seen its connection drop."""
    page.wait_for_function("() => !window.bonVoisin.socket.connected")


def login_with_card(page: Page, resident: Resident, lang: str = "fr") -> None:
    """Open the resident's card link and tap the one button; lands on the resident home."""
    page.goto(resident.card_path)
    page.get_by_role("button", name=TEXT[lang]["come_in"]).click()
    page.wait_for_url("**/")
    heading = TEXT[lang]["hello"].format(name=resident.first_name)
    page.get_by_role("heading", level=1, name=heading).wait_for()


def log_out(page: Page, lang: str = "fr") -> None:
    """Log out: staff from the top bar, a resident from their settings page (their top bar
    holds only their name and Help)."""
    button = page.get_by_role("button", name=TEXT[lang]["log_out"])
    if button.count() == 0:
        page.goto("/settings")
    button.click()
    page.wait_for_url("**/login")


def login_staff(page: Page, seed: Seed, lang: str = "fr") -> None:
    login_staff_as(page, seed.staff_email, lang, seed.staff_password)


def login_staff_as(
    page: Page, email: str, lang: str = "fr", password: str = STAFF_PASSWORD
) -> None:
    """Log a member of staff in with their email and password; lands on their home."""
    page.goto("/login/staff")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


# Checks ---------------------------------------------------------------------------------


@cache
def _axe() -> Axe:
    return Axe.from_file(AXE_FILE) if AXE_FILE.exists() else Axe()


def check_accessibility(page: Page) -> None:
    """Zero axe-core violations for the WCAG 2.0/2.1/2.2 A and AA tags."""
    # After a click that navigates, the new DOM can be there before its stylesheets: axe
    # would then judge an unstyled page.
    page.wait_for_load_state("load")
    options = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
    }
    results = _axe().run(page, options=options)
    violations = results.response["violations"]
    summary = "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    "
        + "\n    ".join(", ".join(map(str, node["target"])) for node in v["nodes"])
        for v in violations
    )
    assert not violations, (
        f"axe found {len(violations)} violation(s) on {page.url}:\n{summary}\n\n"
        f"{results.generate_report()}"
    )


_TARGETS_SCRIPT = """
(minimum) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, label';
  const describe = (el) => {
    const html = el.outerHTML.replace(/\\s+/g, ' ');
    return html.length > 200 ? html.slice(0, 200) + '…' : html;
  };
  // WCAG 2.5.8 exception: a link inside a sentence, its size set by the line of text.
  const inSentence = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest('p, li, td, dd');
    return !!block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const offenders = [];
  for (const el of document.querySelectorAll(selector)) {
    const control = el.matches('input, select, textarea');
    if (el.tagName === 'LABEL' && !el.querySelector('input, select, textarea')) continue;
    // A control wrapped in its label is operated through the label: the label is the target.
    if (control && el.closest('label')) continue;
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.width + 0.01 >= minimum && box.height + 0.01 >= minimum) continue;
    if (inSentence(el)) continue;
    offenders.push({
      size: `${box.width.toFixed(1)}x${box.height.toFixed(1)}`,
      text: (el.innerText || el.value || '').trim().replace(/\\s+/g, ' '),
      html: describe(el),
    });
  }
  return offenders;
}
"""


def check_targets(page: Page) -> None:
    """Every visible control is at least 48 x 48 CSS px."""
    page.wait_for_load_state("load")  # styled, as in check_accessibility
    offenders = page.evaluate(_TARGETS_SCRIPT, MIN_TARGET)
    listing = "\n".join(f"- {o['size']} {o['text']!r}: {o['html']}" for o in offenders)
    assert not offenders, (
        f"{len(offenders)} target(s) smaller than {MIN_TARGET}x{MIN_TARGET} CSS px "
        f"on {page.url}:\n{listing}"
    )


_OVERFLOW_SCRIPT = """
() => {
  const limit = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 && box.width > 0) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} right=${box.right.toFixed(0)}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: limit,
    wide: wide.slice(0, 15),
  };
}
"""


def check_page(page: Page) -> None:
    """What every page passes: no axe violation, every target 48 x 48 CSS px."""
    check_accessibility(page)
    check_targets(page)


def check_no_horizontal_scroll(page: Page) -> None:
    """The page fits its width: nothing to scroll sideways."""
    found = page.evaluate(_OVERFLOW_SCRIPT)
    assert found["scrollWidth"] <= found["innerWidth"], (
        f"{page.url} scrolls sideways at {page.viewport_size}: scrollWidth "
        f"{found['scrollWidth']} > innerWidth {found['innerWidth']}. Too wide:\n"
        + "\n".join(found["wide"])
    )


# Waiting on what a page can only tell asynchronously -----------------------------------


def wait_for_promise(
    page: Page,
    expression: str,
    arg: Any = None,
    *,
    timeout: float = 10_000,
    interval: float = 100,
) -> Any:
    """Evaluate `expression` (a function, usually async) until its result is truthy; return it.

    `page.wait_for_function` does not await a Promise: a pending one is truthy, so it returns
    at once whatever the Promise resolves to. `page.evaluate` awaits it; this polls that
    instead (every `interval` ms, for at most `timeout` ms). A navigation in between (the
    page reloads itself) only means one more try. On timeout: an AssertionError with the last
    value."""
    import time

    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    value: Any = None
    while True:
        try:
            value = page.evaluate(expression, arg)
        except Error as error:
            if "context was destroyed" not in error.message and "navigat" not in error.message:
                raise
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"still {value!r} after {timeout:.0f} ms on {page.url}: {expression}"
            )
        page.wait_for_timeout(interval)
