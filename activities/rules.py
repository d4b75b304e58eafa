"""Who may plan, which times and numbers are valid, who may see an occurrence or a room: the
checks every activities service shares (they only read)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from activities.models import (
    Activity,
    Booking,
    BookingStatus,
    Occurrence,
    Room,
    Signup,
    SignupStatus,
)
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Person, Role
from portal.validation import BAD_DAY, as_day

PLANNER_ROLES = frozenset({Role.COORDINATOR, Role.CONCIERGE, Role.MANAGER})
MAX_GUESTS = 4
MAX_DURATION = timedelta(hours=24)  # the forms plan one day; a room, less
# Bookings that hold their room: waiting for approval, or confirmed.
HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED)


def photo_max_bytes() -> int:
    """The largest photo accepted for an activity or its album (ACTIVITIES_MAX_PHOTO_BYTES)."""
    return int(current_app.config["ACTIVITIES_MAX_PHOTO_BYTES"])


def may_plan(person: Person) -> bool:
    """Staff who plan activities (coordinators, the concierge, managers)."""
    return person.role in PLANNER_ROLES


def check_planner(person: Person, building_id: int) -> None:
    """Only the building's staff plan activities, rooms and answers."""
    if not may_plan(person) or building_id not in people.building_ids_for(person):
        raise Forbidden(_("Only the building's staff plan activities."))


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    """Times are aware, on days a person could mean (far ones overflow the date arithmetic
    of repeats and time zones), and the end comes after the start, within a day."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid(_("The times are not valid."), "bad_time")
    if as_day(starts_at.date()) is None or as_day(ends_at.date()) is None:
        raise Invalid(str(BAD_DAY), "bad_date")
    if ends_at <= starts_at:
        raise Invalid(_("The end must come after the start."), "end_before_start")
    if ends_at - starts_at > MAX_DURATION:
        raise Invalid(_("An activity lasts at most one day."), "too_long")


def check_capacity(capacity: int | None) -> int | None:
    """No limit (None), or between 1 and 1000 places."""
    if capacity is not None and not 1 <= capacity <= 1000:
        raise Invalid(_("The number of places must be between 1 and 1000."), "bad_capacity")
    return capacity


def check_title(title: str | None) -> str:
    """A title of 1 to 120 characters, without surrounding spaces."""
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise Invalid(_("Give the activity a title of at most 120 characters."), "bad_title")
    return title


def check_guests(guests: Any) -> int:
    """From 0 to MAX_GUESTS guests, as a whole number."""
    if not isinstance(guests, int) or isinstance(guests, bool) or not 0 <= guests <= MAX_GUESTS:
        raise Invalid(_("You can bring up to %(n)d guests.", n=MAX_GUESTS), "bad_guests")
    return guests


def access_occurrence(person: Person, occurrence_id: int, *, lock: bool = False) -> Occurrence:
    """An occurrence of one of the person's buildings (404 otherwise); `lock` holds its row
    for the rest of the transaction."""
    stmt = select(Occurrence).where(Occurrence.id == occurrence_id)
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds its write lock already
    occurrence = db.session.scalars(stmt).first()
    if occurrence is None or occurrence.activity.building_id not in people.building_ids_for(person):
        raise NotFound(_("This activity does not exist."))
    return occurrence


def places_taken(occurrence_id: int) -> int:
    """Seats used by confirmed sign-ups, guests included."""
    stmt = select(func.coalesce(func.sum(1 + Signup.guests), 0)).where(
        Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED
    )
    return int(db.session.scalar(stmt) or 0)


def places_left(occurrence: Occurrence) -> int | None:
    """Seats still free, or None when the occurrence has no limit."""
    if occurrence.capacity is None:
        return None
    return max(0, occurrence.capacity - places_taken(occurrence.id))


def access_room(person: Person, room_id: int, *, lock: bool = False) -> Room:
    """A common room of one of the person's buildings (404 otherwise)."""
    stmt = select(Room).where(Room.id == room_id)
    if lock:
        stmt = stmt.with_for_update()
    room = db.session.scalars(stmt).first()
    if room is None or room.building_id not in people.building_ids_for(person):
        raise NotFound(_("This room does not exist."))
    return room


def check_free(room: Room, starts_at: datetime, ends_at: datetime) -> None:
    """Neither a booking nor an activity holds the room at that time."""
    clash = select(Booking.id).where(
        Booking.room_id == room.id,
        Booking.status.in_(HOLDING),
        Booking.starts_at < ends_at,
        Booking.ends_at > starts_at,
    )
    activity_clash = (
        select(Occurrence.id)
        .join(Activity, Activity.id == Occurrence.activity_id)
        .where(
            Activity.room_id == room.id,
            Activity.cancelled_at.is_(None),
            Occurrence.cancelled_at.is_(None),
            Occurrence.starts_at < ends_at,
            Occurrence.ends_at > starts_at,
        )
    )
    if (
        db.session.scalars(clash).first() is not None
        or db.session.scalars(activity_clash).first() is not None
    ):
        raise Conflict(_("The room is already booked at that time."), "overlap")
