"""The concierge desk: who may act on a dwelling, working hours, and the desk's one queue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from flask import current_app
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from concierge import parcels, tickets, visits
from concierge.models import Priority
from portal.errors import DomainError
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Building, Dwelling, Person, Role
from portal.urls import path_for
from portal.wellbeing import service as wellbeing

DESK_STAFF_ROLES = frozenset({Role.CONCIERGE, Role.COORDINATOR, Role.MANAGER})
DEFAULT_ZONE = "Europe/Paris"


# Access ---------------------------------------------------------------------------------


def is_building_staff(person: Person, building_id: int) -> bool:
    """The concierge, coordinator or manager of that building."""
    return person.role in DESK_STAFF_ROLES and building_id in people.building_ids_for(person)


def check_building_staff(person: Person, building_id: int) -> None:
    if not is_building_staff(person, building_id):
        raise DomainError(_("Only the building's staff can do this."), "forbidden")


def access_dwelling(person: Person, dwelling_id: int) -> Dwelling:
    """A dwelling its own residents and its building's staff may see; others: not_found."""
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise DomainError(_("This dwelling does not exist."), "not_found")
    if person.is_resident and person.dwelling_id == dwelling.id and person.active:
        return dwelling
    if is_building_staff(person, dwelling.building_id):
        return dwelling
    raise DomainError(_("This dwelling does not exist."), "not_found")


def access_staff_dwelling(person: Person, dwelling_id: int) -> Dwelling:
    """A dwelling of the staff member's buildings; residents get not_found."""
    dwelling = access_dwelling(person, dwelling_id)
    if not is_building_staff(person, dwelling.building_id):
        raise DomainError(_("This dwelling does not exist."), "not_found")
    return dwelling


def access_desk_building(person: Person, building_id: int | None) -> Building:
    """The building whose desk a staff member opens: the asked one, else their own."""
    covered = people.list_buildings_for(person)
    if person.role not in DESK_STAFF_ROLES or not covered:
        raise DomainError(_("Only the building's staff can do this."), "not_found")
    if building_id is None:
        own = [b for b in covered if b.id == person.building_id]
        return (own or covered)[0]
    for building in covered:
        if building.id == building_id:
            return building
    raise DomainError(_("This building does not exist."), "not_found")


def dwelling_residents(dwelling_id: int) -> list[Person]:
    """The active residents living in a dwelling."""
    stmt = (
        select(Person)
        .where(
            Person.dwelling_id == dwelling_id,
            Person.role == Role.RESIDENT,
            Person.active.is_(True),
        )
        .order_by(Person.first_name, Person.last_name)
    )
    return list(db.session.scalars(stmt))


def list_dwellings(staff: Person, building_id: int, query: str = "") -> list[Dwelling]:
    """The building's dwellings, filtered by number or by a resident's name."""
    check_building_staff(staff, building_id)
    stmt = select(Dwelling).where(Dwelling.building_id == building_id)
    query = (query or "").strip()[:60]
    if query:
        pattern = f"%{query.lower()}%"
        by_name = select(Person.dwelling_id).where(
            Person.dwelling_id.is_not(None),
            or_(
                func.lower(Person.first_name).like(pattern),
                func.lower(Person.last_name).like(pattern),
            ),
        )
        stmt = stmt.where(or_(func.lower(Dwelling.number).like(pattern), Dwelling.id.in_(by_name)))
    stmt = stmt.order_by(Dwelling.floor, Dwelling.number).options(selectinload(Dwelling.residents))
    return list(db.session.scalars(stmt))


def building_zone(building_id: int) -> ZoneInfo:
    building = people.get_building(building_id)
    return ZoneInfo(building.time_zone if building and building.time_zone else DEFAULT_ZONE)


# Working hours --------------------------------------------------------------------------


def add_working_hours(
    start: datetime,
    hours: float,
    zone: ZoneInfo,
    *,
    day: tuple[int, int] = (8, 18),
    weekdays: Iterable[int] = (0, 1, 2, 3, 4),
) -> datetime:
    """The UTC moment `hours` working hours after `start`, counting only open desk hours."""
    open_days = set(weekdays)
    if not open_days or day[1] <= day[0]:
        raise ValueError("the desk needs at least one open day and open hours")
    remaining = timedelta(hours=hours)
    # Seven days from one whose desk hours are untouched hold a whole week's open hours:
    # skip such weeks at once (a low-priority ticket's target is weeks of day-by-day steps).
    week = timedelta(hours=day[1] - day[0]) * len(open_days & set(range(7)))
    local = start.astimezone(zone)
    while True:
        opens = datetime.combine(local.date(), time(day[0]), tzinfo=zone)
        if local <= opens and remaining > week:
            weeks = (remaining - timedelta.resolution) // week
            local = datetime.combine(local.date() + timedelta(weeks=weeks), time(0), tzinfo=zone)
            remaining -= week * weeks
            continue
        closes = datetime.combine(local.date(), time(day[1]), tzinfo=zone)
        if local.weekday() in open_days and local < closes:
            begin = max(local, opens)
            available = closes - begin
            if remaining <= available:
                return (begin + remaining).astimezone(UTC)
            remaining -= available
        local = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


