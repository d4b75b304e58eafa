"""Storing a notification and telling the person's open screens, after the commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal import realtime
from portal.extensions import db
from portal.notifications.models import Notification

EVENT_CREATED = "portal.notification_created"


def add_notification(person_id: int, kind: str, title: str, url: str = "") -> Notification:
    """Add a notification to the current transaction; it is published when that commits."""
    notification = Notification(person_id=person_id, kind=kind, title=title[:200], url=url)
    db.session.add(notification)
    db.session.flush()
    realtime.publish(EVENT_CREATED, payload(notification), realtime.user_room(person_id))
    return notification


def payload(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
    }


def list_notifications(person_id: int, limit: int = 50) -> list[Notification]:
    stmt = (
        select(Notification)
        .where(Notification.person_id == person_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
