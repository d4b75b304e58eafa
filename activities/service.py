"""Activities: creating the calendar, signing up and cancelling without ever overbooking.

Services add, flush and publish; the request, socket event or job that calls them commits
once (portal.transaction), so each operation of several steps is all or nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from activities.models import (
    Activity,
    ActivityCategory,
    Audience,
    Occurrence,
    Recurrence,
    Signup,
    SignupStatus,
)
from activities.rules import (
    access_occurrence,
    access_room,
    check_capacity,
    check_free,
    check_guests,
    check_planner,
    check_times,
    check_title,
    photo_max_bytes,
    places_left,
    places_taken,
)
from portal import realtime
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify, person_datetime
from portal.people import service as people
from portal.people.models import Person
from portal.uploads import store_image
from portal.urls import path_for
from portal.validation import BAD_DAY, as_day

MAX_OCCURRENCES = 200

EVENT_PLACES = "activities.places_changed"
EVENT_SIGNUP = "activities.signup_changed"
EVENT_CANCELLED = "activities.occurrence_cancelled"
EVENT_CHANGED = "activities.occurrence_changed"


# Creating -------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def occurrence_starts(
    first: datetime, recurrence: Recurrence, repeat_until: date | None, zone: ZoneInfo
) -> list[datetime]:
    """Start times of every occurrence, stepping in local time so 18:00 stays 18:00
    across the daylight-saving change."""
    if repeat_until is not None and as_day(repeat_until) is None:
        raise Invalid(str(BAD_DAY), "bad_until")  # stepping towards a far day would overflow
    local_first = first.astimezone(zone)
    if recurrence == Recurrence.NONE:
        return [first]
    if repeat_until is None or repeat_until < local_first.date():
        raise Invalid(_("A repeating activity needs an end date after its start."), "bad_until")
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


def _choices(category: str, audience: str) -> tuple[ActivityCategory, Audience]:
    """The category and audience as members; anything else is refused."""
    try:
        return ActivityCategory(category), Audience(audience)
    except ValueError:
        raise Invalid(
            _("Please choose one of the categories and audiences shown."), "bad_choice"
        ) from None


def do_create_activity(
    creator: Person,
    building_id: int,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int | None = None,
    description: str = "",
    category: ActivityCategory | str = ActivityCategory.OTHER,
    place: str = "",
    audience: Audience | str = Audience.EVERYONE,
    recurrence: Recurrence = Recurrence.NONE,
    repeat_until: date | None = None,
    room_id: int | None = None,
    photo: bytes | None = None,
) -> Activity:
    """Create an activity and all its occurrences, each with the same capacity; in a common
    room, every occurrence must find the room free."""
    check_planner(creator, building_id)
    category, audience = _choices(category, audience)
    title = check_title(title)
    check_times(starts_at, ends_at)
    check_capacity(capacity)
    zone = zone_of(people.get_building(building_id))
    duration = ends_at - starts_at
    activity = Activity(
        building_id=building_id,
        title=title,
        description=description.strip(),
        category=category,
        place=place.strip(),
        capacity=capacity,
        audience=audience,
        recurrence=recurrence,
        repeat_until=repeat_until,
        created_by_id=creator.id,
    )
    starts = occurrence_starts(starts_at, recurrence, repeat_until, zone)
    if room_id is not None:
        room = access_room(creator, room_id)
        for start in starts:
            check_free(room, start, start + duration)
        activity.room_id = room.id
        activity.place = activity.place or room.name
    if photo:
        activity.photo_name = store_image(photo, photo_max_bytes()).file_name
    activity.occurrences = [
        Occurrence(starts_at=start, ends_at=start + duration, capacity=capacity) for start in starts
    ]
    db.session.add(activity)
    db.session.flush()
    return activity


# Places ---------------------------------------------------------------------------------


def _signup_of(person_id: int, occurrence_id: int) -> Signup | None:
    """The person's sign-up row for the occurrence, whatever its status."""
    stmt = select(Signup).where(
        Signup.occurrence_id == occurrence_id, Signup.person_id == person_id
    )
    return db.session.scalars(stmt).first()


