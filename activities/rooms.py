"""Common rooms: staff configure them; residents and staff book them without overlaps."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from activities import service
from activities.models import Activity, Booking, BookingStatus, Occurrence, Room
from portal.db import begin_write
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Person
from portal.urls import path_for

HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


def do_create_room(
    staff: Person, building_id: int, *, name: str, capacity: int, opens_at: time,
    closes_at: time, max_minutes: int, needs_approval: bool,
) -> Room:  # fmt: skip
    service.check_planner(staff, building_id)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise DomainError(_("Give the room a name of at most 120 characters."), "bad_name")
    if closes_at <= opens_at:
        raise DomainError(_("The room must close after it opens."), "bad_hours")
    if not 15 <= max_minutes <= 24 * 60 or not 1 <= capacity <= 500:
        raise DomainError(_("Please check the capacity and the longest booking."), "bad_limits")
    room = Room(
        building_id=building_id, name=name, capacity=capacity, opens_at=opens_at,
        closes_at=closes_at, max_minutes=max_minutes, needs_approval=needs_approval,
    )  # fmt: skip
    db.session.add(room)
    db.session.commit()
    return room


def list_rooms(person: Person) -> list[Room]:
    stmt = (
        select(Room)
        .where(Room.building_id.in_(people.building_ids_for(person)))
        .order_by(Room.name)
    )
    return list(db.session.scalars(stmt))


def access_room(person: Person, room_id: int, *, lock: bool = False) -> Room:
    stmt = select(Room).where(Room.id == room_id)
    if lock:
        stmt = stmt.with_for_update()
    room = db.session.scalars(stmt).first()
    if room is None or room.building_id not in people.building_ids_for(person):
        raise DomainError(_("This room does not exist."), "not_found")
    return room


def _zone(room: Room) -> ZoneInfo:
    building = people.get_building(room.building_id)
    return ZoneInfo(building.time_zone if building else "Europe/Paris")


def check_slot(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """Opening hours, longest booking, and no overlap with another booking."""
    service.check_times(starts_at, ends_at)
    zone = _zone(room)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if start.date() != end.date() or start.time() < room.opens_at or end.time() > room.closes_at:
        raise DomainError(
            _("The room is open from %(opens)s to %(closes)s.",
              opens=room.opens_at.strftime("%H:%M"), closes=room.closes_at.strftime("%H:%M")),
            "closed",
        )  # fmt: skip
    if ends_at - starts_at > timedelta(minutes=room.max_minutes):
        raise DomainError(
            _("A booking of this room lasts at most %(n)d minutes.", n=room.max_minutes), "too_long"
        )
    check_free(room, starts_at, ends_at)


def check_free(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """Neither a booking nor an activity holds the room at that time."""
    clash = select(Booking.id).where(
        Booking.room_id == room.id, Booking.status.in_(HOLDING),
        Booking.starts_at < ends_at, Booking.ends_at > starts_at,
    )  # fmt: skip
    activity_clash = (
        select(Occurrence.id)
        .join(Activity, Activity.id == Occurrence.activity_id)
        .where(
            Activity.room_id == room.id, Activity.cancelled_at.is_(None),
            Occurrence.cancelled_at.is_(None),
            Occurrence.starts_at < ends_at, Occurrence.ends_at > starts_at,
        )
    )  # fmt: skip
    if (
        db.session.scalars(clash).first() is not None
        or db.session.scalars(activity_clash).first() is not None
    ):
        raise DomainError(_("The room is already booked at that time."), "overlap")


def list_my_bookings(person: Person, start: datetime, end: datetime) -> list[Booking]:
    return _holding_between(Booking.person_id == person.id, start, end)


def do_book(
    person: Person, room_id: int, starts_at: datetime, ends_at: datetime, purpose: str = ""
) -> Booking:
    """Book a room; rooms that need approval wait for staff."""
    begin_write(db.session)
    room = access_room(person, room_id, lock=True)
    check_slot(room, starts_at, ends_at)
    status = (
        BookingStatus.PENDING if room.needs_approval and not person.is_staff
        else BookingStatus.CONFIRMED
    )  # fmt: skip
    booking = Booking(
        room_id=room.id, person_id=person.id, starts_at=starts_at, ends_at=ends_at,
        purpose=(purpose or "").strip()[:200], status=status,
    )  # fmt: skip
    db.session.add(booking)
    db.session.commit()
    return booking


def access_booking(person: Person, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.room.building_id not in people.building_ids_for(person):
        raise DomainError(_("This booking does not exist."), "not_found")
    if booking.person_id != person.id and not person.is_staff:
        raise DomainError(_("This booking does not exist."), "not_found")
    return booking


def do_cancel_booking(person: Person, booking_id: int) -> None:
    booking = access_booking(person, booking_id)
    if booking.status not in HOLDING:
        raise DomainError(_("This booking is no longer active."), "inactive")
    booking.status = BookingStatus.CANCELLED
    db.session.commit()


def do_decide_booking(staff: Person, booking_id: int, approve: bool) -> Booking:
    booking = access_booking(staff, booking_id)
    service.check_planner(staff, booking.room.building_id)
    if booking.status != BookingStatus.PENDING:
        raise DomainError(_("This booking has already been answered."), "answered")
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.DECLINED
    resident = db.session.get(Person, booking.person_id) if booking.person_id else None
    if resident is not None:
        room = booking.room.name
        render = (  # in the resident's language, not the staff member's
            (lambda: _("Your booking of %(room)s is confirmed.", room=room)) if approve
            else (lambda: _("Your booking of %(room)s was declined.", room=room))
        )  # fmt: skip
        notify(resident, "activities.booking", render,
               path_for("activities.room", room_id=booking.room_id))  # fmt: skip
    db.session.commit()
    return booking


def list_bookings(room: Room, start: datetime, end: datetime) -> list[Booking]:
    return _holding_between(Booking.room_id == room.id, start, end)


def _holding_between(which: Any, start: datetime, end: datetime) -> list[Booking]:
    """Active bookings matching `which` that overlap [start, end), in time order."""
    stmt = (
        select(Booking)
        .where(which, Booking.status.in_(HOLDING), Booking.starts_at < end, Booking.ends_at > start)
        .order_by(Booking.starts_at)
    )
    return list(db.session.scalars(stmt))
