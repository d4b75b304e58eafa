"""Activities: creating the calendar, signing up and cancelling without ever overbooking."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from activities.models import Activity, Occurrence, Recurrence, Signup, SignupStatus
from portal import realtime
from portal.db import begin_write, utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.notifications.service import notify, person_datetime
from portal.people import service as people
from portal.people.models import Person, Role
from portal.urls import path_for

MAX_OCCURRENCES = 200
MAX_GUESTS = 4
PLANNER_ROLES = frozenset({Role.COORDINATOR, Role.CONCIERGE, Role.MANAGER})

EVENT_PLACES = "activities.places_changed"
EVENT_SIGNUP = "activities.signup_changed"


# Creating -------------------------------------------------------------------------------


def check_planner(person: Person, building_id: int) -> None:
    if person.role not in PLANNER_ROLES or building_id not in people.building_ids_for(person):
        raise DomainError(_("Only the building's staff plan activities."), "forbidden")


def check_times(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DomainError(_("The times are not valid."), "bad_time")
    if ends_at <= starts_at:
        raise DomainError(_("The end must come after the start."), "end_before_start")


def check_capacity(capacity: int | None) -> int | None:
    if capacity is not None and not 1 <= capacity <= 1000:
        raise DomainError(_("The number of places must be between 1 and 1000."), "bad_capacity")
    return capacity


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence_starts(
    first: datetime, recurrence: Recurrence, repeat_until: date | None, zone: Any
) -> list[datetime]:
    """Start times of every occurrence, stepping in local time so 18:00 stays 18:00
    across the daylight-saving change."""
    local_first = first.astimezone(zone)
    if recurrence == Recurrence.NONE:
        return [first]
    if repeat_until is None or repeat_until < local_first.date():
        raise DomainError(_("A repeating activity needs an end date after its start."), "bad_until")
    starts: list[datetime] = []
    step = 0
    while len(starts) < MAX_OCCURRENCES:
        if recurrence == Recurrence.WEEKLY:
            naive = local_first.replace(tzinfo=None) + timedelta(weeks=step)
        else:
            naive = add_months(local_first.replace(tzinfo=None), step)
        if naive.date() > repeat_until:
            break
        starts.append(naive.replace(tzinfo=zone).astimezone(first.tzinfo))
        step += 1
    return starts


def do_create_activity(
    creator: Person,
    building_id: int,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None = None,
    description: str = "",
    category: str = "other",
    place: str = "",
    audience: str = "everyone",
    recurrence: Recurrence = Recurrence.NONE,
    repeat_until: date | None = None,
    room_id: int | None = None,
    photo: bytes | None = None,
) -> Activity:
    """Create an activity and all its occurrences, each with the same capacity; in a common
    room, every occurrence must find the room free."""
    from zoneinfo import ZoneInfo

    check_planner(creator, building_id)
    from activities.categories import AUDIENCES, CATEGORIES

    if category not in CATEGORIES or audience not in AUDIENCES:
        raise DomainError(
            _("Please choose one of the categories and audiences shown."), "bad_choice"
        )
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise DomainError(_("Give the activity a title of at most 120 characters."), "bad_title")
    check_times(starts_at, ends_at)
    check_capacity(capacity)
    building = people.get_building(building_id)
    zone = ZoneInfo(building.time_zone if building else "Europe/Paris")
    duration = ends_at - starts_at
    activity = Activity(
        building_id=building_id, title=title, description=description.strip(), category=category,
        place=place.strip(), capacity=capacity, audience=audience, recurrence=recurrence,
        repeat_until=repeat_until, created_by_id=creator.id,
    )  # fmt: skip
    starts = occurrence_starts(starts_at, recurrence, repeat_until, zone)
    if room_id is not None:
        from activities import rooms

        room = rooms.access_room(creator, room_id)
        for start in starts:
            rooms.check_free(room, start, start + duration)
        activity.room_id = room.id
        activity.place = activity.place or room.name
    if photo:
        from portal.uploads import store_image

        max_bytes = current_app.config["MESSAGING_MAX_PHOTO_BYTES"]
        activity.photo_name = store_image(photo, max_bytes).file_name
    activity.occurrences = [
        Occurrence(starts_at=start, ends_at=start + duration, capacity=capacity) for start in starts
    ]
    db.session.add(activity)
    db.session.commit()
    return activity


# Places ---------------------------------------------------------------------------------


def places_taken(occurrence_id: int) -> int:
    """Seats used by confirmed sign-ups, guests included."""
    stmt = select(func.coalesce(func.sum(1 + Signup.guests), 0)).where(
        Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED
    )
    return int(db.session.scalar(stmt) or 0)


def places_left(occurrence: Occurrence) -> int | None:
    if occurrence.capacity is None:
        return None
    return max(0, occurrence.capacity - places_taken(occurrence.id))


def access_occurrence(person: Person, occurrence_id: int, *, lock: bool = False) -> Occurrence:
    stmt = select(Occurrence).where(Occurrence.id == occurrence_id)
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds its write lock already
    occurrence = db.session.scalars(stmt).first()
    if occurrence is None or occurrence.activity.building_id not in people.building_ids_for(person):
        raise DomainError(_("This activity does not exist."), "not_found")
    return occurrence


def check_guests(guests: Any) -> int:
    if not isinstance(guests, int) or isinstance(guests, bool) or not 0 <= guests <= MAX_GUESTS:
        raise DomainError(_("You can bring up to %(n)d guests.", n=MAX_GUESTS), "bad_guests")
    return guests


def _signup_of(person_id: int, occurrence_id: int) -> Signup | None:
    stmt = select(Signup).where(
        Signup.occurrence_id == occurrence_id, Signup.person_id == person_id
    )
    return db.session.scalars(stmt).first()


@dataclass(frozen=True)
class SignupResult:
    status: SignupStatus
    places_left: int | None


def do_sign_up(
    person: Person, occurrence_id: int, *, guests: int = 0, show_name: bool = True
) -> SignupResult:
    """Take a place, or a place on the waiting list when the guests do not fit."""
    guests = check_guests(guests)
    begin_write(db.session)
    occurrence = access_occurrence(person, occurrence_id, lock=True)
    if occurrence.cancelled_at is not None or occurrence.activity.cancelled_at is not None:
        raise DomainError(_("This activity is cancelled."), "cancelled")
    if occurrence.ends_at <= utcnow():
        raise DomainError(_("This activity is over."), "past")
    signup = _signup_of(person.id, occurrence.id)
    if signup is not None and signup.status != SignupStatus.CANCELLED:
        raise DomainError(_("You are already signed up."), "already")
    left = places_left(occurrence)
    fits = left is None or 1 + guests <= left
    status = SignupStatus.CONFIRMED if fits else SignupStatus.WAITLISTED
    now = utcnow()
    if signup is None:
        signup = Signup(occurrence_id=occurrence.id, person_id=person.id, queued_at=now,
                        guests=guests, status=status, show_name=show_name)  # fmt: skip
        db.session.add(signup)
    else:
        signup.guests, signup.status, signup.show_name = guests, status, show_name
        signup.queued_at, signup.promoted_at = now, None
    db.session.flush()
    result = SignupResult(status, places_left(occurrence))
    _publish_places(occurrence, result.places_left)
    _publish_signup(person.id, occurrence.id, status)
    db.session.commit()
    return result


def do_cancel_signup(person: Person, occurrence_id: int) -> list[int]:
    """Cancel one's place (always possible); the waiting list moves up. Returns who was
    promoted."""
    begin_write(db.session)
    occurrence = access_occurrence(person, occurrence_id, lock=True)
    signup = _signup_of(person.id, occurrence.id)
    if signup is None or signup.status == SignupStatus.CANCELLED:
        raise DomainError(_("You are not signed up."), "not_signed_up")
    signup.status = SignupStatus.CANCELLED
    db.session.flush()
    promoted = _promote_waiting(occurrence)
    left = places_left(occurrence)
    _publish_places(occurrence, left)
    _publish_signup(person.id, occurrence.id, SignupStatus.CANCELLED)
    db.session.commit()
    return promoted


def _promote_waiting(occurrence: Occurrence) -> list[int]:
    """First come, first served: promote from the head of the list while it fits."""
    stmt = (
        select(Signup)
        .where(Signup.occurrence_id == occurrence.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.queued_at, Signup.id)
    )
    promoted: list[int] = []
    for waiting in db.session.scalars(stmt):
        left = places_left(occurrence)
        if left is not None and 1 + waiting.guests > left:
            break
        waiting.status = SignupStatus.CONFIRMED
        waiting.promoted_at = utcnow()
        db.session.flush()
        promoted.append(waiting.person_id)
        _publish_signup(waiting.person_id, occurrence.id, SignupStatus.CONFIRMED, promoted=True)
        _notify_promoted(waiting.person_id, occurrence)
    return promoted


def _notify_promoted(person_id: int, occurrence: Occurrence) -> None:
    """Tell the promoted person, in their own language."""
    person = db.session.get(Person, person_id)
    if person is None:
        return
    title = occurrence.activity.title
    notify(person, "activities.promoted",
           lambda: _("A place freed up: you are going to %(title)s", title=title),
           path_for("activities.occurrence", occurrence_id=occurrence.id))  # fmt: skip


def _publish_places(occurrence: Occurrence, left: int | None) -> None:
    payload = {"occurrence_id": occurrence.id, "places_left": left}
    realtime.publish(EVENT_PLACES, payload, realtime.building_room(occurrence.activity.building_id))


def _publish_signup(
    person_id: int, occurrence_id: int, status: SignupStatus, *, promoted: bool = False
) -> None:
    payload = {"occurrence_id": occurrence_id, "status": status.value, "promoted": promoted}
    realtime.publish(EVENT_SIGNUP, payload, realtime.user_room(person_id))


# Reading --------------------------------------------------------------------------------


def list_signups(occurrence_id: int, status: SignupStatus) -> list[Signup]:
    stmt = (
        select(Signup)
        .where(Signup.occurrence_id == occurrence_id, Signup.status == status)
        .order_by(Signup.queued_at, Signup.id)
    )
    return list(db.session.scalars(stmt))


def get_signup_status(person: Person, occurrence_id: int) -> SignupStatus | None:
    signup = _signup_of(person.id, occurrence_id)
    return signup.status if signup else None


@dataclass(frozen=True)
class OccurrenceView:
    occurrence: Occurrence
    activity: Activity
    places_left: int | None
    my_status: SignupStatus | None


def list_upcoming(person: Person, start: datetime, end: datetime) -> list[OccurrenceView]:
    """Occurrences of the person's buildings between two moments, with places and status."""
    buildings = people.building_ids_for(person)
    stmt = (
        select(Occurrence)
        .join(Activity, Occurrence.activity_id == Activity.id)
        .options(contains_eager(Occurrence.activity))
        .where(
            Activity.building_id.in_(buildings),
            Activity.cancelled_at.is_(None),
            Occurrence.cancelled_at.is_(None),
            Occurrence.ends_at > start,
            Occurrence.starts_at < end,
        )
        .order_by(Occurrence.starts_at)
    )
    occurrences = list(db.session.scalars(stmt))
    ids = [o.id for o in occurrences]
    taken = dict(
        db.session.execute(
            select(Signup.occurrence_id, func.sum(1 + Signup.guests))
            .where(Signup.occurrence_id.in_(ids), Signup.status == SignupStatus.CONFIRMED)
            .group_by(Signup.occurrence_id)
        ).all()
    )
    mine = dict(
        db.session.execute(
            select(Signup.occurrence_id, Signup.status).where(
                Signup.occurrence_id.in_(ids), Signup.person_id == person.id
            )
        ).all()
    )
    views = []
    for occurrence in occurrences:
        left = (
            None
            if occurrence.capacity is None
            else max(0, occurrence.capacity - int(taken.get(occurrence.id, 0)))
        )
        views.append(OccurrenceView(occurrence, occurrence.activity, left, mine.get(occurrence.id)))
    return views


