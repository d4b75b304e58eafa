"""The figures page in the browser: every chart drawn by Chart.js served from the vendor route,
accessible in French and English, readable at 200 % text on a tablet, and a downloaded CSV
that holds what the database holds."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from portal.people.models import Building, Person
from tests.browser.conftest import (
    LOCALES,
    TEXT,
    NewPage,
    Seed,
    check_accessibility,
    check_no_horizontal_scroll,
    check_targets,
    login_staff,
)

FIGURES = (
    "active-ages",
    "active-households",
    "pyramid",
    "messages",
    "attendance",
    "help",
    "tickets",
)
VENDOR_CHART = "/vendor/chart.js/dist/chart.umd.min.js"
PAINTED = """
(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return { painted, width: canvas.width, height: canvas.height };
}
"""


@dataclass(frozen=True)
class FiguresSeed:
    email: str  # a coordinator of the seeded building who reads at 200 % text
    password: str
    building_id: int


@pytest.fixture(scope="module")
def figures_seed(seed: Seed) -> FiguresSeed:
    """Households of every kind in the seeded building, with past activity of each sort.

    Only finished things are added (resolved problems, help done, past activities, residents
    without a card), so that the other pages of the building look the same as before.
    """
    from portal.extensions import db
    from portal.factory import create_app
    from portal.people.models import Building, Person, Role
    from tests.factories import STAFF_PASSWORD, make_staff

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
        reader = make_staff(Role.COORDINATOR, [building], email="figures@example.org")
        reader.text_size = 200
        db.session.commit()
        residents = _households(building)
        _history(building, residents)
        db.session.commit()
        result = FiguresSeed(reader.email or "", STAFF_PASSWORD, building.id)
        assert db.session.get(Person, reader.id) is not None
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return result


def _this_monday() -> date:
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date()
    return today - timedelta(days=today.weekday())


def _moment(weeks_ago: int, day: int = 1, hour: int = 10) -> datetime:
    monday = _this_monday() - timedelta(weeks=weeks_ago)
    return datetime.combine(monday + timedelta(days=day), time(hour), tzinfo=UTC)


def _households(building: Building) -> list[Person]:
    from portal.people import service as people
    from portal.people.models import DwellingType, Role

    year = (_this_monday() + timedelta(days=6)).year
    homes = {
        "F1": (DwellingType.T1, [("Augustine", 88)]),
        "F2": (DwellingType.T4, [("Marius", 79), ("Lina", 14)]),
        "F3": (DwellingType.T2, [("Yanis", 41), ("Sarah", 39), ("Noé", 9)]),
        "F4": (DwellingType.T3, [("Gérard", 68), ("Monique", 67)]),
        "F5": (DwellingType.T5, [("Hélène", 72)]),
    }
    made = []
    for number, (kind, members) in homes.items():
        dwelling = people.do_create_dwellings(building, [(number, 9, kind)])[0]
        for first, age in members:
            made.append(
                people.do_create_person(
                    organisation=building.organisation,
                    role=Role.RESIDENT,
                    first_name=first,
                    last_name="Figures",
                    dwelling=dwelling,
                    birth_year=year - age,
                )
            )
    return made


def _history(building: Building, residents: list[Person]) -> None:
    from activities.models import Activity, Occurrence, Signup, SignupStatus
    from concierge.desk.models import Ticket, TicketCategory, TicketStatus
    from concierge.exchange.models import HelpKind, HelpRequest, HelpStatus
    from messaging.models import Conversation, ConversationKind, Message, MessageKind
    from portal.extensions import db
    from portal.people.models import ActivityDay

    for n, person in enumerate(residents):
        for weeks_ago in range(1, 4 + n % 4):
            db.session.add(ActivityDay(person_id=person.id, day=_moment(weeks_ago, n % 7).date()))
    group = Conversation(building_id=building.id, kind=ConversationKind.GROUP, title="Figures")
    db.session.add(group)
    db.session.flush()
    for n, person in enumerate(residents):
        for weeks_ago in range(1, 3 + n % 3):
            db.session.add(
                Message(
                    conversation_id=group.id,
                    sender_id=person.id,
                    client_id=f"fig-{n}-{weeks_ago}",
                    kind=MessageKind.TEXT,
                    body="Bonjour",
                    created_at=_moment(weeks_ago, n % 7),
                )
            )
    activity = Activity(building_id=building.id, title="Atelier mémoire et jeux")
    db.session.add(activity)
    db.session.flush()
    for weeks_ago in (1, 2, 3):
        start = _moment(weeks_ago, 2, 14)
        occurrence = Occurrence(activity_id=activity.id, starts_at=start, ends_at=start)
        db.session.add(occurrence)
        db.session.flush()
        for person in residents[weeks_ago - 1 :: 2]:
            db.session.add(
                Signup(
                    occurrence_id=occurrence.id,
                    person_id=person.id,
                    attended=True,
                    status=SignupStatus.CONFIRMED,
                    queued_at=start - timedelta(days=3),
                )
            )
    for n, (category, hours) in enumerate(
        [("heating", 5), ("heating", 30), ("water", 2), ("lift", 48), ("noise", 3)]
    ):
        created = _moment(1 + n % 3, n % 5, 8)
        db.session.add(
            Ticket(
                building_id=building.id,
                reporter_id=residents[n].id,
                category=TicketCategory(category),
                description="Réparé",
                status=TicketStatus.RESOLVED,
                created_at=created,
                resolved_at=created + timedelta(hours=hours),
            )
        )
    for n, minutes in enumerate((15, 45, 120)):
        created = _moment(1 + n, 1, 9)
        db.session.add(
            HelpRequest(
                building_id=building.id,
                requester_id=residents[n].id,
                helper_id=residents[-1].id,
                kind=HelpKind.GROCERIES,
                window_start=created,
                window_end=created + timedelta(hours=4),
                status=HelpStatus.DONE,
                created_at=created,
                taken_at=created + timedelta(minutes=minutes),
                done_at=created + timedelta(hours=3),
            )
        )


def login(page: Page, figures_seed: FiguresSeed, lang: str) -> None:
    page.goto("/login/staff")
    page.locator("#email").fill(figures_seed.email)
    page.locator("#password").fill(figures_seed.password)
    page.locator("main").get_by_role("button", name=TEXT[lang]["log_in"]).click()
    page.wait_for_url("**/")


def open_figures(page: Page) -> list[str]:
    """Open the figures page; return the vendor files the page loaded successfully."""
    loaded: list[str] = []
    page.on("response", lambda r: loaded.append(r.url) if r.ok and "/vendor/" in r.url else None)
    page.goto("/staff/figures")
    page.wait_for_function("() => document.documentElement.dataset.figuresReady === '1'")
    return loaded


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["fr", "en", "ar"])
def test_figures_page_draws_every_chart_and_is_accessible(
    new_page: NewPage, seed: Seed, figures_seed: FiguresSeed, lang: str
) -> None:
    page = new_page(locale=LOCALES[lang])
    login_staff(page, seed, lang)  # the building's coordinator, at normal text size
    assert page.locator("a.tile[href='/staff/figures']").count() == 1
    loaded = open_figures(page)
    assert any(url.endswith(VENDOR_CHART) for url in loaded), loaded
    assert page.evaluate("() => typeof window.Chart") == "function"
    for key in FIGURES:
        section = page.locator(f"#figure-{key}")
        assert int(section.get_attribute("data-chart-ready") or 0) >= 1, key
        drawn = section.locator("canvas").evaluate(PAINTED)
        assert drawn["width"] > 0 and drawn["height"] > 0, key
        assert drawn["painted"] > 500, (key, drawn)
    check_accessibility(page)
    for summary in page.locator("summary").all():
        summary.click()
    check_accessibility(page)
    check_targets(page)
    check_no_horizontal_scroll(page)


@pytest.mark.browser
def test_figures_fit_a_tablet_at_200_percent_text(
    new_page: NewPage, figures_seed: FiguresSeed
) -> None:
    for viewport in ({"width": 768, "height": 1024}, {"width": 1024, "height": 768}):
        page = new_page(viewport=viewport)
        login(page, figures_seed, "fr")
        open_figures(page)
        assert page.locator("html.text-200").count() == 1
        for summary in page.locator("summary").all():
            summary.click()
        check_no_horizontal_scroll(page)
        check_targets(page)


@pytest.mark.browser
def test_downloaded_csv_matches_the_database(
    new_page: NewPage, figures_seed: FiguresSeed, seed: Seed, tmp_path: Path
) -> None:
    page = new_page(locale=LOCALES["en"])
    login(page, figures_seed, "en")
    open_figures(page)
    with page.expect_download() as info:
        page.locator("#figure-tickets a[download]").click()
    target = tmp_path / "tickets.csv"
    info.value.save_as(target)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Category", "Reported", "Resolved"]
    expected = _tickets_in_database(seed, figures_seed.building_id)
    from concierge.desk.models import TicketCategory

    found = {c.value: int(r[1]) for c, r in zip(TicketCategory, rows[1:], strict=True)}
    assert found == expected
    assert found["heating"] >= 2
    shown = page.locator("#figure-tickets tbody tr td:nth-child(2)").all_text_contents()
    assert [int(n) for n in shown] == [int(r[1]) for r in rows[1:]]


def _tickets_in_database(seed: Seed, building_id: int) -> dict[str, int]:
    """Problems reported per category over the page's default 12 weeks, read from the file."""
    from sqlalchemy import create_engine, text

    monday = _this_monday() - timedelta(weeks=11)
    start = datetime.combine(monday, time(0), tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)
    engine = create_engine(seed.database_uri)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT category, count(*) FROM tickets WHERE building_id = :b "
                    "AND created_at >= :start GROUP BY category"
                ),
                {"b": building_id, "start": start.replace(tzinfo=None).isoformat(" ")},
            ).all()
    finally:
        engine.dispose()
    from concierge.desk.models import TicketCategory

    counts = dict.fromkeys((c.value for c in TicketCategory), 0)
    # Enum columns hold the member's name (HEATING); the CSV is in category order.
    counts.update({TicketCategory[category].value: n for category, n in rows})
    return counts
