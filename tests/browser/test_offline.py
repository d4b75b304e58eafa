"""The tablet as an installable app that works offline: the service worker keeps the home and
the pages last seen (and forgets them on logging out), the outbox keeps a photo or a voice
recording made offline and sends it exactly once, from whichever page is open when the
connection returns; every one of one's own messages says in words what happened to it, and
the outbox backs off.

What only a Promise tells (the caches, the outbox in IndexedDB) is waited for with
`wait_for_promise`: `page.wait_for_function` would take the pending Promise itself for a yes."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    PIN,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    jpeg_bytes,
    log_out,
    login_with_card,
    seeded_app,
    wait_connected,
    wait_disconnected,
    wait_for_promise,
)

CONTROLLED = "() => navigator.serviceWorker.controller !== null"
RECONNECT_MS = 15_000
LIVE_MS = 5_000
ENGLISH = "en-US"  # the statuses are asserted in English, the msgids
WAITING = "En attente d'envoi"

# What the outbox of the person logged in still holds (IndexedDB: only a Promise tells). A
# page reloading itself (a saved copy, once the connection returns) has no outbox until its
# scripts have run: not empty yet, ask again.
OUTBOX_EMPTY = """async () => {
  const outbox = window.bonVoisin && window.bonVoisin.outbox;
  return Boolean(outbox) && (await outbox.list()).length === 0;
}"""
OUTBOX_ITEMS = """async () => (await window.bonVoisin.outbox.list()).map((item) => ({
  kind: item.kind,
  body: item.body,
  state: item.state,
  blob: item.blob instanceof Blob ? { size: item.blob.size, type: item.blob.type } : null,
  duration_ms: item.duration_ms || 0,
}))"""
# The addresses the service worker keeps for offline (pages and pictures); none when that
# cache is gone. Opening the cache would make it again: only look into it when it is there.
PAGES_KEPT = """async () => {
  if (!(await caches.has("bv-pages"))) { return []; }
  const cache = await caches.open("bv-pages");
  return (await cache.keys()).map((request) => new URL(request.url).pathname);
}"""
HOME_KEPT = f"async () => ({PAGES_KEPT})().then((paths) => paths.includes('/'))"
# What is kept beyond the pictures the page shows itself: the login page, after logging out,
# shows the building's residents' photos, and the service worker keeps those it loads.
KEPT_BEYOND_THIS_PAGE = f"""async () => {{
  const pathOf = (img) => new URL(img.currentSrc || img.src).pathname;
  const shown = new Set(Array.from(document.images, pathOf));
  return (await ({PAGES_KEPT})()).filter((path) => !shown.has(path));
}}"""


@dataclass(frozen=True)
class OfflineSeed:
    residents: dict[str, Resident]
    conversations: dict[str, int]


@pytest.fixture(scope="module")
def offline_seed(seed: Seed) -> OfflineSeed:
    """A building of its own: five pairs of neighbours, each pair with a conversation."""
    from messaging import service as messaging
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation
    from tests.factories import make_building, make_resident

    pairs = {
        "photo": (("Mireille", "Caron"), ("Léon", "Vidal")),
        "status": (("Suzanne", "Roche"), ("Émile", "Barbier")),
        "backoff": (("Colette", "Perret"), ("Armand", "Collet")),
        "voice": (("Berthe", "Lemoine"), ("Gilbert", "Renaud")),
        "elsewhere": (("Paulette", "Brunet"), ("Firmin", "Gauthier")),
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


def tablet(new_page: NewPage, resident: Resident, locale: str = "fr-FR", **options: Any) -> Page:
    page = new_page(locale=locale, **options)
    login_with_card(page, resident, "en" if locale == ENGLISH else "fr")
    return page


def open_conversation(page: Page, conversation_id: int) -> None:
    page.goto(f"/messages/{conversation_id}")
    wait_connected(page, timeout=RECONNECT_MS)


def mine(page: Page, text: str) -> Locator:
    return page.locator("#messages > li.message-mine").filter(has_text=text)


def status_of(page: Page, text: str) -> Locator:
    return mine(page, text).locator(".message-status")


def assert_nothing_kept(page: Page) -> None:
    """The service worker keeps no page and no picture, but those the page on screen (the
    login page) shows itself; waits for it to forget."""
    try:
        wait_for_promise(page, f"async () => (await ({KEPT_BEYOND_THIS_PAGE})()).length === 0")
    except AssertionError:
        kept = page.evaluate(KEPT_BEYOND_THIS_PAGE)
        raise AssertionError(f"still kept for offline on {page.url}: {kept}") from None


def stored_messages(seed: Seed, conversation_id: int) -> list[tuple[str, str, int | None]]:
    """(kind, body, length of the recording in ms) of each message the server stored in the
    conversation, oldest first."""
    from sqlalchemy import select

    from messaging.models import Attachment, Message
    from portal.extensions import db

    with seeded_app(seed):
        query = (
            select(Message.kind, Message.body, Attachment.duration_ms)
            .outerjoin(Attachment, Message.attachment_id == Attachment.id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        )
        return [(str(kind), body, ms) for kind, body, ms in db.session.execute(query)]


def count_messages(seed: Seed, conversation_id: int, kind: str) -> int:
    """Messages of that kind the server stored in the conversation."""
    return sum(1 for found, _, _ in stored_messages(seed, conversation_id) if found == kind)


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
    armand = offline_seed.residents["armand"]
    page = tablet(new_page, armand)
    page.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    page.goto("/")
    wait_for_promise(page, HOME_KEPT)  # his home, kept to read offline

    # He logs out (settings, "Se déconnecter"): nothing of his is kept any more.
    log_out(page)
    assert_nothing_kept(page)

    # The session ends while no page of his is open (it expires, the tablet slept): the next
    # look at the server lands on the login page, and what was kept of his pages is gone too.
    # (The home is left first: a request of its own in flight would bring the session cookie
    # back, as every answer to a resident refreshes it.)
    login_with_card(page, armand)
    wait_for_promise(page, HOME_KEPT)
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto("/")
    page.wait_for_url(re.compile(r"/login"))
    assert_nothing_kept(page)


# 2. The outbox keeps what was made offline and sends it exactly once --------------------


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
    before = count_messages(seed, conversation_id, "photo")

    mireille.context.set_offline(True)
    wait_disconnected(mireille)
    photo = tmp_path / "jardin.jpg"
    photo.write_bytes(jpeg_bytes(colour="#55aa33"))
    mireille.locator("#photo-input").set_input_files(photo)
    pending = mireille.locator("#messages > li.message-pending")
    expect(pending).to_have_count(1)
    expect(pending.locator("img.message-photo")).to_have_count(1)
    expect(pending.locator(".message-status")).to_have_text(WAITING)

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
    wait_for_promise(mireille, OUTBOX_EMPTY)
    leon.wait_for_timeout(500)  # a second delivery would show now
    expect(photos).to_have_count(1 + before)
    assert count_messages(seed, conversation_id, "photo") == before + 1


@pytest.mark.browser
def test_a_voice_recording_made_offline_is_kept_and_leaves_exactly_once(
    new_page: NewPage, offline_seed: OfflineSeed, seed: Seed
) -> None:
    conversation_id = offline_seed.conversations["voice"]
    # Chromium's fake microphone (conftest's flags): a beep, no prompt.
    berthe = tablet(new_page, offline_seed.residents["berthe"], permissions=["microphone"])
    gilbert = tablet(new_page, offline_seed.residents["gilbert"])
    berthe.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    open_conversation(berthe, conversation_id)
    open_conversation(gilbert, conversation_id)
    before = count_messages(seed, conversation_id, "voice")

    # Offline, she records: tap, speak, tap again to send. It waits, and can be listened to.
    berthe.context.set_offline(True)
    wait_disconnected(berthe)
    record = berthe.locator("#record")
    record.click()
    expect(record).to_have_attribute("aria-pressed", "true")
    berthe.wait_for_timeout(1_500)
    record.click()
    expect(record).to_have_attribute("aria-pressed", "false")
    pending = berthe.locator("#messages > li.message-pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".play-button")).to_have_count(1)
    expect(pending.locator(".message-status")).to_have_text(WAITING)

    # Still offline, the page reloads (the service worker's copy): the recording is still
    # there, its sound kept in IndexedDB.
    berthe.reload()
    expect(berthe.locator("html")).to_have_attribute("data-offline-copy", re.compile(r"\d"))
    pending = berthe.locator("#messages > li.message-pending")
    expect(pending).to_have_count(1)
    expect(pending.locator(".play-button")).to_have_attribute("data-audio", re.compile("^blob:"))
    expect(pending.locator(".message-status")).to_have_text(WAITING)
    kept = berthe.evaluate(OUTBOX_ITEMS)
    assert len(kept) == 1, kept
    assert kept[0]["kind"] == "voice" and kept[0]["state"] == "waiting", kept
    assert kept[0]["blob"] and kept[0]["blob"]["size"] > 0, kept
    assert kept[0]["blob"]["type"].startswith("audio/"), kept
    assert kept[0]["duration_ms"] >= 1_000, kept

    # Back online: it reaches Gilbert once, and the tablet keeps nothing more.
    berthe.context.set_offline(False)
    plays = gilbert.locator("#messages > li.message .play-button")
    expect(plays).to_have_count(1 + before, timeout=RECONNECT_MS + LIVE_MS)
    sent = berthe.locator("#messages > li.message-mine[data-message-id]").filter(
        has=berthe.locator(".play-button")
    )
    expect(sent).to_have_count(1, timeout=RECONNECT_MS)
    wait_for_promise(berthe, OUTBOX_EMPTY)
    gilbert.wait_for_timeout(500)  # a second delivery would show now
    expect(plays).to_have_count(1 + before)
    voices = [m for m in stored_messages(seed, conversation_id) if m[0] == "voice"]
    assert len(voices) == before + 1, voices
    assert (voices[-1][2] or 0) >= 1_000, voices  # the recording, with its length
    # Gilbert's tablet can fetch the sound itself.
    audio = gilbert.request.get(plays.last.get_attribute("data-audio") or "")
    assert audio.ok and audio.headers["content-type"].startswith("audio/")
    assert len(audio.body()) > 0


@pytest.mark.browser
def test_a_message_queued_in_a_conversation_leaves_from_the_home_exactly_once(
    new_page: NewPage, offline_seed: OfflineSeed, seed: Seed
) -> None:
    conversation_id = offline_seed.conversations["elsewhere"]
    paulette = tablet(new_page, offline_seed.residents["paulette"])
    firmin = tablet(new_page, offline_seed.residents["firmin"])
    paulette.wait_for_function(CONTROLLED, timeout=RECONNECT_MS)
    open_conversation(paulette, conversation_id)
    open_conversation(firmin, conversation_id)

    # Offline, she writes in the conversation: it waits.
    paulette.context.set_offline(True)
    wait_disconnected(paulette)
    text = "Firmin, je passe vous voir après la sieste."
    paulette.locator("#body").fill(text)
    paulette.locator("#composer button[type=submit]").click()
    expect(status_of(paulette, text)).to_have_text(WAITING)

    # Still offline, she goes back to her home (the service worker's copy); the message
    # waits there, in the tablet's outbox.
    paulette.goto("/")
    expect(paulette.get_by_role("heading", level=1, name="Bonjour Paulette !")).to_be_visible()
    expect(paulette.locator("html")).to_have_attribute("data-offline-copy", re.compile(r"\d"))
    kept = paulette.evaluate(OUTBOX_ITEMS)
    assert [(i["body"], i["state"]) for i in kept] == [(text, "waiting")], kept

    # The connection returns while the home is open: the home sends it, once.
    paulette.context.set_offline(False)
    from_paulette = firmin.locator("#messages > li.message").filter(has_text=text)
    expect(from_paulette).to_have_count(1, timeout=RECONNECT_MS + LIVE_MS)
    wait_for_promise(paulette, OUTBOX_EMPTY, timeout=RECONNECT_MS)
    assert urlparse(paulette.url).path == "/"  # never back in the conversation meanwhile
    firmin.wait_for_timeout(500)  # a second delivery would show now
    expect(from_paulette).to_have_count(1)
    bodies = [body for _, body, _ in stored_messages(seed, conversation_id)]
    assert bodies.count(text) == 1, bodies

    # In the conversation again: shown once, sent, nothing left waiting.
    open_conversation(paulette, conversation_id)
    expect(mine(paulette, text)).to_have_count(1)
    expect(mine(paulette, text)).to_have_attribute("data-message-id", re.compile(r"\d+"))
    expect(paulette.locator("#messages > li.message-pending")).to_have_count(0)
    expect(paulette.locator("#messages > li.message-failed")).to_have_count(0)


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
    wait_for_promise(suzanne, OUTBOX_EMPTY)


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
