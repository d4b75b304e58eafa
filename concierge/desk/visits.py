"""Permission to enter and expected visitors: told to the desk, shown on their days."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from concierge.desk import access as desk
from concierge.desk.models import Visit, VisitKind
from messaging.service import desk_room
from portal import realtime
from portal.db import utcnow
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.people.models import Person
from portal.validation import BAD_DAY, as_day

MAX_VISITOR = 120
MAX_NOTE = 300
MAX_SPAN = timedelta(days=31)

EVENT_CHANGED = "concierge.visit_changed"

# Access and checks ----------------------------------------------------------------------


def access_visit(person: Person, visit_id: int) -> Visit:
    """A visit, for its dwelling's residents and its building's staff; others: not found."""
    visit = db.session.get(Visit, visit_id)
    if visit is None:
        raise NotFound(_("This visit does not exist."))
    desk.access_dwelling(person, visit.dwelling_id)
    return visit


def check_kind(value: Any) -> VisitKind:
    """One of the choices the form shows."""
    try:
        return VisitKind(value)
    except ValueError as exc:
        raise Invalid(_("Please choose one of the choices shown."), "bad_kind") from exc


def check_visitor(name: str | None) -> str:
    """Who is coming, present and not too long."""
    name = (name or "").strip()
    if not name or len(name) > MAX_VISITOR:
        raise Invalid(
            _("Please say who is coming, in at most %(num)d characters.", num=MAX_VISITOR),
            "bad_visitor",
        )
    return name


def check_note(note: str | None) -> str:
    """A note for the desk, not too long (may be empty)."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(_("Please keep it under %(num)d characters.", num=MAX_NOTE), "too_long")
    return note


def check_window(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """A time window on days a person could mean, that ends after it starts, is not over
    and lasts at most 31 days."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid(_("The times are not valid."), "bad_time")
    if as_day(starts_at.date()) is None or as_day(ends_at.date()) is None:
        raise Invalid(str(BAD_DAY), "bad_date")
    if ends_at <= starts_at:
        raise Invalid(_("The end must come after the start."), "end_before_start")
    if ends_at <= now:
        raise Invalid(_("This time is already over."), "past")
    if ends_at - starts_at > MAX_SPAN:
        raise Invalid(_("Please give at most 31 days."), "too_long")


# Writing --------------------------------------------------------------------------------


def do_add_visit(
    person: Person,
    dwelling_id: int,
    *,
    kind: Any,
    visitor: str | None,
    starts_at: datetime,
    ends_at: datetime,
    note: str | None = "",
) -> Visit:
    """A resident (or the staff for them) tells the desk who may enter or is expected."""
    dwelling = desk.access_dwelling(person, dwelling_id)
    kind, name, note = check_kind(kind), check_visitor(visitor), check_note(note)
    check_window(starts_at, ends_at, utcnow())
    visit = Visit(
        building_id=dwelling.building_id,
        dwelling_id=dwelling.id,
        person_id=person.id,
        kind=kind,
        visitor=name,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
    )
    db.session.add(visit)
    db.session.flush()
    _publish(visit)
    return visit


def do_cancel_visit(person: Person, visit_id: int) -> Visit:
    """Cancel a visit the person may see; the desk's day list drops it live."""
    visit = access_visit(person, visit_id)
    if visit.cancelled_at is not None:
        raise Conflict(_("This visit is already cancelled."), "cancelled")
    visit.cancelled_at = utcnow()
    _publish(visit)
    return visit


def _publish(visit: Visit) -> None:
    """To the desk screens of the visit's building."""
    payload = {
        "visit_id": visit.id,
        "dwelling_id": visit.dwelling_id,
        "building_id": visit.building_id,
    }
    realtime.publish(EVENT_CHANGED, payload, desk_room(visit.building_id))


# Reading --------------------------------------------------------------------------------


def list_for_day(building_id: int, now: datetime, zone: ZoneInfo) -> list[Visit]:
    """The building's visits on the local day of `now`, not cancelled, by start time."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(0), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone)
    stmt = (
        select(Visit)
        .where(
            Visit.building_id == building_id,
            Visit.cancelled_at.is_(None),
            Visit.starts_at < end,
            Visit.ends_at > start,
        )
        .order_by(Visit.starts_at)
    )
    return list(db.session.scalars(stmt))


def list_for_dwelling(person: Person, dwelling_id: int, now: datetime) -> list[Visit]:
    """A dwelling's visits still to come or under way."""
    dwelling = desk.access_dwelling(person, dwelling_id)
    stmt = (
        select(Visit)
        .where(Visit.dwelling_id == dwelling.id, Visit.cancelled_at.is_(None), Visit.ends_at > now)
        .order_by(Visit.starts_at)
    )
    return list(db.session.scalars(stmt))
