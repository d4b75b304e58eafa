"""The concierge desk: who may act on a dwelling, working hours, and the desk's one queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
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
    local = start.astimezone(zone)
    while True:
        opens = datetime.combine(local.date(), time(day[0]), tzinfo=zone)
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
    config = current_app.config
    return add_working_hours(
        start, hours, building_zone(building_id), day=tuple(config["CONCIERGE_WORKING_HOURS"]),
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


def list_queue(staff: Person, building: Building, now: datetime) -> list[QueueItem]:
    """Open tickets, help requests needing attention, parcels waiting and today's visits,
    the most urgent and the oldest first."""
    check_building_staff(staff, building.id)
    # One query for every dwelling the queue names, instead of one per line.
    homes = {
        d.id: d
        for d in db.session.scalars(select(Dwelling).where(Dwelling.building_id == building.id))
    }
    items = [
        *_help_call_items(staff, building),
        *_ticket_items(building, now, homes),
        *_help_items(staff, building),
        *_parcel_items(building, homes),
        *_visit_items(building, now, homes),
    ]
    return sorted(items, key=lambda item: (item.rank, item.since))


def count_open_items(staff: Person) -> int:
    """Open tickets and waiting parcels of all the staff member's buildings (tile badge)."""
    if staff.role not in DESK_STAFF_ROLES:
        return 0
    buildings = people.building_ids_for(staff)
    return tickets.count_open(buildings) + parcels.count_waiting(buildings)


def _dwelling_label(dwelling: Dwelling | None) -> str:
    if dwelling is None:
        return _("Common areas")
    return _("Flat %(number)s", number=dwelling.number)


def _ticket_items(building: Building, now: datetime, homes: dict[int, Dwelling]) -> list[QueueItem]:
    items = []
    for ticket in tickets.list_open(building.id):
        overdue = tickets.is_overdue(ticket, now)
        dwelling = homes.get(ticket.dwelling_id) if ticket.dwelling_id else None
        items.append(
            QueueItem(
                kind="ticket",
                icon=tickets.category_icon(ticket.category),
                title=f"{tickets.category_label(ticket.category)} · {_dwelling_label(dwelling)}",
                detail=f"{tickets.status_label(ticket.status)} · "
                f"{tickets.priority_label(ticket.priority)}",
                url=path_for("concierge.ticket", ticket_id=ticket.id),
                rank=RANK_OVERDUE if overdue else PRIORITY_RANK[ticket.priority],
                since=ticket.created_at,
                overdue=overdue,
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


def _help_items(staff: Person, building: Building) -> list[QueueItem]:
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
            )
        )
    return items


def _help_call_items(staff: Person, building: Building) -> list[QueueItem]:
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
                detail=f"{_dwelling_label(call.dwelling)} · {state}",
                url=path_for("wellbeing.staff_page", building=building.id),
                rank=RANK_HELP_CALL,
                since=call.since,
            )
        )
    return items


def _parcel_items(building: Building, homes: dict[int, Dwelling]) -> list[QueueItem]:
    items = []
    for parcel in parcels.list_waiting([building.id]):
        dwelling = homes.get(parcel.dwelling_id)
        items.append(
            QueueItem(
                kind="parcel",
                icon="📦",
                title=_("Parcel for %(dwelling)s", dwelling=_dwelling_label(dwelling)),
                detail=" · ".join(
                    p for p in (parcel.carrier, parcels.size_label(parcel.size)) if p
                ),
                url=path_for("concierge.dwelling", dwelling_id=parcel.dwelling_id),
                rank=RANK_LOW,
                since=parcel.created_at,
            )
        )
    return items


def _visit_items(building: Building, now: datetime, homes: dict[int, Dwelling]) -> list[QueueItem]:
    items = []
    for visit in visits.list_for_day(building.id, now, building_zone(building.id)):
        dwelling = homes.get(visit.dwelling_id)
        items.append(
            QueueItem(
                kind="visit",
                icon=visits.kind_icon(visit.kind),
                title=f"{visits.kind_label(visit.kind)} · {_dwelling_label(dwelling)}",
                detail=visit.visitor,
                url=path_for("concierge.dwelling", dwelling_id=visit.dwelling_id),
                rank=RANK_NORMAL,
                since=visit.starts_at,
            )
        )
    return items
