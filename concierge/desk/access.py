"""Who may act on a dwelling or a building's desk, and the desk's working hours: the base
that tickets, parcels, the logbook and visits stand on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.errors import Forbidden, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import Building, Dwelling, Person, Role

DESK_STAFF_ROLES = frozenset({Role.CONCIERGE, Role.COORDINATOR, Role.MANAGER})


# Access ---------------------------------------------------------------------------------


def is_building_staff(person: Person, building_id: int) -> bool:
    """The concierge, coordinator or manager of that building."""
    return person.role in DESK_STAFF_ROLES and building_id in people.building_ids_for(person)


def check_building_staff(person: Person, building_id: int) -> None:
    """Refuse (403) anyone but the building's staff."""
    if not is_building_staff(person, building_id):
        raise Forbidden(_("Only the building's staff can do this."))


def access_dwelling(person: Person, dwelling_id: int) -> Dwelling:
    """A dwelling its own residents and its building's staff may see; others: not_found."""
    dwelling = db.session.get(Dwelling, dwelling_id)
    if dwelling is None:
        raise NotFound(_("This dwelling does not exist."))
    if person.is_resident and person.dwelling_id == dwelling.id and person.active:
        return dwelling
    if is_building_staff(person, dwelling.building_id):
        return dwelling
    raise NotFound(_("This dwelling does not exist."))


def access_staff_dwelling(person: Person, dwelling_id: int) -> Dwelling:
    """A dwelling of the staff member's buildings; residents get not_found."""
    dwelling = access_dwelling(person, dwelling_id)
    if not is_building_staff(person, dwelling.building_id):
        raise NotFound(_("This dwelling does not exist."))
    return dwelling


def access_desk_building(person: Person, building_id: int | None) -> Building:
    """The building whose desk a staff member opens: the asked one, else their own."""
    covered = people.list_buildings_for(person)
    if person.role not in DESK_STAFF_ROLES or not covered:
        raise NotFound(_("Only the building's staff can do this."))
    if building_id is None:
        own = [b for b in covered if b.id == person.building_id]
        return (own or covered)[0]
    for building in covered:
        if building.id == building_id:
            return building
    raise NotFound(_("This building does not exist."))


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
    """The building's own time zone: its desk hours and its days are local to it."""
    return zone_of(people.get_building(building_id))


def max_photo_bytes() -> int:
    """The largest photo the desk takes (a ticket's, a logbook's), from its own setting."""
    return int(current_app.config["CONCIERGE_MAX_PHOTO_BYTES"])


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


@dataclass(frozen=True)
class DeskHours:
    """When a building's desk is open: its time zone, opening and closing hours, weekdays."""

    zone: ZoneInfo
    day: tuple[int, int]
    weekdays: tuple[int, ...]


def desk_hours_of(building: Building) -> DeskHours:
    """The building's own desk hours, or CONCIERGE_WORKING_HOURS / _DAYS where it set none."""
    config = current_app.config
    opening, closing = config["CONCIERGE_WORKING_HOURS"]
    if building.desk_opens is not None and building.desk_closes is not None:
        opening, closing = building.desk_opens, building.desk_closes
    days = tuple(int(d) for d in building.desk_days.split(",") if d.strip().isdigit())
    return DeskHours(
        zone=zone_of(building),
        day=(opening, closing),
        weekdays=days or tuple(config["CONCIERGE_WORKING_DAYS"]),
    )


def desk_hours(building_id: int) -> DeskHours:
    building = people.get_building(building_id)
    if building is None:
        raise NotFound(_("This building does not exist."))
    return desk_hours_of(building)


def deadline(start: datetime, hours: float, building_id: int) -> datetime:
    """A target `hours` working hours after `start`, in the building's own desk hours."""
    return deadline_in(start, hours, desk_hours(building_id))


def deadline_in(start: datetime, hours: float, desk: DeskHours) -> datetime:
    """A target `hours` working hours after `start`, in the given desk hours."""
    return add_working_hours(start, hours, desk.zone, day=desk.day, weekdays=desk.weekdays)