def going_names(occurrence_id: int) -> tuple[list[str], int]:
    """First names of those going who chose to be shown, and how many others are going."""
    shown, hidden = [], 0
    for signup, person in list_participants(occurrence_id):
        if signup.show_name:
            shown.append(person.first_name)
        else:
            hidden += 1
        hidden += signup.guests
    return shown, hidden


EVENT_CANCELLED = "activities.occurrence_cancelled"


def do_cancel_occurrences(staff: Person, occurrence_id: int, *, series: bool) -> list[int]:
    """Cancel one date, or it and every later date; everyone signed up is told at once.

    Returns the ids of the cancelled occurrences."""
    begin_write(db.session)
    occurrence = access_occurrence(staff, occurrence_id, lock=True)
    activity = occurrence.activity
    check_planner(staff, activity.building_id)
    targets = [occurrence]
    if series:
        targets = [o for o in activity.occurrences if o.starts_at >= occurrence.starts_at]
    now = utcnow()
    cancelled: list[int] = []
    for target in targets:
        if target.cancelled_at is not None:
            continue
        target.cancelled_at = now
        cancelled.append(target.id)
        for status in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
            for signup in list_signups(target.id, status):
                _notify_cancelled(signup.person_id, target)
        realtime.publish(EVENT_CANCELLED, {"occurrence_id": target.id},
                         realtime.building_room(activity.building_id))  # fmt: skip
    db.session.commit()
    return cancelled


