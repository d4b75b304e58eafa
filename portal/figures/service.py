"""Figures for the coordinator and the managers: who uses Bon Voisin, who lives where, and
how the building's exchanges go, week by week.

Every figure is one SQL statement over the period (no query per row, none per week): an
aggregate where rows are many (activity days, messages, sign-ups), and the timestamps of each
item where a median needs them anyway (help requests, tickets), counted in Python from the
same rows. The two "active" figures share one statement when the page shows them together.

Definitions (shown on the page too):
- Age is the year of the period's last day minus the birth year (only the year is known).
  Age bands: under 18, 18-59, 60-74, 75 and over; "age not known" without a birth year.
- Household type comes from the current residents of the dwelling, checked in this order:
  one person -> "single person"; someone 75 or over with someone under 60 ->
  "intergenerational"; someone under 18 -> "family with children"; otherwise "adults only"
  (a couple, or adults sharing). A resident without a birth year counts as an adult of
  unknown age (never under 18, 75+ or under 60).
- Occupancy compares the dwelling's main rooms (T1 = 1 ... T5 = 5) with its occupants:
  fewer rooms than occupants is "over-occupied", two rooms or more beyond the occupants is
  "under-occupied", anything between is "normal".
- A resident is active in a week when they opened Bon Voisin on at least one day of it.
- Attendance counts, for the dates of the period that have already begun, the confirmed
  sign-ups not marked absent (guests are not counted: their age is not known).
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    select,
)

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.i18n import DEFAULT_ZONE
from portal.people import service as people
from portal.people.models import ActivityDay, Dwelling, DwellingType, Person, Role
from portal.registry import Registry
from portal.validation import BAD_DAY, as_day

READER_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER})
WEEK_CHOICES = (4, 12, 26, 52)
DEFAULT_WEEKS = 12
MAX_DATE_LENGTH = 10  # "YYYY-MM-DD"
ALL_BUILDINGS = "all"
TOTAL = "total"  # the key of a figure's whole-period row (left out of its chart)

AGE_BANDS: dict[str, Any] = {
    "under_18": _l("Under 18"),
    "18_59": _l("18 to 59"),
    "60_74": _l("60 to 74"),
    "75_plus": _l("75 and over"),
    "unknown": _l("Age not known"),
}
KNOWN_BANDS = ("under_18", "18_59", "60_74", "75_plus")
HOUSEHOLDS: dict[str, Any] = {
    "single": _l("Single person"),
    "adults": _l("Adults only (couple…)"),
    "family": _l("Family with children"),
    "intergenerational": _l("Intergenerational"),
}
OCCUPANCY: dict[str, Any] = {
    "under": _l("Under-occupied"),
    "normal": _l("Normal"),
    "over": _l("Over-occupied"),
}
PYRAMID_GROUPS = 10  # 0-9, 10-19, ... 80-89, then 90 and over
ROOMS = {kind: int(kind.value[1:]) for kind in DwellingType}  # T3 -> 3 main rooms


# Who may read, which buildings, which weeks -----------------------------------------------


@dataclass(frozen=True)
class Scope:
    """One building, or every building of the manager's organisation."""

    key: str  # a building id, or "all"
    building_ids: tuple[int, ...]
    name: str
    zone: str

    @property
    def building_id(self) -> int | None:
        return None if self.key == ALL_BUILDINGS else self.building_ids[0]


@dataclass(frozen=True)
class Period:
    """Whole weeks, Monday to Sunday in the building's time zone; the last holds `until`."""

    mondays: tuple[date, ...]
    zone: str

    @property
    def start(self) -> date:
        return self.mondays[0]

    @property
    def end(self) -> date:
        """The day after the period (exclusive)."""
        return self.mondays[-1] + timedelta(days=7)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def ref_year(self) -> int:
        """Ages are counted in the year of the period's last day."""
        return self.last_day.year

    def day_bounds(self) -> list[date]:
        return [*self.mondays, self.end]

    def moment_bounds(self) -> list[datetime]:
        """Each Monday at local midnight, then the end, as aware datetimes."""
        zone = ZoneInfo(self.zone)
        return [datetime.combine(day, time(0, 0), tzinfo=zone) for day in self.day_bounds()]


def check_reader(viewer: Person) -> None:
    """Only coordinators and managers read the figures; anyone else gets 404."""
    if viewer.role not in READER_ROLES:
        raise NotFound(str(_l("This page does not exist, or you cannot see it.")))


