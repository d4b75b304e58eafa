"""The figures computed on a hand-built building: ages, bands, households, the pyramid,
weekly counts and medians, exactly."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from activities import figures as activities_figures
from concierge.desk import figures as desk_figures
from concierge.exchange import figures as exchange_figures
from messaging import figures as messaging_figures
from portal.errors import DomainError
from portal.extensions import db
from portal.figures import service as figures
from portal.people import service as people
from portal.people.models import ActivityDay, DwellingType, Role
from tests.figures import dataset
from tests.figures.dataset import World

LAST_MONDAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # the Wednesday of the last week


@pytest.fixture
def world(app) -> World:
    return dataset.build(LAST_MONDAY)


def scope_of(world: World, who: str = "coordinator", key: str | None = None) -> figures.Scope:
    return figures.access_scope(world.people[who], key or str(world.a.id))


def period() -> figures.Period:
    return figures.check_period("4", "2026-11-18", "Europe/Paris", NOW)


def by_week(figure: figures.Figure, week: int) -> dict[str, object]:
    row = figure.rows[week]
    return {c.key: v for c, v in zip(figure.columns, row.values, strict=True) if v}


def test_period_is_whole_weeks_ending_with_the_week_of_the_last_day() -> None:
    found = period()
    assert found.mondays == (
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    )
    assert found.last_day == date(2026, 11, 22)
    assert found.ref_year == 2026
    assert len(figures.check_period(None, None, "Europe/Paris", NOW).mondays) == 12


@pytest.mark.parametrize(
    ("weeks", "until"),
    [
        ("5", None),
        ("abc", None),
        ("-4", None),
        ("4", "2026-13-01"),
        ("4", "2026-11-19"),
        ("4", "1999-01-01"),
        ("4", "yesterday"),
    ],
)
def test_bad_periods_are_refused(weeks: str, until: str | None) -> None:
    with pytest.raises(DomainError) as error:
        figures.check_period(weeks, until, "Europe/Paris", NOW)
    assert error.value.code == "bad_period"


def test_unknown_figure_is_refused() -> None:
    with pytest.raises(DomainError):
        figures.check_figure("salaries")


def test_active_residents_by_age_band(world: World) -> None:
    figure = figures.get_active_by_age(scope_of(world), period())
    assert [by_week(figure, w) for w in range(4)] == [
        {},
        dataset.EXPECTED_ACTIVE_AGES[1],
        dataset.EXPECTED_ACTIVE_AGES[2],
        {},
    ]
    assert [r.key for r in figure.rows] == [m.isoformat() for m in world.mondays]


def test_active_residents_by_household(world: World) -> None:
    figure = figures.get_active_by_household(scope_of(world), period())
    assert by_week(figure, 1) == dataset.EXPECTED_ACTIVE_HOUSEHOLDS[1]
    assert by_week(figure, 2) == dataset.EXPECTED_ACTIVE_HOUSEHOLDS[2]
    assert by_week(figure, 0) == by_week(figure, 3) == {}


def test_pyramid_by_ten_year_group_and_occupancy(world: World) -> None:
    with force_locale("en"):  # the labels in the source language, whatever the default
        figure = figures.get_pyramid(scope_of(world), period())
    assert [r.key for r in figure.rows] == [str(g) for g in range(9, -1, -1)]  # oldest on top
    found = {
        int(r.key): {c.key: v for c, v in zip(figure.columns, r.values, strict=True) if v}
        for r in figure.rows
    }
    assert {g: v for g, v in found.items() if v} == dataset.EXPECTED_PYRAMID
    assert figure.rows[0].label == "90 and over"
    assert figure.rows[-1].label == "0 to 9"


def test_messages_per_week_by_kind_of_conversation(world: World) -> None:
    figure = messaging_figures.get_messages(scope_of(world), period())
    assert by_week(figure, 1) == {**dataset.EXPECTED_MESSAGES[1], "total": 3}
    assert by_week(figure, 2) == {**dataset.EXPECTED_MESSAGES[2], "total": 3}
    assert by_week(figure, 0) == {}


def test_attendance_by_age_band_per_activity(world: World) -> None:
    figure = activities_figures.get_attendance(scope_of(world), period(), NOW)
    found = {}
    for row in figure.rows:
        values = dict(zip([c.key for c in figure.columns], row.values, strict=True))
        bands = {k: values[k] for k in figures.AGE_BANDS if values[k]}
        found[row.label] = (bands, values["total"], values["bands"])
    assert found == dataset.EXPECTED_ATTENDANCE
    assert [r.label for r in figure.rows] == ["Jeux", "Tricot"]


def test_attendance_leaves_out_dates_not_yet_begun(world: World) -> None:
    early = datetime.combine(world.day(2, 1), datetime.min.time(), tzinfo=UTC)
    figure = activities_figures.get_attendance(scope_of(world), period(), early)
    assert [(r.label, r.values[-2]) for r in figure.rows] == [("Tricot", 2)]


def test_help_asked_done_and_median_minutes_to_be_taken(world: World) -> None:
    figure = exchange_figures.get_help(scope_of(world), period())
    found: dict[int | str, tuple[object, ...]] = dict(enumerate(r.values for r in figure.rows[:4]))
    found["total"] = figure.rows[-1].values
    assert figure.rows[-1].key == figures.TOTAL
    assert found == dataset.EXPECTED_HELP


def test_tickets_by_category_with_median_hours(world: World) -> None:
    figure = desk_figures.get_tickets(scope_of(world), period())
    found = {r.key: r.values for r in figure.rows}
    for category, values in dataset.EXPECTED_TICKETS.items():
        assert found[category] == values
    assert found["noise"] == (0, 0, None)  # building B's ticket is not A's


def test_manager_sums_all_buildings_of_the_organisation(world: World) -> None:
    scope = scope_of(world, "manager", figures.ALL_BUILDINGS)
    assert set(scope.building_ids) == {world.a.id, world.b.id}
    ages = figures.get_active_by_age(scope, period())
    assert by_week(ages, 1) == {**dataset.EXPECTED_ACTIVE_AGES[1], "18_59": 1}  # + Bob
    tickets = {r.key: r.values for r in desk_figures.get_tickets(scope, period()).rows}
    assert tickets["noise"] == (1, 1, 1.0)
    assert tickets["heating"] == (3, 2, 6.5)
    messages = messaging_figures.get_messages(scope, period())
    assert by_week(messages, 1)["total"] == 4


def test_scopes_follow_who_may_see_which_building(world: World) -> None:
    coordinator = [s.key for s in figures.list_scopes(world.people["coordinator"])]
    assert coordinator == [str(world.a.id)]
    manager = [s.key for s in figures.list_scopes(world.people["manager"])]
    assert manager == ["all", str(world.a.id), str(world.b.id)]
    with pytest.raises(DomainError):
        figures.access_scope(world.people["coordinator"], "A")


def test_touch_presence_writes_one_row_per_resident_and_day(app) -> None:
    from tests.factories import make_resident, make_staff

    resident = make_resident()
    staff = make_staff()
    for _ in range(3):
        people.do_touch_presence(resident)
        people.do_touch_presence(staff)
    stmt = select(ActivityDay.person_id, func.count()).group_by(ActivityDay.person_id)
    rows = db.session.execute(stmt).all()
    assert [tuple(r) for r in rows] == [(resident.id, 1)]


def test_a_resident_without_a_home_counts_by_age_only(world: World) -> None:
    dwelling = people.do_create_dwellings(world.a, [("d9", 1, DwellingType.T2)])[0]
    homeless = people.do_create_person(
        organisation=world.org,
        role=Role.RESIDENT,
        first_name="Yves",
        last_name="Sansdomicile",
        dwelling=dwelling,
        birth_year=world.ref_year - 30,
    )
    homeless.dwelling_id = None  # a resident the data holds without a home (e.g. imported)
    db.session.add(ActivityDay(person_id=homeless.id, day=world.day(1, 2)))
    db.session.commit()
    assert homeless.dwelling_id is None
    ages = by_week(figures.get_active_by_age(scope_of(world), period()), 1)
    households = by_week(figures.get_active_by_household(scope_of(world), period()), 1)
    expected_ages = dict(dataset.EXPECTED_ACTIVE_AGES[1])
    expected_ages["18_59"] = int(expected_ages.get("18_59", 0)) + 1
    assert ages == expected_ages
    assert households == dataset.EXPECTED_ACTIVE_HOUSEHOLDS[1]


def test_the_page_reads_every_figure_with_one_statement_each(world: World) -> None:
    scope, shown = scope_of(world), period()
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        listed = figures.list_figures(scope, shown, NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The two "active" figures share theirs, and so do the two "voice" figures; no statement
    # per week or per row.
    assert len(statements) == len(figures.figure_keys()) - 2
    assert listed == [figures.get_figure(k, scope, shown, NOW) for k in figures.figure_keys()]


def test_the_app_alone_registers_every_figure_in_page_order(tmp_path) -> None:
    """Each domain registers its figure when the factory imports it (no test import helps)."""
    script = (
        "from portal.factory import create_app\n"
        "from portal.figures.service import figure_keys\n"
        f"create_app({{'ENV_NAME': 'testing', 'PORTAL_UPLOAD_DIR': {str(tmp_path)!r}}})\n"
        "print(','.join(figure_keys()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().split(",") == [
        "active-ages",
        "active-households",
        "pyramid",
        "messages",
        "attendance",
        "help",
        "tickets",
        "referrals",
        "voice-ages",
        "voice-households",
    ]
