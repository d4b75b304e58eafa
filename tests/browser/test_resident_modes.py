"""Every resident page, in each reading mode a resident can choose (usual, simplified,
easy-to-read, high contrast) and in each language (fr, en, ar): zero axe violations and no
sideways scrolling on the tablet. The pages of one thing (a conversation, an activity's date
and the question before cancelling one's place, an announcement, a repair report) are opened
on things of the resident's own, seeded with what makes those pages their fullest: photos, a
voice message, an answer from the desk."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Resident,
    Seed,
    check_accessibility,
    jpeg_bytes,
    seeded_app,
)

MODES: dict[str, dict[str, bool]] = {
    "usual": {},
    "simplified": {"simplified_mode": True},
    "easy_read": {"easy_read": True},
    "high_contrast": {"high_contrast": True},
}
LANGS = ("fr", "en", "ar")

# The pages a resident reaches (every parameterless page that answers a resident, their
# family circle, and the pages of one thing, on the resident's own); `{me}` is the resident's
# own id, the other fields those of `ResidentsThings`.
PAGES = (
    "/",
    "/messages",
    "/messages/{conversation}",
    "/messages/new",
    "/messages/groups/new",
    "/messages/search",
    "/neighbours",
    "/neighbours/ask",
    "/neighbours/offer",
    "/directory",
    "/activities",
    "/activities/occurrences/{signed_up}",
    "/activities/occurrences/{signed_up}/cancel",
    "/activities/occurrences/{not_signed_up}",
    "/activities/my-calendar",
    "/activities/propose",
    "/activities/rooms",
    "/announcements",
    "/announcements/{announcement}",
    "/my-home",
    "/my-home/visits/new",
    "/tickets",
    "/tickets/{ticket}",
    "/tickets/new",
    "/help",
    "/help-me",
    "/wellbeing",
    "/wellbeing/contacts/new",
    "/notifications",
    "/profile",
    "/settings",
    "/settings/pin",
    "/calls",
    "/voice",
    "/voice/ideas",
    "/voice/ideas/new",
    "/voice/decisions",
    "/my-data/erasure-request",
    "/family/residents/{me}",
    "/family/residents/{me}/invite",
)

_SIDEWAYS = "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"


@dataclass(frozen=True)
class ResidentsThings:
    """The ids of one resident's things, for the pages of one thing."""

    conversation: int  # with Maurice, her neighbour: a text each, a photo, a voice message
    ticket: int  # her repair report, with a photo and the desk's answer
    signed_up: int  # an activity's date she has a place at (and may cancel it)
    not_signed_up: int  # another activity's date (its sign-up form)
    announcement: int  # the building's pinned announcement, with a photo


@dataclass(frozen=True)
class ModesSeed:
    residents: dict[tuple[str, str], Resident]
    things: dict[tuple[str, str], ResidentsThings]


@pytest.fixture(scope="module")
def mode_residents(seed: Seed) -> ModesSeed:
    """One resident per (mode, language), in a building of their own, each with her own
    conversation and repair report; an activity they all signed up to, one none did, and a
    pinned announcement."""
    from activities import service as activities
    from concierge.desk import tickets
    from messaging import service as messaging
    from messaging.announcements import service as announcements
    from portal.auth.service import do_issue_card
    from portal.db import utcnow
    from portal.extensions import db
    from portal.people.models import Person, Role
    from tests import media
    from tests.factories import make_building, make_resident, make_staff

    residents: dict[tuple[str, str], Resident] = {}
    people: dict[tuple[str, str], Person] = {}
    # Maurice writes to all twelve in one go: above the per-person sending rate.
    with (
        seeded_app(seed, MESSAGING_SEND_LIMIT="1000/second") as app,
        app.test_request_context(),
    ):
        tag = uuid.uuid4().hex[:6]
        building = make_building(name=f"Résidence des Saules {tag}")
        coordinator = make_staff(Role.COORDINATOR, [building])
        for mode, settings in MODES.items():
            for lang in LANGS:
                person = make_resident(building, first_name="Yvonne", last_name=f"{mode}-{lang}")
                person.locale = lang
                for name, value in settings.items():
                    setattr(person, name, value)
                db.session.commit()
                token = do_issue_card(person, issued_by=None)
                residents[(mode, lang)] = Resident(person.id, "Yvonne", person.last_name, token)
                people[(mode, lang)] = person
        maurice = make_resident(building, first_name="Maurice", last_name="Lenoir")

        def activity(title: str, days: int) -> int:
            start = utcnow() + timedelta(days=days)
            planned = activities.do_create_activity(
                coordinator,
                building.id,
                title=f"{title} {tag}",
                category="games",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=30,
                place="Salle commune",
                description="On joue ensemble, débutants bienvenus.",
            )
            return planned.occurrences[0].id

        signed_up, not_signed_up = activity("Belote", 3), activity("Scrabble", 5)
        photo, sound = jpeg_bytes(), media.recording("chrome", 2.5)
        announcement = announcements.do_publish(
            coordinator,
            building_id=building.id,
            title="Coupure d'eau mardi",
            body="L'eau est coupée mardi de 9 h à 11 h. Pensez à remplir une carafe.",
            pinned=True,
            photo=photo,
        ).id

        def send(sender: Person, conversation: int, **fields: Any) -> None:
            messaging.do_send_message(sender, conversation, client_id=str(uuid.uuid4()), **fields)

        things: dict[tuple[str, str], ResidentsThings] = {}
        for key, person in people.items():
            conversation = messaging.get_or_create_direct(person, maurice.id).id
            send(person, conversation, body="Bonjour Maurice, vous venez au goûter jeudi ?")
            send(maurice, conversation, body="Avec plaisir ! J'apporte des crêpes.")
            picture = messaging.do_save_upload(person, "photo", photo)
            send(person, conversation, kind="photo", attachment_id=picture.id)
            voice = messaging.do_save_upload(maurice, "voice", sound, 2500)
            send(maurice, conversation, kind="voice", attachment_id=voice.id)
            ticket = tickets.do_create_ticket(
                person, category="heating", description="Le radiateur reste froid.", photos=[photo]
            )
            tickets.do_add_reply(coordinator, ticket.id, "Le chauffagiste passe lundi.")
            activities.do_sign_up(person, signed_up, guests=0, show_name=True)
            things[key] = ResidentsThings(
                conversation, ticket.id, signed_up, not_signed_up, announcement
            )
        db.session.commit()  # the server reads them from its own process
    return ModesSeed(residents, things)


def come_in(page: Page, resident: Resident, lang: str) -> None:
    """Open the card link on a tablet speaking the resident's language and come in."""
    page.goto(resident.card_path)
    page.get_by_role("button", name=TEXT[lang]["come_in"]).click()
    page.wait_for_url("**/")
    page.locator("h1").wait_for()


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("mode", list(MODES))
def test_every_resident_page_passes_axe_in_each_mode_and_language(
    new_page: NewPage, mode_residents: ModesSeed, mode: str, lang: str
) -> None:
    resident = mode_residents.residents[(mode, lang)]
    page = new_page(locale=LOCALES[lang])
    come_in(page, resident, lang)
    things = mode_residents.things[(mode, lang)]
    for template in PAGES:
        path = template.format(me=resident.id, **asdict(things))
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert urlparse(page.url).path == path, f"{path} went on to {page.url}"
        assert page.locator("html").get_attribute("lang") == lang, path
        check_accessibility(page)
        assert not page.evaluate(_SIDEWAYS), f"{path} scrolls sideways"