def deadline(start: datetime, hours: float, building_id: int) -> datetime:
    """A target `hours` working hours after `start`, in the building's own desk hours."""
    return deadline_in(start, hours, building_zone(building_id))


def deadline_in(start: datetime, hours: float, zone: ZoneInfo) -> datetime:
    """A target `hours` working hours after `start`, in desk hours of the given zone."""
    config = current_app.config
    return add_working_hours(
        start, hours, zone, day=tuple(config["CONCIERGE_WORKING_HOURS"]),
        weekdays=config["CONCIERGE_WORKING_DAYS"],
    )  # fmt: skip


# The queue ------------------------------------------------------------------------------

RANK_HELP_CALL = -1  # a resident pressed "I need help"
RANK_OVERDUE, RANK_URGENT, RANK_HIGH, RANK_NORMAL, RANK_LOW = 0, 1, 2, 3, 4
PRIORITY_RANK = {
    Priority.URGENT: RANK_URGENT,
    Priority.HIGH: RANK_HIGH,
    Priority.NORMAL: RANK_NORMAL,
    Priority.LOW: RANK_LOW,
}
HELP_RANK = {"urgent": RANK_URGENT, "soon": RANK_HIGH, "flexible": RANK_NORMAL}

# Translated once per queue, then filled in for each line: asking Babel for every line of a
# long queue was most of its cost.
FLAT = _l("Flat %(number)s")
COMMON_AREAS = _l("Common areas")
PARCEL_FOR = _l("Parcel for %(dwelling)s")
SINCE = _l("Since %(when)s")
FROM = _l("From %(when)s")


@dataclass(frozen=True)
class QueueItem:
    """One line of the desk's queue."""

    kind: str  # ticket, help, parcel, visit
    icon: str
    title: str
    detail: str
    url: str
    rank: int
    since: datetime
    overdue: bool = False
    when: str = ""  # "Since …" (or "From …" for a visit), in the reader's language and zone


@dataclass(frozen=True)
class _Clock:
    """Babel's short date-time and time formats of the reader, compiled once per queue
    (flask_babel.format_datetime looks the locale, zone and pattern up on every call)."""

    locale: Locale
    zone: tzinfo
    date: DateTimePattern
    time: DateTimePattern
    joined: str

    @classmethod
    def current(cls) -> _Clock:
        locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
        return cls(
            locale=locale,
            zone=get_timezone() or ZoneInfo(DEFAULT_ZONE),
            date=parse_pattern(get_date_format("short", locale=locale)),
            time=parse_pattern(get_time_format("short", locale=locale)),
            joined=str(get_datetime_format("short", locale=locale)).replace("'", ""),
        )

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(self.zone)
        normalize = getattr(self.zone, "normalize", None)  # pytz zones
        return normalize(local) if normalize else local

    def time_of(self, moment: datetime) -> str:
        """As format_time(moment, "short")."""
        local = self._local(moment)
        return self.time.apply(local.timetz(), self.locale, reference_date=local.date())

    def date_time(self, moment: datetime) -> str:
        """As format_datetime(moment, "short")."""
        local = self._local(moment)
        hour = self.time.apply(local.timetz(), self.locale, reference_date=local.date())
        day = self.date.apply(local.date(), self.locale)
        return self.joined.replace("{0}", hour).replace("{1}", day)


@dataclass(frozen=True)
class _Words:
    """What every line of one queue repeats, translated once."""

    clock: _Clock
    flat: str
    common_areas: str
    since: str
    since_visit: str

    @classmethod
    def current(cls) -> _Words:
        return cls(_Clock.current(), str(FLAT), str(COMMON_AREAS), str(SINCE), str(FROM))

    def place(self, number: str | None) -> str:
        return self.common_areas if number is None else self.flat % {"number": number}

    def since_when(self, moment: datetime) -> str:
        return self.since % {"when": self.clock.date_time(moment)}

    def from_when(self, moment: datetime) -> str:
        return self.since_visit % {"when": self.clock.time_of(moment)}


def _paths(endpoint: str, argument: str) -> Callable[[int], str]:
    """The endpoint's path for any id, built by url_for once rather than once per line."""
    marker = 987654321
    head, _sep, tail = path_for(endpoint, **{argument: marker}).partition(str(marker))
    return lambda value: f"{head}{value}{tail}"


def list_queue(staff: Person, building: Building, now: datetime) -> list[QueueItem]:
    """Open tickets, help requests needing attention, parcels waiting and today's visits,
    the most urgent and the oldest first."""
    check_building_staff(staff, building.id)
    words = _Words.current()
    zone = building_zone(building.id)
    # One query of two columns for every dwelling the queue names, instead of one per line.
    rows = db.session.execute(
        select(Dwelling.id, Dwelling.number).where(Dwelling.building_id == building.id)
    )
    numbers: dict[int, str] = {dwelling_id: number for dwelling_id, number in rows}
    items = [
        *_help_call_items(staff, building, words),
        *_ticket_items(building, now, zone, numbers, words),
        *_help_items(staff, building, words),
        *_parcel_items(building, numbers, words),
        *_visit_items(building, now, zone, numbers, words),
    ]
    return sorted(items, key=lambda item: (item.rank, item.since))


