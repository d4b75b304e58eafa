"""Announcements to a building: staff publish, edit, unpin and withdraw; residents read and
say so once; staff see who read and who did not (to call them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from messaging.announcements.models import Announcement, AnnouncementRead, AnnouncementStatus
from portal import realtime
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.uploads import StoredFile, store_image
from portal.urls import path_for
from portal.validation import BAD_DAY, as_day

EVENT_PUBLISHED = "announcements.announcement_published"
EVENT_CHANGED = "announcements.announcement_changed"
EVENT_READ = "announcements.announcement_read"
BADGE_EVENTS = (EVENT_PUBLISHED, EVENT_CHANGED, EVENT_READ)
NOTIFICATION_KIND = "announcement.published"
MAX_TITLE = 120
MAX_BODY = 4000
PHOTO_MAX_BYTES = 10_000_000


@dataclass(frozen=True)
class ReadReport:
    """Who of the building's residents has read an announcement, and who has not."""

    readers: list[tuple[Person, datetime]]
    not_read: list[Person]

    @property
    def read_count(self) -> int:
        """How many residents have read it."""
        return len(self.readers)

    @property
    def not_read_count(self) -> int:
        """How many residents have not read it yet."""
        return len(self.not_read)


@dataclass(frozen=True)
class StaffItem:
    """An announcement in the staff list, with its read count."""

    announcement: Announcement
    building: Building
    read_count: int
    resident_count: int


# Reading rules ---------------------------------------------------------------------------


def current_clause(now: datetime) -> ColumnElement[bool]:
    """Not withdrawn and not past its "visible until"."""
    return and_(
        Announcement.withdrawn_at.is_(None),
        or_(Announcement.visible_until.is_(None), Announcement.visible_until > now),
    )


def is_current(announcement: Announcement, now: datetime | None = None) -> bool:
    """Shown to the residents now: not withdrawn, not past its end."""
    moment = now or utcnow()
    if announcement.withdrawn_at is not None:
        return False
    return announcement.visible_until is None or announcement.visible_until > moment


def status_of(announcement: Announcement, now: datetime | None = None) -> AnnouncementStatus:
    """Shown, ended by its date, or withdrawn (the staff's list and page say which)."""
    if announcement.withdrawn_at is not None:
        return AnnouncementStatus.WITHDRAWN
    if is_current(announcement, now):
        return AnnouncementStatus.CURRENT
    return AnnouncementStatus.EXPIRED


def may_write_to(person: Person, building_id: int) -> bool:
    """Coordinators and concierges write to their buildings, managers to their landlord's."""
    return person.is_staff and building_id in people.building_ids_for(person)


def _not_found() -> NotFound:
    """The refusal for an announcement the person may not see."""
    return NotFound(_("This announcement does not exist."))


def access_announcement(person: Person, announcement_id: int) -> Announcement:
    """Staff: any announcement of their buildings. Residents: a current one of their own."""
    found = db.session.get(Announcement, announcement_id)
    if found is None:
        raise _not_found()
    if person.is_staff:
        if not may_write_to(person, found.building_id):
            raise _not_found()
        return found
    if found.building_id != person.building_id or not is_current(found):
        raise _not_found()
    return found


def access_for_staff(person: Person, announcement_id: int) -> Announcement:
    """An announcement the person may edit and follow; residents get not_found."""
    if not person.is_staff:
        raise _not_found()
    return access_announcement(person, announcement_id)


def list_current(person: Person) -> list[Announcement]:
    """The resident's building's current announcements: pinned first, then newest."""
    if person.building_id is None:
        return []
    stmt = (
        select(Announcement)
        .where(Announcement.building_id == person.building_id, current_clause(utcnow()))
        .order_by(
            Announcement.pinned.desc(), Announcement.published_at.desc(), Announcement.id.desc()
        )
    )
    return list(db.session.scalars(stmt))


def read_ids(person: Person, announcement_ids: list[int]) -> set[int]:
    """Which of these announcements the person has read."""
    if not announcement_ids:
        return set()
    stmt = select(AnnouncementRead.announcement_id).where(
        AnnouncementRead.person_id == person.id,
        AnnouncementRead.announcement_id.in_(announcement_ids),
    )
    return set(db.session.scalars(stmt))


def has_read(person: Person, announcement_id: int) -> bool:
    """The person said "I have read it" for this announcement."""
    return bool(read_ids(person, [announcement_id]))


def count_unread(person: Person) -> int:
    """The badge of a resident's Announcements tile: current ones not read yet."""
    if not person.is_resident or person.building_id is None:
        return 0
    read = select(AnnouncementRead.id).where(
        AnnouncementRead.announcement_id == Announcement.id,
        AnnouncementRead.person_id == person.id,
    )
    stmt = select(func.count(Announcement.id)).where(
        Announcement.building_id == person.building_id,
        current_clause(utcnow()),
        ~read.exists(),
    )
    return int(db.session.scalar(stmt) or 0)


def get_pinned(person: Person) -> Announcement | None:
    """The newest pinned current announcement of the resident's building."""
    pinned = [a for a in list_current(person) if a.pinned]
    return pinned[0] if pinned else None


