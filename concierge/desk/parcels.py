"""Parcels: logged at the desk, the dwelling's residents told at once, reminded once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Row, func, select

from concierge.desk import access as desk
from concierge.desk.models import Parcel, ParcelSize
from messaging.service import desk_room
from portal import realtime
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.notifications.service import notify
from portal.people.models import Person
from portal.urls import path_for

MAX_CARRIER = 80
MAX_NOTE = 200
MAX_NAME = 120

EVENT_LOGGED = "concierge.parcel_logged"
EVENT_COLLECTED = "concierge.parcel_collected"
EVENT_REMINDED = "concierge.parcel_reminded"

# Access and checks ----------------------------------------------------------------------


def access_parcel(person: Person, parcel_id: int, *, lock: bool = False) -> Parcel:
    """A parcel its dwelling's residents and its building's staff may see."""
    stmt = select(Parcel).where(Parcel.id == parcel_id)
    if lock:
        stmt = stmt.with_for_update()
    parcel = db.session.scalars(stmt).first()
    if parcel is None:
        raise NotFound(_("This parcel does not exist."))
    desk.access_dwelling(person, parcel.dwelling_id)
    return parcel


def check_size(value: Any) -> ParcelSize:
    """One of the sizes the form shows."""
    try:
        return ParcelSize(value)
    except ValueError as exc:
        raise Invalid(_("Please choose one of the sizes shown."), "bad_size") from exc


def _check_text(value: str | None, limit: int) -> str:
    """A short text, stripped, at most `limit` characters."""
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(_("Please keep it under %(num)d characters.", num=limit), "too_long")
    return value


# Writing --------------------------------------------------------------------------------


def do_log_parcel(
    staff: Person,
    dwelling_id: int,
    *,
    carrier: str | None = "",
    size: Any = ParcelSize.SMALL,
    note: str | None = "",
) -> Parcel:
    """Log a parcel for a dwelling; every resident of it is told in their own language."""
    dwelling = desk.access_staff_dwelling(staff, dwelling_id)
    parcel = Parcel(
        building_id=dwelling.building_id,
        dwelling_id=dwelling.id,
        carrier=_check_text(carrier, MAX_CARRIER),
        size=check_size(size),
        note=_check_text(note, MAX_NOTE),
        logged_by_id=staff.id,
    )
    db.session.add(parcel)
    db.session.flush()
    _tell_residents(parcel, reminder=False)
    _publish(EVENT_LOGGED, parcel)
    return parcel


def do_hand_over(
    staff: Person,
    parcel_id: int,
    *,
    collected_by_id: int | None = None,
    collected_by_name: str | None = "",
) -> Parcel:
    """Record who collected a parcel (a resident of the dwelling, or a name) and by whom;
    the pickup and its events stand or fall together (the request commits them)."""
    name = _check_text(collected_by_name, MAX_NAME)
    begin_write(db.session)
    parcel = access_parcel(staff, parcel_id, lock=True)
    desk.check_building_staff(staff, parcel.building_id)
    if parcel.collected_at is not None:
        raise Conflict(_("This parcel has already been collected."), "collected")
    if collected_by_id is not None:
        residents = {p.id for p in desk.dwelling_residents(parcel.dwelling_id)}
        if collected_by_id not in residents:
            raise Invalid(_("Please choose a resident of this dwelling."), "bad_resident")
    elif not name:
        raise Invalid(_("Please say who collected the parcel."), "no_collector")
    parcel.collected_at = utcnow()
    parcel.collected_by_id = collected_by_id
    parcel.collected_by_name = "" if collected_by_id is not None else name
    parcel.handed_over_by_id = staff.id
    _publish(EVENT_COLLECTED, parcel)
    return parcel


def send_due_reminders(now: datetime) -> int:
    """Remind the residents once about parcels waiting for 3 days; returns how many (the
    job that calls it commits)."""
    days = current_app.config["CONCIERGE_PARCEL_REMINDER_DAYS"]
    begin_write(db.session)
    stmt = select(Parcel).where(
        Parcel.collected_at.is_(None),
        Parcel.reminded_at.is_(None),
        Parcel.created_at <= now - timedelta(days=days),
    )
    due = list(db.session.scalars(stmt.with_for_update()))
    for parcel in due:
        parcel.reminded_at = now
        _tell_residents(parcel, reminder=True)
    return len(due)


def _message(parcel: Parcel, reminder: bool) -> Callable[[], str]:
    """The notification's text, written later in each resident's own language."""
    carrier, days = parcel.carrier, current_app.config["CONCIERGE_PARCEL_REMINDER_DAYS"]
    if reminder:
        return lambda: ngettext(
            "A parcel has been waiting for you at the desk for %(num)d day.",
            "A parcel has been waiting for you at the desk for %(num)d days.",
            days,
        )
    if carrier:
        return lambda: _("A parcel (%(carrier)s) is waiting for you at the desk.", carrier=carrier)
    return lambda: _("A parcel is waiting for you at the desk.")


def _tell_residents(parcel: Parcel, *, reminder: bool) -> None:
    """A notification and a live event for each resident of the parcel's dwelling."""
    url = path_for("concierge.my_home")
    event = EVENT_REMINDED if reminder else EVENT_LOGGED
    payload = {"parcel_id": parcel.id, "dwelling_id": parcel.dwelling_id}
    for resident in desk.dwelling_residents(parcel.dwelling_id):
        notify(resident, "concierge.parcel", _message(parcel, reminder), url)
        realtime.publish(event, payload, realtime.user_room(resident.id))