def _notify_cancelled(person_id: int, occurrence: Occurrence) -> None:
    person = db.session.get(Person, person_id)
    if person is None:
        return
    title, when = occurrence.activity.title, person_datetime(person, occurrence.starts_at)
    notify(person, "activities.cancelled",
           lambda: _("Cancelled: %(title)s on %(when)s", title=title, when=when),
           path_for("activities.occurrence", occurrence_id=occurrence.id))  # fmt: skip


def do_mark_attendance(staff: Person, occurrence_id: int, present_ids: set[int]) -> int:
    """Record who came among those signed up; returns how many came."""
    occurrence = access_occurrence(staff, occurrence_id)
    check_planner(staff, occurrence.activity.building_id)
    if occurrence.starts_at > utcnow():
        raise DomainError(_("Attendance is marked once the activity has started."), "not_started")
    came = 0
    for signup in list_signups(occurrence.id, SignupStatus.CONFIRMED):
        signup.attended = signup.person_id in present_ids
        came += signup.attended
    db.session.commit()
    return came


def list_participants(occurrence_id: int) -> list[tuple[Signup, Person]]:
    stmt = (
        select(Signup, Person)
        .join(Person, Person.id == Signup.person_id)
        .where(Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED)
        .order_by(Person.first_name, Person.last_name)
    )
    return [(signup, person) for signup, person in db.session.execute(stmt).all()]


