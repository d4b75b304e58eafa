"""Messaging on two tablets: live delivery, catching up after a sleep, the outbox, access.

Each tablet is its own browser context (its own cookies and storage) against the real server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    TABLET_PORTRAIT,
    NewPage,
    Resident,
    Seed,
    arabic,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    jpeg_bytes,
    login_staff,
    login_with_card,
    wait_connected,
    wait_disconnected,
)

LIVE_MS = 5_000  # a message shows on the other tablet within this time
RECONNECT_MS = 15_000  # Socket.IO's back-off between attempts reaches 5 s
NARROW = {"width": 320, "height": 800}
PARIS = ZoneInfo("Europe/Paris")  # every seeded person's time zone
CONVERSATION_URL = re.compile(r"/messages/(\d+)$")

WORDS = {
    "fr": {
        "pending": "En attente d'envoi",
        "listen": "Écouter",
        "read": "Lu",
        "open": "Ouvrir la conversation",
    },
    "en": {
        "pending": "Waiting to be sent",
        "listen": "Listen",
        "read": "Read",
        "open": "Open the conversation",
    },
}
WORDS["ar"] = {key: arabic(text) for key, text in WORDS["en"].items()}
SEARCHED = "goûter"  # in a message of the seeded conversation
NOT_FOUND = "Cette page n'existe pas, ou vous ne pouvez pas la voir."


# Helpers --------------------------------------------------------------------------------


def tablet(new_page: NewPage, resident: Resident, **options: object) -> Page:
    """A tablet of its own where the resident has logged in with their card."""
    page = new_page(**options)
    login_with_card(page, resident)
    return page


def open_conversation(page: Page, conversation_id: int) -> None:
    page.goto(f"/messages/{conversation_id}")
    wait_until_live(page)


def wait_until_live(page: Page) -> None:
    """The page's socket is connected and the page has asked for what it missed."""
    wait_connected(page, timeout=RECONNECT_MS)
    # A marker that a reload would wipe: messages must arrive without one.
    page.evaluate("() => { window.bvNoReload = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.bvNoReload === true"), f"{page.url} was reloaded"


def messages(page: Page) -> Locator:
    return page.locator("#messages > li.message")


def message_with(page: Page, text: str) -> Locator:
    return messages(page).filter(has_text=text)


def send_text(page: Page, text: str) -> None:
    page.locator("#body").fill(text)
    page.locator("#composer button[type=submit]").click()


def shown_ids(page: Page) -> list[int]:
    found = page.locator("#messages [data-message-id]").evaluate_all(
        "(nodes) => nodes.map((n) => n.dataset.messageId)"
    )
    return [int(i) for i in found]


def assert_each_message_once(page: Page) -> None:
    ids = shown_ids(page)
    assert len(ids) == len(set(ids)), f"a message is shown twice on {page.url}: {ids}"
    assert ids == sorted(ids), f"messages out of order on {page.url}: {ids}"


def assert_time_in_paris(time: Locator) -> None:
    """A time written by the page's script matches the server's: the person's zone."""
    created = datetime.fromisoformat(time.get_attribute("datetime") or "")
    expected = created.astimezone(PARIS).strftime("%H:%M")
    expect(time).to_have_text(expected)


def assert_shown_once(page: Page, *texts: str) -> None:
    """Each text is in exactly one message, and they come in this order."""
    bodies = messages(page).locator(".message-text").all_inner_texts()
    for text in texts:
        assert bodies.count(text) == 1, f"{text!r} shown {bodies.count(text)} times: {bodies}"
    positions = [bodies.index(text) for text in texts]
    assert positions == sorted(positions), f"out of order: {bodies}"


# 1. Two tablets, live -------------------------------------------------------------------


