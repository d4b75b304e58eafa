"""Video calls in the browser, with Chromium's fake camera and microphone: a relative calls
the resident's tablet from their conversation, the tablet rings full-screen, the resident
answers, the two connect and each receives the other's media (inbound RTP bytes grow, read
from RTCPeerConnection.getStats); hanging up ends the call on both screens; a call to
someone one may not call is refused by the server; "Not now" leaves a missed call in the
conversation. Every call screen has no axe violation and 48 px targets."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    LOCALES,
    PIN,
    NewPage,
    Resident,
    Seed,
    check_no_horizontal_scroll,
    check_page,
    login_staff_as,
    login_with_card,
    seeded_app,
    wait_connected,
)

PASSWORD = "a long family password 2026"
MEDIA = {"permissions": ["camera", "microphone"]}
LANDSCAPE = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}

INBOUND_BYTES = """async () => {
  const peer = window.bonVoisin.calls.peer;
  if (!peer) { return -1; }
  let total = 0;
  (await peer.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp") { total += report.bytesReceived || 0; }
  });
  return total;
}"""

START_CALL = """(calleeId) => new Promise((resolve) => {
  window.bonVoisin.socket.emit("call_start", { callee_id: calleeId }, resolve);
})"""


@dataclass(frozen=True)
class CallsSeed:
    resident: Resident  # the tablet that rings
    neighbour: Resident  # same building: residents do not call each other; reads at 200 %
    relative_email: str  # the resident's daughter, in her family circle
    relative_id: int
    relative_conversation: int
    coordinator_email: str
    coordinator_conversation: int  # Lucien's, with the coordinator


@pytest.fixture(scope="module")
def calls_seed(seed: Seed) -> CallsSeed:
    """A building of its own in the seeded database: a resident with a card, her neighbour,
    her coordinator, and her daughter who joined her family circle with a password."""
    from messaging import service as messaging
    from messaging.family import service as family
    from portal import mail
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.people.models import Building, Organisation, Role
    from tests.factories import make_building, make_resident, make_staff

    with seeded_app(seed) as app, app.test_request_context():
        first = db.session.get(Building, seed.building_id)
        org = db.session.get(Organisation, first.organisation_id)
        building = make_building(org, "Résidence des Magnolias")
        coordinator = make_staff(Role.COORDINATOR, [building], email="magnolias-coord@example.org")
        # English: the missed call is written in her language, whatever is translated.
        person = make_resident(
            building, first_name="Marguerite", last_name="Dupuis", pin=PIN, locale="en"
        )
        neighbour = make_resident(
            building, first_name="Lucien", last_name="Morel", pin=PIN, locale="en"
        )
        neighbour.text_size = 200
        db.session.commit()
        lucien = Resident(neighbour.id, "Lucien", "Morel", do_issue_card(neighbour, issued_by=None))
        db.session.commit()
        resident = Resident(
            person.id, "Marguerite", "Dupuis", do_issue_card(person, issued_by=None)
        )
        email = "sophie.dupuis@example.org"
        family.do_invite(
            person,
            person.id,
            first_name="Sophie",
            last_name="Dupuis",
            relation="my daughter",
            channel="email",
            email=email,
            consent=False,
        )
        db.session.commit()
        token = mail.outbox()[-1].body.split("/family/join/")[1].split()[0]
        relative = family.do_join(
            token,
            first_name="Sophie",
            last_name="Dupuis",
            email=email,
            use_password=True,
            password=PASSWORD,
            confirm=PASSWORD,
        )
        db.session.commit()
        [link] = family.list_residents_of(relative)
        with_staff = messaging.get_or_create_direct(neighbour, coordinator.id)
        db.session.commit()
        return CallsSeed(
            resident=resident,
            neighbour=lucien,
            relative_email=email,
            relative_id=relative.id,
            relative_conversation=link.conversation_id,
            coordinator_email="magnolias-coord@example.org",
            coordinator_conversation=with_staff.id,
        )


def login_relative(page: Page, email: str) -> None:
    page.goto("/family/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url("**/family**")


def inbound_bytes(page: Page) -> int:
    return int(page.evaluate(INBOUND_BYTES))


def wait_for_more_media(page: Page, floor: int) -> int:
    """Wait until this side has received more than `floor` bytes of media; returns it."""
    for _attempt in range(100):
        received = inbound_bytes(page)
        if received > floor:
            return received
        page.wait_for_timeout(200)
    raise AssertionError(f"{page.url}: no media received beyond {floor} bytes")


@pytest.mark.browser
def test_a_relative_calls_the_tablet_and_they_see_each_other(
    new_page: NewPage, calls_seed: CallsSeed
) -> None:
    tablet = new_page(locale=LOCALES["en"], **MEDIA)
    login_with_card(tablet, calls_seed.resident, "en")
    wait_connected(tablet)
    phone = new_page(locale=LOCALES["en"], **MEDIA)
    login_relative(phone, calls_seed.relative_email)
    phone.goto(f"/messages/{calls_seed.relative_conversation}")
    wait_connected(phone)

    # One tap in the conversation calls her.
    phone.get_by_role("button", name="Video call").click()
    caller_screen = phone.locator("#call-overlay")
    expect(caller_screen).to_have_attribute("data-call-state", "calling")
    expect(caller_screen.get_by_role("heading", name="Marguerite Dupuis")).to_be_visible()

    # The tablet rings full-screen: the caller's photo and name, Answer and Not now.
    ring = tablet.get_by_role("dialog", name="Sophie Dupuis")
    expect(ring).to_be_visible()
    expect(ring).to_contain_text("is calling you by video")
    photo = ring.locator("img[data-call-photo]")
    expect(photo).to_have_attribute("src", f"/people/{calls_seed.relative_id}/avatar.svg")
    tablet.wait_for_function("() => document.querySelector('[data-call-photo]').naturalWidth > 0")
    expect(ring.get_by_role("button", name="Not now")).to_be_visible()
    check_page(tablet)
    ring.get_by_role("button", name="Answer").click()

    # Both connect, and each receives the other's media.
    for page in (tablet, phone):
        expect(page.locator("#call-overlay")).to_have_attribute(
            "data-connection", "connected", timeout=20_000
        )
        expect(page.locator("#call-overlay")).to_have_attribute("data-call-state", "connected")
    first = {name: wait_for_more_media(page, 0) for name, page in (("t", tablet), ("p", phone))}
    wait_for_more_media(tablet, first["t"])
    wait_for_more_media(phone, first["p"])
    check_page(tablet)
    check_page(phone)

    # The microphone can be turned off and on again, and says so.
    mic = tablet.get_by_role("button", name="Turn off my microphone")
    mic.click()
    expect(tablet.get_by_role("button", name="Turn on my microphone")).to_have_attribute(
        "aria-pressed", "true"
    )

    # Hanging up ends the call on both screens.
    tablet.get_by_role("button", name="Hang up").click()
    for page in (tablet, phone):
        screen = page.locator("#call-overlay")
        expect(screen).to_have_attribute("data-call-state", "ended")
        expect(screen).to_contain_text("The call has ended.")
    check_page(phone)
    assert phone.evaluate("() => window.bonVoisin.calls.peer") is None
    tablet.get_by_role("button", name="Close").click()
    expect(tablet.locator("#call-overlay")).to_be_hidden()

    # The call log shows the call, with its length.
    tablet.goto("/calls")
    expect(tablet.locator('[data-call-log="answered"]').first).to_contain_text("Sophie Dupuis")
    check_page(tablet)

    # The relative's calls page, on her phone: whom she may call (her mother only) and the
    # call she made.
    phone.set_viewport_size(PHONE)
    phone.goto("/calls")
    wait_connected(phone)
    expect(phone.get_by_role("button", name="Call Marguerite")).to_be_visible()
    expect(phone.locator("[data-call-person]")).to_have_count(1)
    expect(phone.locator('[data-call-log="answered"]').first).to_contain_text("Marguerite Dupuis")
    check_page(phone)
    check_no_horizontal_scroll(phone)


@pytest.mark.browser
def test_a_call_to_someone_one_may_not_call_is_refused_by_the_server(
    new_page: NewPage, calls_seed: CallsSeed
) -> None:
    tablet = new_page(locale=LOCALES["en"], **MEDIA)
    login_with_card(tablet, calls_seed.resident, "en")
    wait_connected(tablet)
    ack = tablet.evaluate(START_CALL, calls_seed.neighbour.id)
    assert ack["ok"] is False and ack["error"] == "forbidden"
    assert ack["message"] == "You cannot call this person."


@pytest.mark.browser
def test_not_now_tells_the_caller_and_leaves_a_missed_call(
    new_page: NewPage, calls_seed: CallsSeed
) -> None:
    # Lucien reads at 200 %, his tablet in landscape: the ring screen still fits.
    tablet = new_page(locale=LOCALES["en"], viewport=LANDSCAPE, **MEDIA)
    login_with_card(tablet, calls_seed.neighbour, "en")
    wait_connected(tablet)
    desk = new_page(locale=LOCALES["en"], **MEDIA)
    login_staff_as(desk, calls_seed.coordinator_email, "en")
    desk.goto(f"/messages/{calls_seed.coordinator_conversation}")
    wait_connected(desk)

    desk.get_by_role("button", name="Video call").click()
    ring = tablet.locator("#call-overlay")
    expect(ring).to_have_attribute("data-call-state", "ringing")
    for name in ("Answer", "Not now"):
        expect(ring.get_by_role("button", name=name)).to_be_in_viewport()
    check_no_horizontal_scroll(tablet)
    check_page(tablet)
    ring.get_by_role("button", name="Not now").click()
    expect(ring).to_be_hidden()
    expect(desk.locator("#call-overlay")).to_contain_text("cannot answer now")
    check_page(desk)

    tablet.goto(f"/messages/{calls_seed.coordinator_conversation}")
    expect(tablet.locator("#messages")).to_contain_text("Missed video call from")
