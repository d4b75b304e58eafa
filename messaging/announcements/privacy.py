"""Announcements' part of a person's export: which announcements they read, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from messaging.announcements.models import Announcement, AnnouncementRead
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_announcements_read(person: Person) -> list[dict[str, Any]]:
    """The announcements the person read, by title, with the time they read each."""
    stmt = (
        select(Announcement.title, AnnouncementRead.read_at)
        .join(Announcement, Announcement.id == AnnouncementRead.announcement_id)
        .where(AnnouncementRead.person_id == person.id)
        .order_by(AnnouncementRead.read_at)
    )
    return [{"title": title, "read_at": at} for title, at in db.session.execute(stmt)]


register_exporter("announcements_read", export_announcements_read, order=80)