def list_scopes(viewer: Person) -> list[Scope]:
    """The choices of the building menu: each building, and "All buildings" for a manager."""
    buildings = people.list_buildings_for(viewer)
    scopes = [Scope(str(b.id), (b.id,), b.name, b.time_zone or DEFAULT_ZONE) for b in buildings]
    if viewer.role == Role.MANAGER and len(buildings) > 1:
        zones = {b.time_zone for b in buildings}
        zone = zones.pop() if len(zones) == 1 else DEFAULT_ZONE
        ids = tuple(b.id for b in buildings)
        scopes.insert(0, Scope(ALL_BUILDINGS, ids, str(_l("All buildings")), zone))
    return scopes


def access_scope(viewer: Person, raw: str | None) -> Scope:
    """The scope asked for: 422 when it is not a building id, 404 when not the viewer's."""
    check_reader(viewer)
    scopes = list_scopes(viewer)
    if not scopes:
        raise NotFound(str(_l("This page does not exist, or you cannot see it.")))
    if raw is None or raw == "":
        return next((s for s in scopes if s.key != ALL_BUILDINGS), scopes[0])
    if raw != ALL_BUILDINGS and not raw.isdigit():
        raise DomainError(str(_l("Please choose one of the buildings shown.")), "bad_building")
    found = next((s for s in scopes if s.key == raw), None)
    if found is None:
        raise NotFound(str(_l("This page does not exist, or you cannot see it.")))
    return found


def check_period(weeks_raw: str | None, until_raw: str | None, zone: str, now: datetime) -> Period:
    """Validate the number of weeks and the last day; a clear message when they are wrong."""
    weeks = DEFAULT_WEEKS
    if weeks_raw not in (None, ""):
        # Compared as text: int() of any string of digits ("²", 5,000 nines) may fail.
        if weeks_raw not in {str(choice) for choice in WEEK_CHOICES}:
            raise DomainError(str(_l("Please choose one of the periods shown.")), "bad_period")
        weeks = int(weeks_raw)
    today = now.astimezone(ZoneInfo(zone)).date()
    until = today
    if until_raw not in (None, ""):
        parsed = _iso_day(until_raw)
        if parsed is None:
            raise DomainError(
                str(_l("Please give the last day as a date, like 2026-03-31.")), "bad_period"
            )
        until = parsed
        if until > today:
            raise DomainError(str(_l("The last day must be today or a day before.")), "bad_period")
        if as_day(until) is None:  # a day of another century: the weeks before it overflow
            raise DomainError(str(BAD_DAY), "bad_period")
    last_monday = until - timedelta(days=until.weekday())
    mondays = tuple(last_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks))
    return Period(mondays, zone)


def _iso_day(text: str) -> date | None:
    """A day written YYYY-MM-DD, of any year; None for anything else."""
    if len(text) > MAX_DATE_LENGTH:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check_figure(key: str) -> str:
    if key not in _sources:
        raise DomainError(str(_l("This figure does not exist.")), "unknown_figure")
    return key


# The shape every figure takes: what the table shows, the chart draws and the CSV holds -----

Number = int | float | None


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    charted: bool = True


@dataclass(frozen=True)
class Row:
    key: str  # a stable key (ISO Monday, band, category…); the CSV's first column
    label: str  # what the page shows
    values: tuple[Number, ...]


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    description: str
    row_header: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    chart: str  # "bar", "stacked", "hbar-stacked"
    weekly: bool = False  # rows are weeks, keyed by their Monday (ISO date)

    def value(self, row_key: str, column_key: str) -> Number:
        index = [c.key for c in self.columns].index(column_key)
        return next(r.values[index] for r in self.rows if r.key == row_key)


# SQL building blocks ----------------------------------------------------------------------


def bucket(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """The index of the week a value of the period falls in (bounds[i] <= value <
    bounds[i + 1]), found by halving: four comparisons per row for 12 weeks, six for 52,
    where a flat CASE makes up to one per week. Callers keep only values in the period."""

    def within(low: int, high: int) -> Any:
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column >= bounds[middle], within(middle, high)), else_=within(low, middle))

    return within(0, len(bounds) - 1)


def in_period(column: Any, bounds: Sequence[Any]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[-1])


def age_band(birth_year: Any, ref_year: int) -> ColumnElement[str]:
    return case(
        (birth_year.is_(None), "unknown"),
        (birth_year > ref_year - 18, "under_18"),
        (birth_year > ref_year - 60, "18_59"),
        (birth_year > ref_year - 75, "60_74"),
        else_="75_plus",
    )


def _current_residents(scope: Scope) -> list[ColumnElement[bool]]:
    return [
        Person.role == Role.RESIDENT,
        Person.active.is_(True),
        Person.building_id.in_(scope.building_ids),
    ]