@pytest.mark.browser
def test_two_tablets_exchange_text_quick_reply_photo_and_voice_live(
    new_page: NewPage, seed: Seed, tmp_path: Path
) -> None:
    rose, louis = seed.residents["rose"], seed.residents["louis"]
    first = tablet(new_page, rose)
    first.context.grant_permissions(["microphone"])
    # Louis's tablet clock is not on Paris time; his pages still show his own (Paris) time.
    second = tablet(new_page, louis, timezone_id="UTC")

    # Rose starts the conversation by tapping Louis's photo.
    first.goto("/messages/new")
    first.get_by_role("button", name=louis.full_name).click()
    first.wait_for_url(CONVERSATION_URL)
    match = CONVERSATION_URL.search(first.url)
    assert match
    conversation_id = int(match.group(1))
    wait_until_live(first)

    # Louis finds it in his messages.
    second.goto("/messages")
    second.get_by_role("link", name=rose.full_name).click()
    second.wait_for_url(f"**/messages/{conversation_id}")
    wait_until_live(second)

    # Text: it arrives on Louis's tablet once, and Rose's copy gets its server id.
    hello = "Bonjour Louis ! Vous avez vu les tulipes du jardin ?"
    send_text(first, hello)
    expect(message_with(second, hello)).to_have_count(1, timeout=LIVE_MS)
    expect(message_with(first, hello)).to_have_attribute("data-message-id", re.compile(r"\d+"))
    assert_time_in_paris(message_with(second, hello).locator(".message-time"))
    # Louis's page is open: Rose sees that he read it.
    expect(first.locator("#receipt")).to_contain_text(WORDS["fr"]["read"], timeout=LIVE_MS)

    # A quick reply from Louis.
    reply = second.locator(".quick-reply").first
    reply_text = reply.get_attribute("data-text") or ""
    assert reply_text
    reply.click()
    from_louis = first.locator("#messages > li.message:not(.message-mine)")
    expect(from_louis.filter(has_text=reply_text)).to_have_count(1, timeout=LIVE_MS)

    # A photo from Rose: Louis sees the picture itself, loaded.
    photo = tmp_path / "tulipes.jpg"
    photo.write_bytes(jpeg_bytes(colour="#cc3355"))
    first.locator("#photo-input").set_input_files(photo)
    image = messages(second).locator("img.message-photo")
    expect(image).to_have_count(1, timeout=LIVE_MS)
    second.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )

    # A voice message from Rose: record, wait, tap again to send.
    record = first.locator("#record")
    expect(record).to_be_visible()
    record.click()
    expect(record).to_have_attribute("aria-pressed", "true")
    first.wait_for_timeout(1_500)
    record.click()
    play = messages(second).locator(".play-button")
    expect(play).to_have_count(1, timeout=LIVE_MS)
    expect(play).to_contain_text(WORDS["fr"]["listen"])
    expect(messages(first).locator(".play-button")).to_have_count(1, timeout=LIVE_MS)

    for page in (first, second):
        expect(messages(page)).to_have_count(4)
        assert_each_message_once(page)
        assert_shown_once(page, hello, reply_text)
        assert_not_reloaded(page)
    expect(first.locator(".message-pending")).to_have_count(0)


# 2. Catching up after a sleep -----------------------------------------------------------


@pytest.mark.browser
def test_a_tablet_back_online_shows_what_it_missed_once_and_in_order(
    new_page: NewPage, seed: Seed
) -> None:
    conversation_id = seed.conversations["offline"]
    germaine = tablet(new_page, seed.residents["germaine"])
    robert = tablet(new_page, seed.residents["robert"])
    open_conversation(germaine, conversation_id)
    open_conversation(robert, conversation_id)

    germaine.context.set_offline(True)
    wait_disconnected(germaine)
    texts = [f"Germaine, message {n} pendant votre sieste" for n in (1, 2, 3)]
    for text in texts:
        send_text(robert, text)
        expect(message_with(robert, text)).to_have_attribute("data-message-id", re.compile(r"\d"))
    expect(messages(germaine).filter(has_text="pendant votre sieste")).to_have_count(0)

    germaine.context.set_offline(False)
    for text in texts:
        expect(message_with(germaine, text)).to_have_count(1, timeout=RECONNECT_MS)
    germaine.wait_for_timeout(500)  # late live events or a second catch-up would show now
    expect(messages(germaine)).to_have_count(len(texts))
    assert_each_message_once(germaine)
    assert_shown_once(germaine, *texts)
    assert_not_reloaded(germaine)


