"""Residents' voice in the browser: a question answered in one tap from two homes with the
bars moving live on the other screens; an idea supported and answered, its author seeing the
status change live; a meeting's decision marked done and its participants told. Every page
passes axe, has 48 px targets and fits a 768 x 1024 tablet, at 200 % text too."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    wait_connected,
)
from tests.factories import STAFF_PASSWORD

STAFF_EMAIL = "voix@peupliers.example.org"
TABLET_LANDSCAPE = {"width": 1024, "height": 768}
LIVE_TIMEOUT = 10_000


@dataclass(frozen=True)
class VoiceSeed:
    building_id: int
    voters: tuple[Resident, Resident]  # answer the question from their homes
    author: Resident  # shares an idea, watches its status
    supporter: Resident  # supports it
    large: Resident  # reads at 200 % text; took part in the meeting
    participant: Resident  # took part in the meeting too
    meeting_id: int


@pytest.fixture(scope="module")
def voice_seed(seed: Seed) -> VoiceSeed:
    """A building of its own (no other test's question shows there), its coordinator, six
    residents with cards and a meeting two of them signed up to."""
    from activities import service as activities
    from activities.voice import service
    from portal.auth.service import do_issue_card
    from portal.extensions import db
    from portal.factory import create_app
    from tests.factories import make_building, make_dwelling, make_resident, make_staff

    app = create_app(
        {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": seed.database_uri,
            "PORTAL_UPLOAD_DIR": seed.upload_dir,
        }
    )
    with app.app_context(), app.test_request_context():
        building = make_building(name="Résidence des Peupliers")
        coordinator = make_staff(buildings=[building], email=STAFF_EMAIL)
        made: dict[str, Resident] = {}
        names = [
            ("ginette", "Ginette", "Royer"),
            ("marius", "Marius", "Caron"),
            ("odile", "Odile", "Marchand"),
            ("fatou", "Fatou", "Diallo"),
            ("lucien", "Lucien", "Brun"),
            ("yves", "Yves", "Masson"),
        ]
        for index, (key, first, last) in enumerate(names):
            dwelling = make_dwelling(building, f"3{index:02d}", floor=3)
            person = make_resident(
                building, dwelling=dwelling, first_name=first, last_name=last, pin=PIN
            )
            person.text_size = 200 if key == "lucien" else 100
            db.session.commit()
            made[key] = Resident(person.id, first, last, do_issue_card(person, issued_by=None))
        starts = datetime.now(UTC) + timedelta(days=1)
        meeting = service.do_create_meeting(
            coordinator,
            building.id,
            title="Café concertation",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            place="Salle commune",
        )
        occurrence = service.first_occurrence(meeting)
        assert occurrence is not None
        from portal.people.models import Person

        for key in ("lucien", "yves"):
            person = db.session.get(Person, made[key].id)
            activities.do_sign_up(person, occurrence.id)
        service.do_create_poll(
            coordinator,
            building.id,
            question="Un marché dans la cour, le samedi ?",
            choices=[
                service.ChoiceInput("Oui", "thumbs-up"),
                service.ChoiceInput("Plutôt le dimanche", "calendar"),
            ],
            closes_at=datetime.now(UTC) + timedelta(days=10),
            anonymous=True,
        )
        yves = db.session.get(Person, made["yves"].id)
        service.do_post_idea(yves, kind="idea", text="Un composteur pour les épluchures")
        result = VoiceSeed(
            building.id,
            (made["ginette"], made["marius"]),
            made["odile"],
            made["fatou"],
            made["lucien"],
            made["yves"],
            meeting.id,
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def login_voice_staff(page: Page, lang: str = "fr") -> None:
    page.goto("/login/staff")
    page.locator("#email").fill(STAFF_EMAIL)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


def check_page(page: Page) -> None:
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


def total_on(page: Page) -> str | None:
    return page.locator("[data-results] [data-total]").first.get_attribute("data-total")


@pytest.mark.browser
def test_a_question_is_answered_in_one_tap_and_the_bars_move_live(
    new_page: NewPage, voice_seed: VoiceSeed
) -> None:
    staff = new_page()
    login_voice_staff(staff)
    staff.goto("/voice")
    check_page(staff)
    staff.goto("/voice/polls/new")
    check_page(staff)
    staff.locator("#question").fill("Quand faire la fête des voisins ?")
    staff.locator("#label_0").fill("Le matin")
    staff.locator("input[name=icon_0][value=sun]").check()
    staff.locator("#label_1").fill("Le soir")
    staff.locator("input[name=icon_1][value=moon]").check()
    staff.locator("#label_2").fill("Avec un repas")
    staff.locator("input[name=icon_2][value=utensils]").check()
    staff.locator("form.form button[type=submit]").click()
    staff.wait_for_url("**/voice/polls/*")
    poll_path = staff.url.split("//", 1)[1].split("/", 1)[1]
    expect(staff.locator("[data-results] [data-total]")).to_have_attribute("data-total", "0")
    check_page(staff)

    first, second = (new_page() for _ in range(2))
    login_with_card(first, voice_seed.voters[0])
    panel = first.locator('[data-panel="voice"]')
    expect(panel).to_contain_text("Quand faire la fête des voisins ?")
    assert panel.locator("svg.voice-icon").count() >= 3  # a pictogram beside each answer
    check_page(first)
    # One tap from the home: the answer is saved and the bars show.
    panel.get_by_role("button", name="Le soir").click()
    first.wait_for_url("**/")
    expect(first.locator('[data-panel="voice"] [data-total]')).to_have_attribute("data-total", "1")
    check_page(first)

    login_with_card(second, voice_seed.voters[1])
    second_panel = second.locator('[data-panel="voice"]')
    expect(second_panel.locator("[data-results]")).to_have_count(0)  # not before answering
    second_panel.get_by_role("button", name="Avec un repas").click()
    second.wait_for_url("**/")
    # The bars move live on the other screens: the first home and the staff's page.
    expect(first.locator('[data-panel="voice"] [data-total]')).to_have_attribute(
        "data-total", "2", timeout=LIVE_TIMEOUT
    )
    expect(staff.locator("[data-results] [data-total]")).to_have_attribute(
        "data-total", "2", timeout=LIVE_TIMEOUT
    )
    meal = staff.locator("[data-results] .voice-bar").nth(2)
    expect(meal).to_have_attribute("data-votes", "1")

    # A change of mind is one tap too, and still one vote.
    first.locator('[data-panel="voice"]').get_by_role("button", name="Avec un repas").click()
    first.wait_for_url("**/")
    expect(staff.locator("[data-results] .voice-bar").nth(2)).to_have_attribute(
        "data-votes", "2", timeout=LIVE_TIMEOUT
    )
    expect(staff.locator("[data-results] [data-total]")).to_have_attribute("data-total", "2")

    # On paper, for the hall.
    staff.goto(f"/{poll_path}/print")
    expect(staff.locator(".voice-print")).to_contain_text("Avec un repas")
    check_page(staff)

    # 200 % text, portrait and landscape.
    large = new_page()
    login_with_card(large, voice_seed.large)
    assert "text-200" in (large.locator("html").get_attribute("class") or "").split()
    expect(large.locator('[data-panel="voice"]')).to_contain_text("Quand faire")
    check_page(large)
    large.goto(f"/{poll_path}")
    check_page(large)
    wide = new_page(viewport=TABLET_LANDSCAPE)
    login_with_card(wide, voice_seed.participant)
    check_page(wide)


@pytest.mark.browser
def test_an_idea_is_supported_and_answered_and_its_author_sees_it_live(
    new_page: NewPage, voice_seed: VoiceSeed
) -> None:
    author = new_page()
    login_with_card(author, voice_seed.author)
    author.goto("/voice/ideas")
    check_page(author)
    author.goto("/voice/ideas/new")
    check_page(author)
    author.locator("#text").fill("Des bacs à fleurs devant l'entrée")
    author.locator("form.form button[type=submit]").click()
    author.wait_for_url("**/voice/ideas/*")
    idea_path = "/" + author.url.split("//", 1)[1].split("/", 1)[1]
    check_page(author)
    expect(author.locator("[data-supporters]").first).to_have_attribute("data-supporters", "0")

    supporter = new_page()
    login_with_card(supporter, voice_seed.supporter)
    supporter.goto("/voice/ideas")
    expect(supporter.locator(".voice-board")).to_contain_text("Des bacs à fleurs")
    supporter.goto(idea_path)
    supporter.locator('form[action$="/support"] button').click()
    supporter.wait_for_url(f"**{idea_path}")
    check_page(supporter)
    expect(author.locator("[data-supporters]").first).to_have_attribute(
        "data-supporters", "1", timeout=LIVE_TIMEOUT
    )

    staff = new_page()
    login_voice_staff(staff)
    staff.goto(idea_path)
    check_page(staff)
    staff.locator('input[name=status][value="planned"]').check()
    staff.locator("#answer").fill("Au printemps, avec le jardinier.")
    staff.locator('form[action$="/answer"] button[type=submit]').click()
    staff.wait_for_url(f"**{idea_path}")

    # The author's open page shows the new status and the answer, without reloading.
    expect(author.locator("[data-status]").first).to_have_attribute(
        "data-status", "planned", timeout=LIVE_TIMEOUT
    )
    expect(author.locator(".voice-answer")).to_contain_text("Au printemps")
    author.goto("/notifications")
    # In her language ("Prévue"; "Planned" while the French catalogue lacks it).
    expect(author.locator("main .notification-title").first).to_contain_text(
        re.compile("Prévue|Planned")
    )


@pytest.mark.browser
def test_a_decision_marked_done_tells_the_participants(
    new_page: NewPage, voice_seed: VoiceSeed
) -> None:
    staff = new_page()
    login_voice_staff(staff)
    meeting_path = f"/voice/meetings/{voice_seed.meeting_id}"
    staff.goto(meeting_path)
    check_page(staff)
    staff.locator("#text").fill("Installer deux bancs dans la cour")
    staff.locator("#who").fill("Le gardien")
    staff.locator("#due_on").fill((datetime.now(UTC) + timedelta(days=30)).date().isoformat())
    staff.locator('form[action$="/decisions"] button[type=submit]').click()
    staff.wait_for_url(f"**{meeting_path}")
    decision = staff.locator("[data-decision]").first
    expect(decision).to_have_attribute("data-done", "0")

    participant = new_page()
    login_with_card(participant, voice_seed.large)  # 200 % text
    participant.goto("/voice/decisions")
    followed = participant.locator("[data-decision]").first
    expect(followed).to_contain_text("Installer deux bancs")
    expect(followed).to_have_attribute("data-done", "0")
    check_page(participant)
    participant.goto(meeting_path)
    check_page(participant)
    participant.goto("/voice/decisions")
    wait_connected(participant)  # the toast is told only to a connected page

    decision.locator('form[action$="/done"] button').click()
    staff.wait_for_url(f"**{meeting_path}")
    expect(staff.locator("[data-decision]").first).to_have_attribute("data-done", "1")

    # The participant's page follows it live, and the participant is told.
    expect(participant.locator("[data-decision]").first).to_have_attribute(
        "data-done", "1", timeout=LIVE_TIMEOUT
    )
    expect(participant.locator("#toasts")).to_contain_text(
        "Installer deux bancs", timeout=LIVE_TIMEOUT
    )
    other = new_page()
    login_with_card(other, voice_seed.participant)
    other.goto("/notifications")
    expect(other.locator("main")).to_contain_text("Installer deux bancs")
    check_page(other)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_voice_pages_pass_axe_in_english_and_arabic(
    new_page: NewPage, voice_seed: VoiceSeed, lang: str
) -> None:
    tablet = new_page(locale=LOCALES[lang])
    login_with_card(tablet, voice_seed.participant, lang)
    check_page(tablet)  # the home and its "Question of the week"
    for path in ("/voice", "/voice/ideas", "/voice/ideas/new", "/voice/decisions"):
        tablet.goto(path)
        check_page(tablet)
    tablet.goto("/voice")
    tablet.locator("main .voice-list a").first.click()
    tablet.wait_for_url("**/voice/polls/*")
    check_page(tablet)
    staff = new_page(locale=LOCALES[lang])
    login_voice_staff(staff, lang)
    for path in ("/", "/voice", "/voice/polls/new", "/voice/meetings/new"):
        staff.goto(path)
        check_page(staff)