@dataclass(frozen=True)
class SignupResult:
    """What a sign-up gave: a place or the waiting list, and the places still free."""

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
        raise Conflict(_("This activity is cancelled."), "cancelled")
    if occurrence.ends_at <= utcnow():
        raise Invalid(_("This activity is over."), "past")
    signup = _signup_of(person.id, occurrence.id)
    if signup is not None and signup.status != SignupStatus.CANCELLED:
        raise Conflict(_("You are already signed up."), "already")
    left = places_left(occurrence)
    fits = left is None or 1 + guests <= left
    status = SignupStatus.CONFIRMED if fits else SignupStatus.WAITLISTED
    now = utcnow()
    if signup is None:
        signup = Signup(
            occurrence_id=occurrence.id,
            person_id=person.id,
            queued_at=now,
            guests=guests,
            status=status,
            show_name=show_name,
        )
        db.session.add(signup)
    else:
        signup.guests, signup.status, signup.show_name = guests, status, show_name
        signup.queued_at, signup.promoted_at = now, None
    db.session.flush()
    result = SignupResult(status, places_left(occurrence))
    _publish_places(occurrence, result.places_left)
    _publish_signup(person.id, occurrence.id, status)
    return result


def do_cancel_signup(person: Person, occurrence_id: int) -> list[int]:
    """Cancel one's place (always possible); the waiting list moves up. Returns who was
    promoted."""
    begin_write(db.session)
    occurrence = access_occurrence(person, occurrence_id, lock=True)
    signup = _signup_of(person.id, occurrence.id)
    if signup is None or signup.status == SignupStatus.CANCELLED:
        raise Invalid(_("You are not signed up."), "not_signed_up")
    signup.status = SignupStatus.CANCELLED
    db.session.flush()
    promoted = _promote_waiting(occurrence)
    _publish_places(occurrence, places_left(occurrence))
    _publish_signup(person.id, occurrence.id, SignupStatus.CANCELLED)
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
    notify(
        person,
        "activities.promoted",
        lambda: _("A place freed up: you are going to %(title)s", title=title),
        path_for("activities.occurrence", occurrence_id=occurrence.id),
    )


def _publish_places(occurrence: Occurrence, left: int | None) -> None:
    """Everyone in the building sees the places left change (after the commit)."""
    payload = {"occurrence_id": occurrence.id, "places_left": left}
    realtime.publish(EVENT_PLACES, payload, realtime.building_room(occurrence.activity.building_id))


def _publish_signup(
    person_id: int, occurrence_id: int, status: SignupStatus, *, promoted: bool = False
) -> None:
    """The person's own pages see their status change (after the commit)."""
    payload = {"occurrence_id": occurrence_id, "status": status.value, "promoted": promoted}
    realtime.publish(EVENT_SIGNUP, payload, realtime.user_room(person_id))


# Reading --------------------------------------------------------------------------------


def list_signups(occurrence_id: int, status: SignupStatus) -> list[Signup]:
    """Sign-ups of one status, in waiting-list order."""
    stmt = (
        select(Signup)
        .where(Signup.occurrence_id == occurrence_id, Signup.status == status)
        .order_by(Signup.queued_at, Signup.id)
    )
    return list(db.session.scalars(stmt))


def get_signup_status(person: Person, occurrence_id: int) -> SignupStatus | None:
    """The person's status for the occurrence, None when they never signed up."""
    signup = _signup_of(person.id, occurrence_id)
    return signup.status if signup else None


@dataclass(frozen=True)
class OccurrenceView:
    """One line of the calendar: the occurrence, its activity, places left and my status."""

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


def list_participants(occurrence_id: int) -> list[tuple[Signup, Person]]:
    """Those going (confirmed), by first name, for the staff's attendance list."""
    stmt = (
        select(Signup, Person)
        .join(Person, Person.id == Signup.person_id)
        .where(Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED)
        .order_by(Person.first_name, Person.last_name)
    )
    return [(signup, person) for signup, person in db.session.execute(stmt).all()]


def get_activity(person: Person, activity_id: int) -> Activity | None:
    """An activity of one of the person's buildings, None otherwise."""
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.building_id not in people.building_ids_for(person):
        return None
    return activity