# 3. The outbox --------------------------------------------------------------------------


@pytest.mark.browser
def test_a_message_written_offline_waits_then_leaves_once(new_page: NewPage, seed: Seed) -> None:
    conversation_id = seed.conversations["outbox"]
    yvonne_person = seed.residents["yvonne"]
    yvonne = tablet(new_page, yvonne_person)
    andre = tablet(new_page, seed.residents["andre"])
    open_conversation(yvonne, conversation_id)
    open_conversation(andre, conversation_id)

    yvonne.context.set_offline(True)
    wait_disconnected(yvonne)
    text = "André, je passe vous voir demain à 15 h."
    send_text(yvonne, text)
    pending = message_with(yvonne, text)
    expect(pending).to_have_count(1)
    expect(pending).to_have_class(re.compile(r"\bmessage-pending\b"))
    expect(pending).to_contain_text(WORDS["fr"]["pending"])
    assert pending.get_attribute("data-message-id") is None
    expect(yvonne.locator("#body")).to_have_value("")  # the composer is ready for the next one
    status = yvonne.locator("#composer-status")
    expect(status).not_to_be_empty()  # says it will leave when the connection returns
    check_accessibility(yvonne)

    yvonne.context.set_offline(False)
    expect(pending).to_have_attribute("data-message-id", re.compile(r"\d+"), timeout=RECONNECT_MS)
    expect(pending).not_to_have_class(re.compile(r"\bmessage-pending\b"))
    expect(status).to_be_empty()
    expect(message_with(andre, text)).to_have_count(1, timeout=LIVE_MS)
    andre.wait_for_timeout(500)  # a second delivery of the same send would show now
    for page in (yvonne, andre):
        expect(message_with(page, text)).to_have_count(1)
        assert_each_message_once(page)
        assert_not_reloaded(page)
    assert message_with(andre, text).get_attribute("data-message-id") == pending.get_attribute(
        "data-message-id"
    )
    assert yvonne.evaluate("() => window.bonVoisin.outbox.list()") == []


# 4. Access ------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_resident_outside_a_conversation_gets_the_not_found_page(
    new_page: NewPage, seed: Seed
) -> None:
    simone = tablet(new_page, seed.residents["simone"])
    response = simone.goto(f"/messages/{seed.conversations['pages']}")
    assert response is not None and response.status == 404
    expect(simone.get_by_role("alert")).to_have_text(NOT_FOUND)
    # Nothing of the conversation leaks.
    assert simone.locator("#messages").count() == 0
    assert "goûter" not in simone.content()


# 5. One renderer: a message live and after a reload -------------------------------------


@dataclass(frozen=True)
class NewsSeed:
    conversation_id: int  # the building's announcements: their messages carry reactions
    staff_email: str
    staff_name: str
    reader: Resident