def _publish(name: str, parcel: Parcel) -> None:
    """To the desk screens; a collection also to the dwelling's residents' screens."""
    payload = {
        "parcel_id": parcel.id,
        "dwelling_id": parcel.dwelling_id,
        "building_id": parcel.building_id,
    }
    realtime.publish(name, payload, desk_room(parcel.building_id))
    if name == EVENT_COLLECTED:
        for resident in desk.dwelling_residents(parcel.dwelling_id):
            realtime.publish(name, payload, realtime.user_room(resident.id))


# Reading --------------------------------------------------------------------------------


def list_waiting(building_ids: Iterable[int]) -> list[Parcel]:
    """The parcels of these buildings still at the desk, oldest first."""
    stmt = (
        select(Parcel)
        .where(Parcel.building_id.in_(list(building_ids)), Parcel.collected_at.is_(None))
        .order_by(Parcel.created_at)
    )
    return list(db.session.scalars(stmt))


def list_waiting_lines(building_id: int) -> list[Row[Any]]:
    """The waiting parcels' few columns the desk's queue shows, oldest first."""
    stmt = (
        select(Parcel.dwelling_id, Parcel.carrier, Parcel.size, Parcel.created_at)
        .where(Parcel.building_id == building_id, Parcel.collected_at.is_(None))
        .order_by(Parcel.created_at)
    )
    return list(db.session.execute(stmt))


def count_waiting(building_ids: Iterable[int]) -> int:
    """How many parcels of these buildings are still at the desk."""
    stmt = select(func.count(Parcel.id)).where(
        Parcel.building_id.in_(list(building_ids)), Parcel.collected_at.is_(None)
    )
    return int(db.session.scalar(stmt) or 0)


def list_for_dwelling(person: Person, dwelling_id: int, *, collected: bool = False) -> list[Parcel]:
    """A dwelling's waiting parcels (or the last collected ones), for those who may see it."""
    dwelling = desk.access_dwelling(person, dwelling_id)
    stmt = select(Parcel).where(Parcel.dwelling_id == dwelling.id)
    if collected:
        stmt = stmt.where(Parcel.collected_at.is_not(None)).order_by(Parcel.collected_at.desc())
        stmt = stmt.limit(10)
    else:
        stmt = stmt.where(Parcel.collected_at.is_(None)).order_by(Parcel.created_at)
    return list(db.session.scalars(stmt))


def count_waiting_for(person: Person) -> int:
    """The resident's dwelling's waiting parcels (the My home tile's badge)."""
    if not person.is_resident or person.dwelling_id is None:
        return 0
    stmt = select(func.count(Parcel.id)).where(
        Parcel.dwelling_id == person.dwelling_id, Parcel.collected_at.is_(None)
    )
    return int(db.session.scalar(stmt) or 0)