# Cancelling, attendance and changes ------------------------------------------------------


def _tell_everyone_signed_up(
    occurrence: Occurrence, tell: Callable[[int, Occurrence], None]
) -> None:
    """Call `tell` for each person going or waiting for the occurrence."""
    for status in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
        for signup in list_signups(occurrence.id, status):
            tell(signup.person_id, occurrence)


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
        _tell_everyone_signed_up(target, _notify_cancelled)
        realtime.publish(
            EVENT_CANCELLED,
            {"occurrence_id": target.id},
            realtime.building_room(activity.building_id),
        )
    return cancelled


def _notify_cancelled(person_id: int, occurrence: Occurrence) -> None:
    """Tell one person the date is cancelled, in their language and time zone."""
    person = db.session.get(Person, person_id)
    if person is None:
        return
    title, when = occurrence.activity.title, person_datetime(person, occurrence.starts_at)
    notify(
        person,
        "activities.cancelled",
        lambda: _("Cancelled: %(title)s on %(when)s", title=title, when=when),
        path_for("activities.occurrence", occurrence_id=occurrence.id),
    )


def do_mark_attendance(staff: Person, occurrence_id: int, present_ids: set[int]) -> int:
    """Record who came among those signed up; returns how many came."""
    occurrence = access_occurrence(staff, occurrence_id)
    check_planner(staff, occurrence.activity.building_id)
    if occurrence.starts_at > utcnow():
        raise Invalid(_("Attendance is marked once the activity has started."), "not_started")
    came = 0
    for signup in list_signups(occurrence.id, SignupStatus.CONFIRMED):
        signup.attended = signup.person_id in present_ids
        came += signup.attended
    return came


def do_edit_occurrences(
    staff: Person,
    occurrence_id: int,
    *,
    series: bool,
    start: time,
    end: time,
    capacity: int | None,
    title: str | None = None,
    description: str | None = None,
    place: str | None = None,
) -> list[int]:
    """Change the times and places of one date, or of it and all the following ones; the
    title, description and place belong to the whole activity. Everyone signed up is told.
    Returns the ids of the changed occurrences."""
    begin_write(db.session)
    occurrence = access_occurrence(staff, occurrence_id, lock=True)
    activity = occurrence.activity
    check_planner(staff, activity.building_id)
    check_capacity(capacity)
    zone = zone_of(people.get_building(activity.building_id))
    targets = [occurrence]
    if series:
        targets = [
            o
            for o in activity.occurrences
            if o.starts_at >= occurrence.starts_at and o.cancelled_at is None
        ]
    planned = []
    for target in targets:
        day = target.starts_at.astimezone(zone).date()
        new_start = datetime.combine(day, start, tzinfo=zone)
        new_end = datetime.combine(day, end, tzinfo=zone)
        check_times(new_start, new_end)
        if capacity is not None and places_taken(target.id) > capacity:
            raise Invalid(
                _("More people are already signed up than that; cancel places first."),
                "capacity_below",
            )
        planned.append((target, new_start, new_end))
    if title is not None:
        activity.title = check_title(title)
    if description is not None:
        activity.description = description.strip()
    if place is not None:
        activity.place = place.strip()
    for target, new_start, new_end in planned:
        target.starts_at, target.ends_at, target.capacity = new_start, new_end, capacity
        db.session.flush()
        _promote_waiting(target)
        _tell_everyone_signed_up(target, _notify_changed)
        realtime.publish(
            EVENT_CHANGED,
            {"occurrence_id": target.id},
            realtime.building_room(activity.building_id),
        )
        _publish_places(target, places_left(target))
    return [t.id for t, _s, _e in planned]


def _notify_changed(person_id: int, occurrence: Occurrence) -> None:
    """Tell one person the date changed, in their language and time zone."""
    person = db.session.get(Person, person_id)
    if person is None:
        return
    title, when = occurrence.activity.title, person_datetime(person, occurrence.starts_at)
    notify(
        person,
        "activities.changed",
        lambda: _("Changed: %(title)s is now on %(when)s", title=title, when=when),
        path_for("activities.occurrence", occurrence_id=occurrence.id),
    )