@pytest.fixture(scope="module")
def news_seed(seed: Seed) -> NewsSeed:
    """A building of its own (its announcements reach no other test), its coordinator and
    one resident with a card."""
    from messaging import service as messaging
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app
    from tests.factories import make_building, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = make_building(name="Résidence des Cèdres")
        staff = make_staff(buildings=[building], email="annonces@cedres.example.org")
        person = make_resident(building, first_name="Odile", last_name="Brunet", pin=PIN)
        reader = Resident(person.id, "Odile", "Brunet", do_issue_card(person, issued_by=None))
        result = NewsSeed(
            conversation_id=messaging.get_or_create_announcements(building.id).id,
            staff_email=staff.email or "",
            staff_name=staff.full_name,
            reader=reader,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


# Every element with its sorted attributes and its words, whitespace aside; the CSRF token
# is signed afresh for each page.
MARKUP = """(root) => {
  const describe = (el) => [
    el.tagName.toLowerCase(),
    [...el.attributes]
      .map((a) => [a.name, el.name === 'csrf_token' && a.name === 'value' ? 'token' : a.value])
      .sort(),
    [...el.childNodes].flatMap((child) => {
      if (child.nodeType === Node.ELEMENT_NODE) return [describe(child)];
      const text = child.nodeType === Node.TEXT_NODE ? child.data.replace(/\\s+/g, ' ').trim() : '';
      return text ? [text] : [];
    }),
  ];
  return describe(root);
}"""


def markup_by_id(page: Page) -> dict[str, object]:
    return {
        message.get_attribute("data-message-id") or "": message.evaluate(MARKUP)
        for message in messages(page).all()
    }


@pytest.mark.browser
def test_a_message_received_live_reads_the_same_after_a_reload(
    new_page: NewPage, seed: Seed, news_seed: NewsSeed, tmp_path: Path
) -> None:
    reader = tablet(new_page, news_seed.reader)
    open_conversation(reader, news_seed.conversation_id)
    expect(messages(reader)).to_have_count(0)
    staff = new_page()
    login_staff(staff, replace(seed, staff_email=news_seed.staff_email))
    open_conversation(staff, news_seed.conversation_id)

    # The coordinator writes a text and sends a photo; the resident's open page shows both.
    text = "La chaudière sera révisée jeudi matin."
    send_text(staff, text)
    expect(message_with(reader, text)).to_have_count(1, timeout=LIVE_MS)
    photo = tmp_path / "chaudiere.jpg"
    photo.write_bytes(jpeg_bytes(colour="#aa7733"))
    staff.locator("#photo-input").set_input_files(photo)
    expect(messages(reader).locator("img.message-photo")).to_have_count(1, timeout=LIVE_MS)
    assert_not_reloaded(reader)

    # Where the two renderers used to differ: reactions, the Report form, the photo's text.
    live = markup_by_id(reader)
    assert len(live) == 2 and all(live), live
    for message_id in live:
        message = reader.locator(f"#message-{message_id}")
        expect(message.locator(".reactions .reaction")).to_have_count(5)
        report = message.locator("form.report-form")
        expect(report).to_have_attribute("action", f"/messages/report/{message_id}")
        expect(report.locator("input[name=csrf_token]")).to_have_count(1)
    alt = f"Photo envoyée par {news_seed.staff_name}"
    expect(messages(reader).locator("img.message-photo")).to_have_attribute("alt", alt)

    # The same messages drawn by the server after a reload: the same markup, part for part.
    reader.reload()
    wait_until_live(reader)
    expect(messages(reader)).to_have_count(2)
    assert markup_by_id(reader) == live


# 6. Accessibility -----------------------------------------------------------------------


def check_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_messaging_pages_are_accessible_and_fit_a_tablet(
    new_page: NewPage, seed: Seed, lang: str
) -> None:
    # Claire has no saved language: the tablet's own language chooses the pages'.
    page = new_page(locale=LOCALES[lang])
    login_with_card(page, seed.residents["claire"], lang)
    assert page.locator("html").get_attribute("lang") == lang

    page.goto("/messages")
    expect(page.locator("#conversation-list .conversation-item").first).to_be_visible()
    check_page(page)

    # A conversation with a text, a photo and a voice message, its scripts running.
    open_conversation(page, seed.conversations["pages"])
    expect(messages(page)).to_have_count(4)
    expect(messages(page).locator(".play-button")).to_contain_text(WORDS[lang]["listen"])
    page.wait_for_function(
        "() => [...document.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth)"
    )
    check_page(page)
    page.set_viewport_size(NARROW)
    check_no_horizontal_scroll(page)
    page.set_viewport_size(TABLET_PORTRAIT)

    for path in (
        "/messages/new",
        "/messages/groups/new",
        "/messages/search?q=xx",
        f"/messages/search?q={SEARCHED}",
    ):
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        check_page(page)
        if path == "/messages/new":
            # Names under the photos are read at the page's size, not the buttons' default.
            name_size = page.locator(".person-name").first.evaluate(
                "(el) => parseFloat(getComputedStyle(el).fontSize)"
            )
            assert name_size >= 18

    # A result leads to the message itself in its conversation.
    expect(page.locator(".search-results > li")).to_have_count(1)
    page.get_by_role("link", name=WORDS[lang]["open"]).click()
    page.wait_for_url(re.compile(r"/messages/\d+#message-\d+$"))
    expect(page.locator("#messages > li:target")).to_contain_text(SEARCHED)