EVENT_CHANGED = "activities.occurrence_changed"


def do_edit_occurrences(
    staff: Person, occurrence_id: int, *, series: bool, start: Any, end: Any,
    capacity: int | None, title: str | None = None, description: str | None = None,
    place: str | None = None,
) -> list[int]:  # fmt: skip
    """Change the times and places of one date, or of it and all the following ones; the
    title, description and place belong to the whole activity. Everyone signed up is told.
    Returns the ids of the changed occurrences."""
    from zoneinfo import ZoneInfo

    begin_write(db.session)
    occurrence = access_occurrence(staff, occurrence_id, lock=True)
    activity = occurrence.activity
    check_planner(staff, activity.building_id)
    check_capacity(capacity)
    building = people.get_building(activity.building_id)
    zone = ZoneInfo(building.time_zone if building else "Europe/Paris")
    targets = [occurrence]
    if series:
        targets = [o for o in activity.occurrences
                   if o.starts_at >= occurrence.starts_at and o.cancelled_at is None]  # fmt: skip
    planned = []
    for target in targets:
        day = target.starts_at.astimezone(zone).date()
        new_start = datetime.combine(day, start, tzinfo=zone)
        new_end = datetime.combine(day, end, tzinfo=zone)
        check_times(new_start, new_end)
        if capacity is not None and places_taken(target.id) > capacity:
            raise DomainError(
                _("More people are already signed up than that; cancel places first."),
                "capacity_below",
            )
        planned.append((target, new_start, new_end))
    if title is not None:
        title = title.strip()
        if not title or len(title) > 120:
            raise DomainError(
                _("Give the activity a title of at most 120 characters."), "bad_title"
            )
        activity.title = title
    if description is not None:
        activity.description = description.strip()
    if place is not None:
        activity.place = place.strip()
    for target, new_start, new_end in planned:
        target.starts_at, target.ends_at, target.capacity = new_start, new_end, capacity
        db.session.flush()
        _promote_waiting(target)
        for status in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
            for signup in list_signups(target.id, status):
                _notify_changed(signup.person_id, target)
        realtime.publish(EVENT_CHANGED, {"occurrence_id": target.id},
                         realtime.building_room(activity.building_id))  # fmt: skip
        _publish_places(target, places_left(target))
    db.session.commit()
    return [t.id for t, _s, _e in planned]


def _notify_changed(person_id: int, occurrence: Occurrence) -> None:
    person = db.session.get(Person, person_id)
    if person is None:
        return
    title, when = occurrence.activity.title, person_datetime(person, occurrence.starts_at)
    notify(person, "activities.changed",
           lambda: _("Changed: %(title)s is now on %(when)s", title=title, when=when),
           path_for("activities.occurrence", occurrence_id=occurrence.id))  # fmt: skip


def get_activity(person: Person, activity_id: int) -> Activity | None:
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.building_id not in people.building_ids_for(person):
        return None
    return activity
