"""The desk's one queue: every domain's lines (registered in portal.desk_queue), the most
urgent and the oldest first; and the desk's own lines (tickets, parcels, visits)."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from concierge.desk import parcels, tickets, visits
from concierge.desk.access import (
    DESK_STAFF_ROLES,
    building_zone,
    check_building_staff,
    desk_hours_of,
)
from concierge.desk.models import ParcelSize, Priority, TicketCategory, TicketStatus
from portal.desk_queue import (
    RANK_HIGH,
    RANK_LOW,
    RANK_NORMAL,
    RANK_OVERDUE,
    RANK_URGENT,
    QueueContext,
    QueueItem,
    Words,
    paths,
    queue_sources,
    register_queue_source,
)
from portal.enums import LabelledEnum
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Building, Dwelling, Person
from portal.urls import path_for

PRIORITY_RANK = {
    Priority.URGENT: RANK_URGENT,
    Priority.HIGH: RANK_HIGH,
    Priority.NORMAL: RANK_NORMAL,
    Priority.LOW: RANK_LOW,
}
PARCEL_FOR = _l("Parcel for %(dwelling)s")
E = TypeVar("E", bound=LabelledEnum)


def list_queue(staff: Person, building: Building, now: datetime) -> list[QueueItem]:
    """Every registered source's lines for one building, the most urgent and oldest first."""
    check_building_staff(staff, building.id)
    # One query of two columns for every dwelling the queue names, instead of one per line.
    rows = db.session.execute(
        select(Dwelling.id, Dwelling.number).where(Dwelling.building_id == building.id)
    )
    context = QueueContext(
        staff=staff,
        building=building,
        now=now,
        zone=building_zone(building.id),
        numbers={dwelling_id: number for dwelling_id, number in rows},
        words=Words.current(),
    )
    items = [item for source in queue_sources() for item in source(context)]
    return sorted(items, key=lambda item: (item.rank, item.since))


def count_open_items(staff: Person) -> int:
    """Open tickets and waiting parcels of all the staff member's buildings (tile badge)."""
    if staff.role not in DESK_STAFF_ROLES:
        return 0
    buildings = people.building_ids_for(staff)
    return tickets.count_open(buildings) + parcels.count_waiting(buildings)


def labels(members: type[E]) -> dict[E, str]:
    """Every member's label, translated once per queue rather than once per line."""
    return {member: member.label for member in members}


def ticket_items(context: QueueContext) -> list[QueueItem]:
    """The building's open tickets; the overdue ones first, then by priority."""
    url = paths("concierge.ticket", "ticket_id")
    category, status = labels(TicketCategory), labels(TicketStatus)
    priority = labels(Priority)
    words, items = context.words, []
    hours = desk_hours_of(context.building)
    for line in tickets.list_open_lines(context.building.id):
        overdue = tickets.is_late(
            line.priority, line.created_at, line.acknowledged_at, context.now, hours
        )
        number = context.numbers.get(line.dwelling_id) if line.dwelling_id else None
        items.append(
            QueueItem(
                kind="ticket",
                icon=line.category.icon,
                title=f"{category[line.category]} · {words.place(number)}",
                detail=f"{status[line.status]} · {priority[line.priority]}",
                url=url(line.id),
                rank=RANK_OVERDUE if overdue else PRIORITY_RANK[line.priority],
                since=line.created_at,
                overdue=overdue,
                when=words.since_when(line.created_at),
            )
        )
    return items


def parcel_items(context: QueueContext) -> list[QueueItem]:
    """The parcels waiting at the desk, oldest first."""
    url = paths("concierge.dwelling", "dwelling_id")
    parcel_for = str(PARCEL_FOR)
    size = labels(ParcelSize)
    words = context.words
    return [
        QueueItem(
            kind="parcel",
            icon="package",
            title=parcel_for % {"dwelling": words.place(context.numbers.get(line.dwelling_id))},
            detail=" · ".join(p for p in (line.carrier, size[line.size]) if p),
            url=url(line.dwelling_id),
            rank=RANK_LOW,
            since=line.created_at,
            when=words.since_when(line.created_at),
        )
        for line in parcels.list_waiting_lines(context.building.id)
    ]


def visit_items(context: QueueContext) -> list[QueueItem]:
    """Today's expected visits and permissions to enter, by start time."""
    words = context.words
    return [
        QueueItem(
            kind="visit",
            icon=visit.kind.icon,
            title=f"{visit.kind.label} · {words.place(context.numbers.get(visit.dwelling_id))}",
            detail=visit.visitor,
            url=path_for("concierge.dwelling", dwelling_id=visit.dwelling_id),
            rank=RANK_NORMAL,
            since=visit.starts_at,
            when=words.from_when(visit.starts_at),
        )
        for visit in visits.list_for_day(context.building.id, context.now, context.zone)
    ]


register_queue_source("concierge.tickets", ticket_items)
register_queue_source("concierge.parcels", parcel_items)
register_queue_source("concierge.visits", visit_items)
