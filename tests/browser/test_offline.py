"""The tablet as an installable app that works offline: the service worker keeps the home and
the pages last seen, the outbox keeps a photo made offline and sends it exactly once, every
one of one's own messages says in words what happened to it, and the outbox backs off."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    PIN,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    jpeg_bytes,
    login_with_card,
    seeded_app,
    wait_connected,
    wait_disconnected,
)

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
RECONNECT_MS = 15_000
LIVE_MS = 5_000
ENGLISH = "en-US"  # the statuses are asserted in English, the msgids


@dataclass(frozen=True)
class OfflineSeed:
    residents: dict[str, Resident]
    conversations: dict[str, int]


@pytest.fixture(scope="module")
def offline_seed(seed: Seed) -> OfflineSeed:
    """A building of its own: three pairs of neighbours, each pair with a conversation."""
    from messaging import service as messaging
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation
    from tests.factories import make_building, make_resident

    pairs = {
        "photo": (("Mireille", "Caron"), ("Léon", "Vidal")),
        "status": (("Suzanne", "Roche"), ("Émile", "Barbier")),
        "backoff": (("Colette", "Perret"), ("Armand", "Collet")),
    }
    with seeded_app(seed):
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Hirondelles")
        residents: dict[str, Resident] = {}
        conversations: dict[str, int] = {}
        for name, ((first_a, last_a), (first_b, last_b)) in pairs.items():
            made = []
            for first_name, last_name in ((first_a, last_a), (first_b, last_b)):
                person = make_resident(
                    building, first_name=first_name, last_name=last_name, pin=PIN
                )
                db.session.commit()
                token = do_issue_card(person, issued_by=None)
                residents[first_name.lower()] = Resident(person.id, first_name, last_name, token)
                made.append(person)
            conversations[name] = messaging.get_or_create_direct(made[0], made[1].id).id
        db.session.commit()  # the server reads them from its own process
        return OfflineSeed(residents, conversations)


def tablet(new_page: NewPage, resident: Resident, locale: str = "fr-FR") -> Page:
    page = new_page(locale=locale)
    login_with_card(page, resident, "en" if locale == ENGLISH else "fr")
    return page


def open_conversation(page: Page, conversation_id: int) -> None:
    page.goto(f"/messages/{conversation_id}")
    wait_connected(page, timeout=RECONNECT_MS)


def mine(page: Page, text: str) -> Locator:
    return page.locator("#messages > li.message-mine").filter(has_text=text)


def status_of(page: Page, text: str) -> Locator:
    return mine(page, text).locator(".message-status")


def count_photo_messages(seed: Seed, conversation_id: int) -> int:
    """Photo messages the server stored in the conversation."""
    from sqlalchemy import func, select

    from messaging.models import Message, MessageKind
    from portal.extensions import db

    with seeded_app(seed):
        query = select(func.count()).where(
            Message.conversation_id == conversation_id, Message.kind == MessageKind.PHOTO
        )
        return int(db.session.scalar(query) or 0)


# 1. Installable, and the home offline ----------------------------------------------------


@pytest.mark.browser
def test_the_installed_service_worker_serves_the_home_and_last_pages_offline(
    new_page: NewPage, offline_seed: OfflineSeed
) -> None:
    mireille = offline_seed.residents["mireille"]
    page = tablet(new_page, mireille)
    heading = page.get_by_role("heading", level=1, name="Bonjour Mireille !")

    # Installable: a manifest with the icons a tablet puts on its home screen.
    manifest = page.evaluate(
        """() => fetch(document.querySelector('link[rel="manifest"]').href).then((r) => r.json())"""
    )
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        response = page.request.get(icon["src"])
        assert response.ok and response.headers["content-type"].startswith(icon["type"])

    # The service worker takes the page over; the home and the messages are seen once online.
    page.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    page.goto("/")
    expect(heading).to_be_visible()
    page.goto("/messages")
    expect(page.locator("#conversation-list")).to_be_visible()

    page.context.set_offline(True)
    page.goto("/")
    expect(heading).to_be_visible()
    # Marked as a saved copy, in words, on the page.
    expect(page.locator("html")).to_have_attribute("data-offline-copy", re.compile(r"\d{4}-"))
    status = page.locator("#connection-status")
    expect(status).to_be_visible()
    expect(status).not_to_be_empty()
    page.goto("/messages")
    expect(page.locator("#conversation-list")).to_be_visible()
    # A page never opened: the offline page, which says what to do.
    page.goto("/notifications")
    expect(page.locator("#offline-title")).to_be_visible()
    expect(page.locator(".backbar a")).to_be_visible()  # the way back, as on every page
    check_accessibility(page)

    # Back online: pages come from the server again.
    page.context.set_offline(False)
    page.goto("/notifications")
    expect(page.locator("#offline-title")).to_have_count(0)
    expect(page.locator("html")).not_to_have_attribute("data-offline-copy", re.compile(".*"))


@pytest.mark.browser
def test_logging_out_forgets_the_pages_kept_for_offline(
    new_page: NewPage, offline_seed: OfflineSeed
) -> None:
    page = tablet(new_page, offline_seed.residents["armand"])
    page.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    page.goto("/")
    page.wait_for_function("() => caches.has('bv-pages')")
    # The session ends (as after logging out): the page's next look at the server lands on the
    # login page, and what was kept of this person's pages is gone.
    page.context.clear_cookies()
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    page.wait_for_function(
        "() => caches.open('bv-pages').then((c) => c.keys()).then((k) => k.length === 0)"
    )


# 2. The outbox keeps a photo made offline and sends it exactly once ----------------------


@pytest.mark.browser
def test_a_photo_made_offline_survives_a_reload_and_leaves_exactly_once(
    new_page: NewPage, offline_seed: OfflineSeed, seed: Seed, tmp_path: Path
) -> None:
    conversation_id = offline_seed.conversations["photo"]
    mireille = tablet(new_page, offline_seed.residents["mireille"])
    leon = tablet(new_page, offline_seed.residents["léon"])
    mireille.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    open_conversation(mireille, conversation_id)
    open_conversation(leon, conversation_id)
    before = count_photo_messages(seed, conversation_id)

    mireille.context.set_offline(True)
    wait_disconnected(mireille)
    photo = tmp_path / "jardin.jpg"
    photo.write_bytes(jpeg_bytes(colour="#55aa33"))
    mireille.locator("#photo-input").set_input_files(photo)
    pending = mireille.locator("#messages > li.message-pending")
    expect(pending).to_have_count(1)
    expect(pending.locator("img.message-photo")).to_have_count(1)
    expect(pending.locator(".message-status")).to_have_text("En attente d'envoi")

    # Still offline, the tablet reloads the page (the service worker's copy): the photo is
    # still there, kept with its picture in IndexedDB.
    mireille.reload()
    expect(mireille.locator("html")).to_have_attribute("data-offline-copy", re.compile(r"\d"))
    pending = mireille.locator("#messages > li.message-pending")
    expect(pending).to_have_count(1)
    mireille.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0",
        arg=pending.locator("img.message-photo").element_handle(),
    )
    kept = mireille.evaluate(
        "() => window.bonVoisin.outbox.list()"
        ".then((items) => items.map((i) => [i.kind, i.blob instanceof Blob]))"
    )
    assert kept == [["photo", True]]

    mireille.context.set_offline(False)
    photos = leon.locator("#messages > li.message img.message-photo")
    expect(photos).to_have_count(1 + before, timeout=RECONNECT_MS + LIVE_MS)
    sent = mireille.locator("#messages > li.message-mine[data-message-id]").filter(
        has=mireille.locator("img.message-photo")
    )
    expect(sent).to_have_count(1, timeout=RECONNECT_MS)
    mireille.wait_for_function(
        "() => window.bonVoisin.outbox.list().then((items) => items.length === 0)"
    )
    leon.wait_for_timeout(500)  # a second delivery would show now
    expect(photos).to_have_count(1 + before)
    assert count_photo_messages(seed, conversation_id) == before + 1


# 3. What happened, in words --------------------------------------------------------------


@pytest.mark.browser
def test_own_messages_say_waiting_sent_read_and_not_sent_in_words(
    new_page: NewPage, offline_seed: OfflineSeed
) -> None:
    conversation_id = offline_seed.conversations["status"]
    suzanne = tablet(new_page, offline_seed.residents["suzanne"], ENGLISH)
    open_conversation(suzanne, conversation_id)

    first = "Good morning Émile, is the bakery open today?"
    suzanne.locator("#body").fill(first)
    suzanne.locator("#composer button[type=submit]").click()
    expect(status_of(suzanne, first)).to_have_text("Sent", timeout=LIVE_MS)

    # Émile opens the conversation: it says "Read" under it.
    emile = tablet(new_page, offline_seed.residents["émile"], ENGLISH)
    open_conversation(emile, conversation_id)
    expect(status_of(suzanne, first)).to_contain_text("Read", timeout=LIVE_MS)

    # Offline, a second message waits; "Read" stays under the first, never under it.
    suzanne.context.set_offline(True)
    wait_disconnected(suzanne)
    second = "I will bring you some bread."
    suzanne.locator("#body").fill(second)
    suzanne.locator("#composer button[type=submit]").click()
    expect(status_of(suzanne, second)).to_have_text("Waiting to be sent")
    statuses = suzanne.locator("#messages > li.message-mine .message-status").all_inner_texts()
    assert statuses[-1] == "Waiting to be sent"
    assert statuses[-2].startswith("Read")
    check_accessibility(suzanne)

    suzanne.context.set_offline(False)
    expect(mine(suzanne, second)).to_have_attribute(
        "data-message-id", re.compile(r"\d+"), timeout=RECONNECT_MS
    )
    expect(status_of(suzanne, second)).to_contain_text("Read", timeout=LIVE_MS)

    # Refused for good: "Not sent: <why>", with "Try again" and "Remove".
    too_long = "Long story. " + "x" * 2000
    suzanne.evaluate(
        "([id, text]) => window.bonVoisin.outbox.add({conversation_id: id, body: text})",
        [conversation_id, too_long],
    )
    failed = suzanne.locator("#messages > li.message-failed")
    expect(failed).to_have_count(1, timeout=LIVE_MS)
    expect(failed.locator(".message-status")).to_contain_text("Not sent: ")
    reason = failed.locator(".message-status").inner_text().removeprefix("Not sent: ")
    assert reason.strip()
    expect(failed.get_by_role("button", name="Try again")).to_be_visible()
    check_accessibility(suzanne)
    failed.get_by_role("button", name="Remove").click()
    expect(failed).to_have_count(0)
    suzanne.wait_for_function(
        "() => window.bonVoisin.outbox.list().then((items) => items.length === 0)"
    )


# 4. Back-off ------------------------------------------------------------------------------

# Answers the first `refusals` sends with the server's "unavailable, retry after 1 s" instead
# of sending them, records when each attempt starts and ends, and lets the rest through.
REFUSE_SENDS = """(refusals) => {
  const socket = window.bonVoisin.socket;
  const realEmit = socket.emit.bind(socket);
  const log = (window.sendLog = { starts: [], inFlight: 0, maxInFlight: 0 });
  socket.emit = (name, payload, ack) => {
    if (name !== "send_message") {
      return realEmit(name, payload, ack);
    }
    log.starts.push(performance.now());
    log.inFlight += 1;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    const done = (answer) => {
      log.inFlight -= 1;
      ack(answer);
    };
    if (log.starts.length <= refusals) {
      const refusal = { ok: false, error: "unavailable", message: "Busy", retry_after: 1 };
      setTimeout(() => done(refusal), 50);
      return socket;
    }
    return realEmit(name, payload, done);
  };
}"""


@pytest.mark.browser
def test_the_outbox_backs_off_honours_retry_after_and_never_sends_twice_at_once(
    new_page: NewPage, offline_seed: OfflineSeed
) -> None:
    conversation_id = offline_seed.conversations["backoff"]
    colette = tablet(new_page, offline_seed.residents["colette"], ENGLISH)
    open_conversation(colette, conversation_id)
    colette.evaluate(REFUSE_SENDS, 3)

    text = "Armand, shall we walk to the market?"
    colette.locator("#body").fill(text)
    colette.locator("#composer button[type=submit]").click()
    expect(status_of(colette, text)).to_have_text("Waiting to be sent")
    # Reconnects, resyncs and new sends ask the outbox to send while it waits: no early try.
    for _ in range(5):
        colette.evaluate(
            "() => { window.bonVoisin.outbox.pump();"
            " window.bonVoisin.socket.listeners('connect').forEach((f) => f()); }"
        )
    expect(mine(colette, text)).to_have_attribute(
        "data-message-id", re.compile(r"\d+"), timeout=RECONNECT_MS
    )
    log = colette.evaluate("() => window.sendLog")
    assert len(log["starts"]) == 4  # three refusals, then sent
    assert log["maxInFlight"] == 1
    starts = log["starts"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= 1000 for gap in gaps), gaps  # never sooner than retry_after
    expect(colette.locator("#messages > li.message-mine").filter(has_text=text)).to_have_count(1)


@pytest.mark.browser
def test_retry_delay_is_exponential_with_full_jitter_after_retry_after(
    new_page: NewPage, offline_seed: OfflineSeed
) -> None:
    page = tablet(new_page, offline_seed.residents["armand"])
    delays = page.evaluate(
        """() => {
          const delay = window.bonVoisin.retryDelay;
          const top = () => 0.999999, bottom = () => 0, middle = () => 0.5;
          return {
            top: [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => delay(n, { random: top })),
            bottom: [1, 5].map((n) => delay(n, { random: bottom })),
            middle: delay(3, { random: middle }),
            hinted: delay(1, { random: bottom, retryAfterS: 4 }),
            hintedTop: delay(1, { random: top, retryAfterS: 4 }),
          };
        }"""
    )
    # The ceiling doubles from 1 s up to 60 s; the wait is anywhere below it.
    assert delays["top"] == [999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999]
    assert delays["bottom"] == [0, 0]
    assert delays["middle"] == 2000
    # Never sooner than the server's retry_after, then the jitter on top.
    assert delays["hinted"] == 4000
    assert delays["hintedTop"] == 4999
