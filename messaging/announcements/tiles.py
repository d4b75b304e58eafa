"""The Announcements tile (residents: unread badge; staff: write and follow) and the pinned
announcement panel on the resident's home."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from messaging.announcements import service
from messaging.announcements.models import Announcement, AnnouncementRead
from portal.db import utcnow
from portal.home.tiles import Panel, Tile, register_panel, register_tile
from portal.people.models import STAFF_ROLES, Person, Role


def unread_count(person: Person) -> ColumnElement[int] | int:
    """The badge as SQL: current announcements of the resident's building not read yet
    (the same count as service.count_unread)."""
    if not person.is_resident or person.building_id is None:
        return 0
    read = select(AnnouncementRead.id).where(
        AnnouncementRead.announcement_id == Announcement.id,
        AnnouncementRead.person_id == person.id,
    )
    return (
        select(func.count(Announcement.id))
        .where(
            Announcement.building_id == person.building_id,
            service.current_clause(utcnow()),
            ~read.exists(),
        )
        .scalar_subquery()
    )


def pinned_panel(person: Person) -> dict[str, Any] | None:
    """The newest pinned current announcement, or nothing to show."""
    pinned = service.get_pinned(person)
    if pinned is None:
        return None
    return {
        "announcement": pinned,
        "url": url_for("announcements.show", announcement_id=pinned.id),
        "read": service.has_read(person, pinned.id),
    }


def staff_hint(_person: Person) -> str:
    """What the staff's tile offers."""
    return str(_l("Write to the building, see who has read"))


register_tile(
    Tile(
        key="announcements",
        endpoint="announcements.index",
        icon="megaphone",
        label=_l("Announcements"),
        order=50,
        roles=frozenset({Role.RESIDENT}),
        badge_count=unread_count,
        badge_endpoint="announcements.api_unread",
        badge_events=service.BADGE_EVENTS,
    )
)
register_tile(
    Tile(
        key="announcements_staff",
        endpoint="announcements.index",
        icon="megaphone",
        label=_l("Announcements"),
        order=50,
        roles=frozenset(STAFF_ROLES),
        hint=staff_hint,
    )
)
register_panel(
    Panel(
        key="announcement",
        template="announcements/_home_panel.html",
        context=pinned_panel,
        order=20,
        roles=frozenset({Role.RESIDENT}),
    )
)