def households_of(scope: Scope, ref_year: int) -> Any:
    """Per dwelling: occupants, and how many are under 18, under 60, 75 and over."""

    def count_if(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    return (
        select(
            Person.dwelling_id.label("dwelling_id"),
            func.count(Person.id).label("occupants"),
            count_if(Person.birth_year > ref_year - 18).label("minors"),
            count_if(Person.birth_year > ref_year - 60).label("under_60"),
            count_if(Person.birth_year <= ref_year - 75).label("old"),
        )
        .where(*_current_residents(scope), Person.dwelling_id.is_not(None))
        .group_by(Person.dwelling_id)
        .subquery("households")
    )


def household_type_of(households: Any) -> ColumnElement[str]:
    return case(
        (households.c.occupants == 1, "single"),
        (and_(households.c.old > 0, households.c.under_60 > 0), "intergenerational"),
        (households.c.minors > 0, "family"),
        else_="adults",
    )


def grouped(inner: Select[Any], *keys: str) -> list[tuple[Any, ...]]:
    """Count the inner rows per key columns (grouping on a subquery works the same on
    SQLite and PostgreSQL, whose GROUP BY refuses repeated expressions with parameters)."""
    sub = inner.subquery()
    columns = [sub.c[k] for k in keys]
    counted = sub.c.get("counted")
    total = func.count(distinct(counted)) if counted is not None else func.count()
    return [tuple(r) for r in db.session.execute(select(*columns, total).group_by(*columns))]


def week_rows(
    period: Period, columns: Sequence[Column], counts: Mapping[tuple[int, str], Number]
) -> tuple[Row, ...]:
    return tuple(
        Row(
            monday.isoformat(),
            monday.isoformat(),
            tuple(counts.get((i, c.key), 0) for c in columns),
        )
        for i, monday in enumerate(period.mondays)
    )


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def week_of(moment: datetime | None, bounds: Sequence[datetime]) -> int | None:
    """The index of the week a moment falls in (as bucket does); None outside the period."""
    if moment is None or not bounds[0] <= moment < bounds[-1]:
        return None
    return bisect_right(bounds, moment) - 1


# 1. Residents active per week -------------------------------------------------------------


@dataclass(frozen=True)
class ActiveCounts:
    """Residents active per (week index, split key), by age band and by household type."""

    by_band: dict[tuple[int, str], int]
    by_household: dict[tuple[int, str], int]


def get_active_counts(scope: Scope, period: Period) -> ActiveCounts:
    """Both splits from one statement: distinct residents per week, band and household type.

    Each resident has one band and at most one household, so summing the counts of one split
    over the other gives distinct residents again. A resident without a home counts in the
    bands only: their household is NULL, left out of the household figure.
    """
    bounds = period.day_bounds()
    households = households_of(scope, period.ref_year)
    inner = (
        select(
            bucket(ActivityDay.day, bounds).label("week"),
            ActivityDay.person_id.label("counted"),
            age_band(Person.birth_year, period.ref_year).label("band"),
            case(
                (households.c.dwelling_id.is_(None), None), else_=household_type_of(households)
            ).label("household"),
        )
        .join(Person, Person.id == ActivityDay.person_id)
        .outerjoin(households, households.c.dwelling_id == Person.dwelling_id)
        .where(*_current_residents(scope), in_period(ActivityDay.day, bounds))
    )
    by_band: dict[tuple[int, str], int] = defaultdict(int)
    by_household: dict[tuple[int, str], int] = defaultdict(int)
    for week, band, household, n in grouped(inner, "week", "band", "household"):
        by_band[(week, band)] += n
        if household is not None:
            by_household[(week, household)] += n
    return ActiveCounts(dict(by_band), dict(by_household))


def get_active_by_age(scope: Scope, period: Period, active: ActiveCounts | None = None) -> Figure:
    """Residents active each week, by age band (from `active` when already counted)."""
    counts = (active if active is not None else get_active_counts(scope, period)).by_band
    columns = tuple(Column(k, str(v)) for k, v in AGE_BANDS.items())
    return Figure(
        key="active-ages",
        title=str(_l("Residents active each week, by age")),
        description=str(_l("Residents who opened Bon Voisin at least once in the week.")),
        row_header=str(_l("Week starting")),
        columns=columns,
        rows=week_rows(period, columns, counts),
        chart="stacked",
        weekly=True,
    )


def get_active_by_household(
    scope: Scope, period: Period, active: ActiveCounts | None = None
) -> Figure:
    """Residents active each week, by the type of household they live in."""
    counts = (active if active is not None else get_active_counts(scope, period)).by_household
    columns = tuple(Column(k, str(v)) for k, v in HOUSEHOLDS.items())
    return Figure(
        key="active-households",
        title=str(_l("Residents active each week, by household")),
        description=str(
            _l(
                "Intergenerational: someone 75 or over lives with someone under 60. "
                "Family: someone under 18 lives there."
            )
        ),
        row_header=str(_l("Week starting")),
        columns=columns,
        rows=week_rows(period, columns, counts),
        chart="stacked",
        weekly=True,
    )


# 2. Age pyramid by occupancy ---------------------------------------------------------------


def _age_group(birth_year: Any, ref_year: int) -> ColumnElement[int]:
    whens = [(birth_year > ref_year - 10 * (g + 1), g) for g in range(PYRAMID_GROUPS - 1)]
    return case(*whens, else_=PYRAMID_GROUPS - 1)


def _occupancy(households: Any) -> ColumnElement[str]:
    rooms = case(*[(Dwelling.kind == kind, n) for kind, n in ROOMS.items()], else_=1)
    spare = rooms - households.c.occupants
    return case((spare < 0, "over"), (spare >= 2, "under"), else_="normal")


def group_label(group: int) -> str:
    if group == PYRAMID_GROUPS - 1:
        return str(_l("%(age)s and over", age=10 * group))
    return str(_l("%(low)s to %(high)s", low=10 * group, high=10 * group + 9))


def get_pyramid(scope: Scope, period: Period) -> Figure:
    """Current residents by 10-year age group (oldest on top), split by occupancy."""
    households = households_of(scope, period.ref_year)
    inner = (
        select(
            _age_group(Person.birth_year, period.ref_year).label("age_group"),
            _occupancy(households).label("occupancy"),
        )
        .select_from(Person)
        .join(Dwelling, Dwelling.id == Person.dwelling_id)
        .join(households, households.c.dwelling_id == Person.dwelling_id)
        .where(*_current_residents(scope), Person.birth_year.is_not(None))
    )
    counts = {(g, o): n for g, o, n in grouped(inner, "age_group", "occupancy")}
    columns = tuple(Column(k, str(v)) for k, v in OCCUPANCY.items())
    rows = tuple(
        Row(str(g), group_label(g), tuple(counts.get((g, c.key), 0) for c in columns))
        for g in reversed(range(PYRAMID_GROUPS))
    )
    return Figure(
        key="pyramid",
        title=str(_l("Residents by age and occupancy of their home")),
        description=str(
            _l(
                "Over-occupied: fewer main rooms than occupants (T1 = 1 room … T5 = 5). "
                "Under-occupied: two rooms or more beyond the occupants."
            )
        ),
        row_header=str(_l("Age")),
        columns=columns,
        rows=rows,
        chart="hbar-stacked",
    )


# The registry: each domain adds its figures at import ---------------------------------------


@dataclass(frozen=True)
class FigureRequest:
    """What a figure is built from; what several figures of a page read alike is read once
    (`once`)."""

    scope: Scope
    period: Period
    now: datetime
    shared: dict[str, Any] = field(default_factory=dict, compare=False)

    def once(self, key: str, read: Callable[[], Any]) -> Any:
        """`read()` the first time a figure of this page asks for `key`, then the same."""
        if key not in self.shared:
            self.shared[key] = read()
        return self.shared[key]


Builder = Callable[[FigureRequest], Figure]


_sources: Registry[Builder] = Registry()  # placed on the page by their order


def register_figure(key: str, build: Builder, order: int) -> None:
    """A domain adds one figure to the page (registered at import, like tiles)."""
    _sources.register(key, build, order)


def figure_keys() -> tuple[str, ...]:
    """The figures of the page, in their order."""
    return tuple(_sources.ordered_keys())


def get_figure(
    key: str,
    scope: Scope,
    period: Period,
    now: datetime,
    shared: dict[str, Any] | None = None,
) -> Figure:
    """One figure by its key (checked); `shared` what the page's other figures read already
    (FigureRequest.once)."""
    check_figure(key)
    return _sources[key](FigureRequest(scope, period, now, {} if shared is None else shared))


def list_figures(scope: Scope, period: Period, now: datetime) -> list[Figure]:
    """Every figure of the page, in order; figures that read alike (the two "active" ones,
    say) share one statement through FigureRequest.once."""
    shared: dict[str, Any] = {}
    return [get_figure(key, scope, period, now, shared) for key in figure_keys()]


def _active_counts(r: FigureRequest) -> ActiveCounts:
    """The active residents, counted once for both "active" figures of a page."""
    return r.once("active", lambda: get_active_counts(r.scope, r.period))


register_figure(
    "active-ages", lambda r: get_active_by_age(r.scope, r.period, _active_counts(r)), 10
)
register_figure(
    "active-households",
    lambda r: get_active_by_household(r.scope, r.period, _active_counts(r)),
    20,
)
register_figure("pyramid", lambda r: get_pyramid(r.scope, r.period), 30)
