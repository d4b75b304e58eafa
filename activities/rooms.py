"""Common rooms: staff configure them; residents and staff book them without overlaps."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from activities.models import Booking, BookingStatus, Room
from activities.rules import HOLDING, access_room, check_free, check_planner, check_times
from portal.db import begin_write
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Person
from portal.urls import path_for


def do_create_room(
    staff: Person,
    building_id: int,
    *,
    name: str,
    capacity: int,
    opens_at: time,
    closes_at: time,
    max_minutes: int,
    needs_approval: bool,
) -> Room:
    """Add a common room to the building, with its hours and limits."""
    check_planner(staff, building_id)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid(_("Give the room a name of at most 120 characters."), "bad_name")
    if closes_at <= opens_at:
        raise Invalid(_("The room must close after it opens."), "bad_hours")
    if not 15 <= max_minutes <= 24 * 60 or not 1 <= capacity <= 500:
        raise Invalid(_("Please check the capacity and the longest booking."), "bad_limits")
    room = Room(
        building_id=building_id,
        name=name,
        capacity=capacity,
        opens_at=opens_at,
        closes_at=closes_at,
        max_minutes=max_minutes,
        needs_approval=needs_approval,
    )
    db.session.add(room)
    db.session.flush()
    return room


def list_rooms(person: Person) -> list[Room]:
    """The rooms of the person's buildings, by name."""
    stmt = (
        select(Room)
        .where(Room.building_id.in_(people.building_ids_for(person)))
        .order_by(Room.name)
    )
    return list(db.session.scalars(stmt))


def check_slot(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """Opening hours, longest booking, and no overlap with another booking."""
    check_times(starts_at, ends_at)
    zone = zone_of(people.get_building(room.building_id))
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if start.date() != end.date() or start.time() < room.opens_at or end.time() > room.closes_at:
        opens, closes = room.opens_at.strftime("%H:%M"), room.closes_at.strftime("%H:%M")
        raise Invalid(
            _("The room is open from %(opens)s to %(closes)s.", opens=opens, closes=closes),
            "closed",
        )
    if ends_at - starts_at > timedelta(minutes=room.max_minutes):
        raise Invalid(
            _("A booking of this room lasts at most %(n)d minutes.", n=room.max_minutes), "too_long"
        )
    check_free(room, starts_at, ends_at)


def list_my_bookings(person: Person, start: datetime, end: datetime) -> list[Booking]:
    """The person's active bookings between two moments."""
    return _holding_between(Booking.person_id == person.id, start, end)


def do_book(
    person: Person, room_id: int, starts_at: datetime, ends_at: datetime, purpose: str = ""
) -> Booking:
    """Book a room; rooms that need approval wait for staff."""
    begin_write(db.session)
    room = access_room(person, room_id, lock=True)
    check_slot(room, starts_at, ends_at)
    waits = room.needs_approval and not person.is_staff
    booking = Booking(
        room_id=room.id,
        person_id=person.id,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=(purpose or "").strip()[:200],
        status=BookingStatus.PENDING if waits else BookingStatus.CONFIRMED,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def access_booking(person: Person, booking_id: int) -> Booking:
    """A booking the person made, or any booking of their buildings for staff (404
    otherwise)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.room.building_id not in people.building_ids_for(person):
        raise NotFound(_("This booking does not exist."))
    if booking.person_id != person.id and not person.is_staff:
        raise NotFound(_("This booking does not exist."))
    return booking


def do_cancel_booking(person: Person, booking_id: int) -> Booking:
    """Give the room back; returns the cancelled booking."""
    booking = access_booking(person, booking_id)
    if booking.status not in HOLDING:
        raise Conflict(_("This booking is no longer active."), "inactive")
    booking.status = BookingStatus.CANCELLED
    return booking


def do_decide_booking(staff: Person, booking_id: int, approve: bool) -> Booking:
    """Confirm or decline a booking waiting for approval; the resident is told."""
    booking = access_booking(staff, booking_id)
    check_planner(staff, booking.room.building_id)
    if booking.status != BookingStatus.PENDING:
        raise Conflict(_("This booking has already been answered."), "answered")
    booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.DECLINED
    resident = db.session.get(Person, booking.person_id) if booking.person_id else None
    if resident is not None:
        room = booking.room.name
        # In the resident's language, not the staff member's.
        if approve:
            render = lambda: _("Your booking of %(room)s is confirmed.", room=room)  # noqa: E731
        else:
            render = lambda: _("Your booking of %(room)s was declined.", room=room)  # noqa: E731
        notify(
            resident,
            "activities.booking",
            render,
            path_for("activities.room", room_id=booking.room_id),
        )
    return booking


def list_bookings(room: Room, start: datetime, end: datetime) -> list[Booking]:
    """The room's active bookings between two moments."""
    return _holding_between(Booking.room_id == room.id, start, end)


def _holding_between(which: Any, start: datetime, end: datetime) -> list[Booking]:
    """Active bookings matching `which` that overlap [start, end), in time order."""
    stmt = (
        select(Booking)
        .where(which, Booking.status.in_(HOLDING), Booking.starts_at < end, Booking.ends_at > start)
        .order_by(Booking.starts_at)
    )
    return list(db.session.scalars(stmt))