def list_buildings(person: Person) -> list[Building]:
    """The buildings a member of staff may write to."""
    return people.list_buildings_for(person) if person.is_staff else []


def _read_counts() -> Any:
    """Reads per announcement by the active residents of its building."""
    return (
        select(AnnouncementRead.announcement_id, func.count(AnnouncementRead.id).label("n"))
        .join(Announcement, Announcement.id == AnnouncementRead.announcement_id)
        .join(Person, Person.id == AnnouncementRead.person_id)
        .where(
            Person.building_id == Announcement.building_id,
            Person.role == Role.RESIDENT,
            Person.active.is_(True),
        )
        .group_by(AnnouncementRead.announcement_id)
        .subquery()
    )


def list_for_staff(person: Person, limit: int = 100) -> list[StaffItem]:
    """The announcements of the person's buildings, newest first, with their read counts."""
    buildings = {b.id: b for b in list_buildings(person)}
    if not buildings:
        return []
    counts = _read_counts()
    stmt = (
        select(Announcement, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.announcement_id == Announcement.id)
        .where(Announcement.building_id.in_(list(buildings)))
        .order_by(Announcement.published_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    rows = db.session.execute(stmt).all()
    residents = {b: people.count_residents(b) for b in {a.building_id for a, _n in rows}}
    return [
        StaffItem(a, buildings[a.building_id], int(n), residents[a.building_id]) for a, n in rows
    ]


def get_read_report(announcement: Announcement) -> ReadReport:
    """The building's active residents split into those who read (with when) and the others,
    the others by flat, to call them."""
    reads = dict(
        db.session.execute(
            select(AnnouncementRead.person_id, AnnouncementRead.read_at).where(
                AnnouncementRead.announcement_id == announcement.id
            )
        ).all()
    )
    stmt = (
        select(Person)
        .options(selectinload(Person.dwelling))
        .where(
            Person.building_id == announcement.building_id,
            Person.role == Role.RESIDENT,
            Person.active.is_(True),
        )
    )
    residents = list(db.session.scalars(stmt))
    readers = sorted(
        ((p, reads[p.id]) for p in residents if p.id in reads), key=lambda pair: pair[1]
    )
    others = sorted(
        (p for p in residents if p.id not in reads),
        key=lambda p: (
            p.dwelling.floor if p.dwelling else 999,
            p.dwelling.number if p.dwelling else "",
            p.last_name,
            p.first_name,
        ),
    )
    return ReadReport(readers=readers, not_read=others)


def local_until(building: Building, day: date | None, at: time | None) -> datetime | None:
    """A "visible until" typed in the building's time zone; no time means the end of the day."""
    if day is None:
        return None
    return datetime.combine(day, at or time(23, 59), tzinfo=zone_of(building))


# Checks ----------------------------------------------------------------------------------


def check_building(person: Person, building_id: int | None) -> Building:
    """One of the buildings the person may write to."""
    if building_id is None or not may_write_to(person, building_id):
        raise Invalid(_("Choose one of your buildings."), "bad_building")
    building = people.get_building(building_id)
    if building is None:
        raise Invalid(_("Choose one of your buildings."), "bad_building")
    return building


def check_title(title: str | None) -> str:
    """A title, trimmed, of at most MAX_TITLE characters."""
    text = (title or "").strip()
    if not text:
        raise Invalid(_("Write a title."), "title_missing")
    if len(text) > MAX_TITLE:
        raise Invalid(_("Write a title of at most %(n)d characters.", n=MAX_TITLE), "title_long")
    return text


def check_body(body: str | None) -> str:
    """A text, trimmed, of at most MAX_BODY characters."""
    text = (body or "").strip()
    if not text:
        raise Invalid(_("Write the text of the announcement."), "body_missing")
    if len(text) > MAX_BODY:
        raise Invalid(_("Write at most %(n)d characters.", n=MAX_BODY), "body_long")
    return text


def check_until(until: datetime | None, now: datetime) -> datetime | None:
    """An end still to come, with its time zone (or none: until withdrawn)."""
    if until is None:
        return None
    if until.tzinfo is None:
        raise Invalid(_("The date is not valid."), "bad_time")
    if as_day(until.date()) is None:  # a far day overflows when turned to UTC
        raise Invalid(str(BAD_DAY), "bad_date")
    if until <= now:
        raise Invalid(_("The end date is already past: choose a later one."), "past")
    return until


def check_open(announcement: Announcement) -> None:
    """A withdrawn announcement is closed: it is no longer changed."""
    if announcement.withdrawn_at is not None:
        raise Conflict(_("This announcement has been withdrawn."), "withdrawn")


def _photo(photo: bytes | None) -> StoredFile | None:
    """The photo checked, re-encoded and stored (nothing when none was sent)."""
    return store_image(photo, PHOTO_MAX_BYTES) if photo else None


# Writing ---------------------------------------------------------------------------------


def do_publish(
    author: Person,
    *,
    building_id: int | None,
    title: str,
    body: str,
    pinned: bool = False,
    visible_until: datetime | None = None,
    photo: bytes | None = None,
) -> Announcement:
    """Publish to one building; every resident is told in their own language, at once."""
    if not author.is_staff:
        raise Forbidden(_("Only the building's staff write announcements."))
    building = check_building(author, building_id)
    clean_title, clean_body = check_title(title), check_body(body)
    now = utcnow()
    until = check_until(visible_until, now)
    stored = _photo(photo)
    begin_write(db.session)
    announcement = Announcement(
        building_id=building.id,
        author_id=author.id,
        title=clean_title,
        body=clean_body,
        pinned=bool(pinned),
        published_at=now,
        visible_until=until,
        photo_name=stored.file_name if stored else None,
        thumb_name=stored.thumb_name if stored else None,
    )
    db.session.add(announcement)
    db.session.flush()
    _notify_residents(announcement)
    audit.record(
        "announcement.published",
        actor=author,
        object_type="announcement",
        object_id=announcement.id,
        building_id=building.id,
    )
    _publish(EVENT_PUBLISHED, announcement)
    return announcement


def _notify_residents(announcement: Announcement) -> None:
    """One query for the building's residents, then one notification each, in their language."""
    stmt = select(Person).where(
        Person.building_id == announcement.building_id,
        Person.role == Role.RESIDENT,
        Person.active.is_(True),
    )
    url = path_for("announcements.show", announcement_id=announcement.id)
    title = announcement.title
    for resident in db.session.scalars(stmt).all():
        notify(resident, NOTIFICATION_KIND, lambda: _("Announcement: %(title)s", title=title), url)


def _publish(name: str, announcement: Announcement) -> None:
    """Open home screens and lists of the building refresh their badge and cards."""
    payload = {"announcement_id": announcement.id, "building_id": announcement.building_id}
    realtime.publish(name, payload, realtime.building_room(announcement.building_id))


def do_edit(
    editor: Person,
    announcement_id: int,
    *,
    title: str,
    body: str,
    pinned: bool,
    visible_until: datetime | None,
    photo: bytes | None = None,
    remove_photo: bool = False,
) -> Announcement:
    """Correct an announcement still running; residents see the change at once."""
    announcement = access_for_staff(editor, announcement_id)
    check_open(announcement)
    clean_title, clean_body = check_title(title), check_body(body)
    until = check_until(visible_until, utcnow())
    stored = _photo(photo)
    begin_write(db.session)
    announcement = access_for_staff(editor, announcement_id)
    check_open(announcement)
    announcement.title, announcement.body = clean_title, clean_body
    announcement.pinned, announcement.visible_until = bool(pinned), until
    if stored is not None:
        announcement.photo_name, announcement.thumb_name = stored.file_name, stored.thumb_name
    elif remove_photo:
        announcement.photo_name = announcement.thumb_name = None
    _publish(EVENT_CHANGED, announcement)
    return announcement


def do_unpin(editor: Person, announcement_id: int) -> Announcement:
    """No longer show it first, nor on the residents' home screen."""
    begin_write(db.session)
    announcement = access_for_staff(editor, announcement_id)
    check_open(announcement)
    announcement.pinned = False
    _publish(EVENT_CHANGED, announcement)
    return announcement


def do_withdraw(editor: Person, announcement_id: int) -> Announcement:
    """End an announcement now: residents no longer see it."""
    begin_write(db.session)
    announcement = access_for_staff(editor, announcement_id)
    check_open(announcement)
    announcement.withdrawn_at, announcement.withdrawn_by_id = utcnow(), editor.id
    announcement.pinned = False
    audit.record(
        "announcement.withdrawn",
        actor=editor,
        object_type="announcement",
        object_id=announcement.id,
        building_id=announcement.building_id,
    )
    _publish(EVENT_CHANGED, announcement)
    return announcement


def do_mark_read(reader: Person, announcement_id: int) -> AnnouncementRead:
    """ "I have read it": recorded once; tapping again changes nothing."""
    if not reader.is_resident:
        raise _not_found()
    begin_write(db.session)
    announcement = access_announcement(reader, announcement_id)
    existing = _find_read(announcement.id, reader.id)
    if existing is not None:
        return existing
    read = AnnouncementRead(announcement_id=announcement.id, person_id=reader.id, read_at=utcnow())
    try:
        # A savepoint: the same tap arriving twice at once (PostgreSQL) undoes this insert only.
        with db.session.begin_nested():
            db.session.add(read)
    except IntegrityError:
        found = _find_read(announcement.id, reader.id)
        assert found is not None
        return found
    payload = {"announcement_id": announcement.id}
    realtime.publish(EVENT_READ, payload, realtime.user_room(reader.id))
    return read


def _find_read(announcement_id: int, person_id: int) -> AnnouncementRead | None:
    """The person's "I have read it" for this announcement, if any."""
    stmt = select(AnnouncementRead).where(
        AnnouncementRead.announcement_id == announcement_id,
        AnnouncementRead.person_id == person_id,
    )
    return db.session.scalars(stmt).first()
