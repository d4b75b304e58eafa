"""Storing a notification and telling the person's open screens, after the commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel.dates import format_datetime, format_time
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ScalarSelect, delete, func, select, update

from portal import easyread, realtime
from portal.db import begin_write, utcnow
from portal.errors import NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.models import Notification
from portal.people.models import Person
from portal.retention import cutoff

EVENT_CREATED = "portal.notification_created"
EVENT_READ = "portal.notifications_read"


def add_notification(person_id: int, kind: str, title: str, url: str = "") -> Notification:
    """Add a notification to the current transaction; it is published when that commits."""
    notification = Notification(person_id=person_id, kind=kind, title=title[:200], url=url)
    db.session.add(notification)
    db.session.flush()
    realtime.publish(EVENT_CREATED, payload(notification), realtime.user_room(person_id))
    return notification


def payload(notification: Notification) -> dict[str, Any]:
    """What the person's open screens receive of a new notification."""
    return {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def list_notifications(person_id: int, limit: int = 50) -> list[Notification]:
    """The person's latest notifications, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.person_id == person_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def unread_count(person: Person) -> ScalarSelect[int]:
    """The bell as SQL, so a page can read it with its other counts in one statement."""
    return (
        select(func.count(Notification.id))
        .where(Notification.person_id == person.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def count_unread(person: Person) -> int:
    """The number on the bell."""
    return int(db.session.scalar(select(unread_count(person))) or 0)


def access_notification(person: Person, notification_id: int) -> Notification:
    """One of the person's own notifications; anybody else's does not exist for them."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.person_id != person.id:
        raise NotFound(_("This notification does not exist."))
    return notification


def do_open(person: Person, notification_id: int) -> Notification:
    """Mark one notification read and give back where it leads."""
    notification = access_notification(person, notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        _publish_read(person)
    return notification


def do_mark_all_read(person: Person) -> int:
    """Mark every notification of the person read; returns how many were unread."""
    stmt = (
        update(Notification)
        .where(Notification.person_id == person.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    count = db.session.execute(stmt).rowcount or 0
    _publish_read(person)
    return count


def _publish_read(person: Person) -> None:
    """The person's other screens clear their bell."""
    realtime.publish(EVENT_READ, {"person_id": person.id}, realtime.user_room(person.id))


def person_locale(person: Person) -> str:
    """The language a notification to this person is written in."""
    return person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]


def person_datetime(person: Person, moment: datetime, kind: str = "datetime") -> str:
    """A moment written for this person: their language and their time zone."""
    zone, locale = zone_of(person), person_locale(person)
    if kind == "time":
        return format_time(moment, "short", tzinfo=zone, locale=locale)
    return format_datetime(moment, "short", tzinfo=zone, locale=locale)


def notify(person: Person, kind: str, render: Callable[[], str], url: str = "") -> Notification:
    """Add a notification whose text `render` writes for the person: in their own language,
    and in easy-to-read wording if they chose it."""
    with easyread.written_for(person, person_locale(person)):
        title = render()
    return add_notification(person.id, kind, title, url)


# Retention ------------------------------------------------------------------------------


def purge_expired(now: datetime, batch: int) -> int:
    """Delete one batch of notifications older than NOTIFICATIONS_RETENTION_DAYS, read or
    not: a notification only points at something kept elsewhere. Returns how many went."""
    limit = cutoff("NOTIFICATIONS_RETENTION_DAYS", now)
    begin_write(db.session)
    oldest = select(Notification.id).where(Notification.created_at < limit).limit(batch)
    stmt = delete(Notification).where(Notification.id.in_(oldest))
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
