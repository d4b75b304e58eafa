"""Reminders to the people signed up: the day before at 18:00 and one hour before."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from activities.models import Occurrence, ReminderPreference, ReminderSent, Signup, SignupStatus
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify, person_datetime
from portal.people.models import Person
from portal.urls import path_for

DAY_BEFORE_AT = time(18, 0)
DAY_BEFORE_WINDOW = timedelta(hours=6)  # a late sign-up does not get yesterday's reminder
HOUR_BEFORE = timedelta(hours=1)


@dataclass(frozen=True)
class Due:
    """One reminder to send: to whom, for which occurrence, of which kind ("day", "hour")."""

    occurrence: Occurrence
    person: Person
    kind: str


def _wants(preference: ReminderPreference | None, kind: str) -> bool:
    """Whether the person wants this kind of reminder (both, unless they said otherwise)."""
    if preference is None:
        return True
    return preference.day_before if kind == "day" else preference.hour_before


def _day_before_moment(occurrence: Occurrence, zone: ZoneInfo) -> datetime:
    """18:00 on the day before, in the person's time zone."""
    local_day = occurrence.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(local_day, DAY_BEFORE_AT, tzinfo=zone)


def due_reminders(now: datetime) -> list[Due]:
    """Reminders due now for confirmed sign-ups of occurrences in the next two days."""
    stmt = (
        select(Occurrence, Person, ReminderPreference)
        .join(Signup, Signup.occurrence_id == Occurrence.id)
        .join(Person, Person.id == Signup.person_id)
        .outerjoin(ReminderPreference, ReminderPreference.person_id == Person.id)
        .where(
            Person.active.is_(True),
            Signup.status == SignupStatus.CONFIRMED,
            Occurrence.cancelled_at.is_(None),
            Occurrence.starts_at > now,
            Occurrence.starts_at <= now + timedelta(days=2),
        )
    )
    due: list[Due] = []
    for occurrence, person, preference in db.session.execute(stmt).all():
        zone = zone_of(person)
        day_before = _day_before_moment(occurrence, zone)
        if day_before <= now < day_before + DAY_BEFORE_WINDOW and _wants(preference, "day"):
            due.append(Due(occurrence, person, "day"))
        if occurrence.starts_at - HOUR_BEFORE <= now and _wants(preference, "hour"):
            due.append(Due(occurrence, person, "hour"))
    return due


def _render(due: Due) -> Callable[[], str]:
    """The reminder's text, written later in the person's own language."""
    title = due.occurrence.activity.title
    at = person_datetime(due.person, due.occurrence.starts_at, "time")
    if due.kind == "day":
        return lambda: _("Reminder: %(title)s tomorrow at %(time)s", title=title, time=at)
    return lambda: _("Reminder: %(title)s in one hour, at %(time)s", title=title, time=at)


def send_due_reminders(now: datetime) -> int:
    """Send each due reminder once, even if several processes run this at the same time:
    a reminder is sent only by the one that added its ReminderSent row."""
    sent = 0
    for due in due_reminders(now):
        if not _claim(due, now):
            continue  # sent before, or by another process just now
        url = path_for("activities.occurrence", occurrence_id=due.occurrence.id)
        notify(due.person, "activities.reminder", _render(due), url)
        sent += 1
    return sent


def _claim(due: Due, now: datetime) -> bool:
    """Add the reminder's ReminderSent row unless it exists; True when this call added it.

    INSERT … ON CONFLICT DO NOTHING skips a row that exists (or waits for another
    transaction adding it), so the job's single transaction never fails on a duplicate."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = (
        insert(ReminderSent)
        .values(
            occurrence_id=due.occurrence.id, person_id=due.person.id, kind=due.kind, sent_at=now
        )
        .on_conflict_do_nothing()
        .returning(ReminderSent.person_id)
    )
    # RETURNING, not rowcount: an ORM-enabled INSERT does not report rowcount on psycopg.
    return db.session.execute(stmt).first() is not None


def get_preference(person_id: int) -> ReminderPreference:
    """The person's reminder choices (both reminders when they never chose)."""
    return db.session.get(ReminderPreference, person_id) or ReminderPreference(
        person_id=person_id, day_before=True, hour_before=True
    )


def do_set_preference(person_id: int, *, day_before: bool, hour_before: bool) -> None:
    """Save which reminders the person wants."""
    preference = db.session.get(ReminderPreference, person_id)
    if preference is None:
        preference = ReminderPreference(person_id=person_id)
        db.session.add(preference)
    preference.day_before, preference.hour_before = day_before, hour_before