def count_open_items(staff: Person) -> int:
    """Open tickets and waiting parcels of all the staff member's buildings (tile badge)."""
    if staff.role not in DESK_STAFF_ROLES:
        return 0
    buildings = people.building_ids_for(staff)
    return tickets.count_open(buildings) + parcels.count_waiting(buildings)


def _ticket_items(
    building: Building, now: datetime, zone: ZoneInfo, numbers: dict[int, str], words: _Words
) -> list[QueueItem]:
    url = _paths("concierge.ticket", "ticket_id")
    category = cache(tickets.category_label)
    status, priority = cache(tickets.status_label), cache(tickets.priority_label)
    items = []
    for line in tickets.list_open_lines(building.id):
        overdue = tickets.is_late(line.priority, line.created_at, line.acknowledged_at, now, zone)
        number = numbers.get(line.dwelling_id) if line.dwelling_id else None
        items.append(
            QueueItem(
                kind="ticket",
                icon=tickets.category_icon(line.category),
                title=f"{category(line.category)} · {words.place(number)}",
                detail=f"{status(line.status)} · {priority(line.priority)}",
                url=url(line.id),
                rank=RANK_OVERDUE if overdue else PRIORITY_RANK[line.priority],
                since=line.created_at,
                overdue=overdue,
                when=words.since_when(line.created_at),
            )
        )
    return items


def _help_module() -> Any:
    """The neighbour-help service, when it is installed (built alongside the desk)."""
    try:
        from concierge import helping  # type: ignore[attr-defined]
    except ImportError:
        return None
    return helping


def _help_items(staff: Person, building: Building, words: _Words) -> list[QueueItem]:
    helping = _help_module()
    if helping is None or not hasattr(helping, "list_needing_attention"):
        return []
    items = []
    requests = [r for r in helping.list_needing_attention(staff) if r.building_id == building.id]
    requesters = {
        p.id: p
        for p in db.session.scalars(
            select(Person).where(Person.id.in_({r.requester_id for r in requests}))
        )
    }
    for request in requests:
        try:
            url = path_for("concierge.help_request", request_id=request.id)
        except BuildError:
            url = ""
        requester = requesters.get(request.requester_id)
        urgency = getattr(request.urgency, "value", str(request.urgency))
        items.append(
            QueueItem(
                kind="help",
                icon=helping.kind_icon(request.kind),
                title=str(helping.kind_label(request.kind)),
                detail=requester.full_name if requester else "",
                url=url,
                rank=HELP_RANK.get(urgency, RANK_NORMAL),
                since=request.created_at,
                when=words.since_when(request.created_at),
            )
        )
    return items


def _help_call_items(staff: Person, building: Building, words: _Words) -> list[QueueItem]:
    """Residents who pressed "I need help": above everything else."""
    items = []
    for call in wellbeing.list_help_calls(staff, building.id):
        seen = call.status == "seen"
        state = _("Someone is on the way") if seen else _("Nobody has answered yet")
        items.append(
            QueueItem(
                kind="helpcall",
                icon="🆘",
                title=_("Call for help: %(name)s", name=call.person.full_name),
                detail=f"{words.place(call.dwelling.number if call.dwelling else None)} · {state}",
                url=path_for("wellbeing.staff_page", building=building.id),
                rank=RANK_HELP_CALL,
                since=call.since,
                when=words.since_when(call.since),
            )
        )
    return items


def _parcel_items(building: Building, numbers: dict[int, str], words: _Words) -> list[QueueItem]:
    url = _paths("concierge.dwelling", "dwelling_id")
    parcel_for = str(PARCEL_FOR)
    size = cache(parcels.size_label)
    items = []
    for line in parcels.list_waiting_lines(building.id):
        items.append(
            QueueItem(
                kind="parcel",
                icon="📦",
                title=parcel_for % {"dwelling": words.place(numbers.get(line.dwelling_id))},
                detail=" · ".join(p for p in (line.carrier, size(line.size)) if p),
                url=url(line.dwelling_id),
                rank=RANK_LOW,
                since=line.created_at,
                when=words.since_when(line.created_at),
            )
        )
    return items


def _visit_items(
    building: Building, now: datetime, zone: ZoneInfo, numbers: dict[int, str], words: _Words
) -> list[QueueItem]:
    items = []
    for visit in visits.list_for_day(building.id, now, zone):
        place = words.place(numbers.get(visit.dwelling_id))
        items.append(
            QueueItem(
                kind="visit",
                icon=visits.kind_icon(visit.kind),
                title=f"{visits.kind_label(visit.kind)} · {place}",
                detail=visit.visitor,
                url=path_for("concierge.dwelling", dwelling_id=visit.dwelling_id),
                rank=RANK_NORMAL,
                since=visit.starts_at,
                when=words.from_when(visit.starts_at),
            )
        )
    return items
