"""Calendar export: one activity as .ics, and each person's private feed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request
from icalendar import Calendar, Event
from sqlalchemy import select

from activities.models import CalendarFeed, Occurrence, Signup, SignupStatus
from portal.db import utcnow
from portal.extensions import db
from portal.people.models import Person
from portal.urls import path_for


def _hash(token: str) -> str:
    """Only the token's hash is stored: a leaked table gives no working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def _calendar(name: str) -> Calendar:
    """An empty calendar named for the calendar app's list."""
    calendar = Calendar()
    calendar.add("prodid", "-//Bon Voisin//activities//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(occurrence: Occurrence) -> Event:
    """One occurrence as a calendar event (marked cancelled when it is)."""
    activity = occurrence.activity
    event = Event()
    host = request.host if request else current_app.config["SERVER_HOST"]
    event.add("uid", f"occurrence-{occurrence.id}@{host}")
    event.add("summary", activity.title)
    event.add("dtstart", occurrence.starts_at)  # UTC: every calendar app converts it
    event.add("dtend", occurrence.ends_at)
    event.add("dtstamp", utcnow())
    if activity.place:
        event.add("location", activity.place)
    if activity.description:
        event.add("description", activity.description)
    path = path_for("activities.occurrence", occurrence_id=occurrence.id)
    event.add("url", request.host_url.rstrip("/") + path)
    if occurrence.cancelled_at is not None:
        event.add("status", "CANCELLED")
    return event


def occurrence_ics(occurrence: Occurrence) -> bytes:
    """One occurrence as an .ics file, to add it to any calendar app."""
    calendar = _calendar(occurrence.activity.title)
    calendar.add_component(_event(occurrence))
    return calendar.to_ical()


def feed_ics(person: Person) -> bytes:
    """The person's activities from a month ago on, those they are going to."""
    stmt = (
        select(Occurrence)
        .join(Signup, Signup.occurrence_id == Occurrence.id)
        .where(
            Signup.person_id == person.id,
            Signup.status == SignupStatus.CONFIRMED,
            Occurrence.starts_at > utcnow() - timedelta(days=31),
        )
        .order_by(Occurrence.starts_at)
    )
    calendar = _calendar("Bon Voisin")
    for occurrence in db.session.scalars(stmt):
        calendar.add_component(_event(occurrence))
    return calendar.to_ical()


def do_new_feed_token(person: Person) -> str:
    """Issue a new private feed link; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    feed = db.session.get(CalendarFeed, person.id)
    if feed is None:
        db.session.add(
            CalendarFeed(person_id=person.id, token_hash=_hash(token), created_at=utcnow())
        )
    else:
        feed.token_hash, feed.created_at = _hash(token), utcnow()
    return token


def person_for_feed(token: str) -> Person | None:
    """The active person whose feed link this is, None for an old or forged link."""
    feed = db.session.scalars(
        select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token))
    ).first()
    if feed is None:
        return None
    person = db.session.get(Person, feed.person_id)
    return person if person is not None and person.active else None
