"""Tickets: a resident reports a problem, the desk triages it, the resident follows it live."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, func, or_, select
from sqlalchemy.orm import selectinload

from concierge.desk import access as desk
from concierge.desk import logbook
from concierge.desk.models import (
    Priority,
    Ticket,
    TicketCategory,
    TicketPhoto,
    TicketStatus,
    TicketUpdate,
    UpdateKind,
)
from messaging.service import desk_room
from portal import realtime
from portal.alerts import service as alerts
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Person, Role
from portal.uploads import StoredFile, path_of, store_image
from portal.urls import path_for

MAX_DESCRIPTION = 2000
MAX_REPLY = 2000
MAX_COMMENT = 1000

EVENT_CREATED = "concierge.ticket_created"
EVENT_CHANGED = "concierge.ticket_changed"

# Where a ticket may go from each status; resolving can be undone, closing cannot.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.NEW: frozenset(set(TicketStatus) - {TicketStatus.NEW}),
    TicketStatus.ACKNOWLEDGED: frozenset(
        {
            TicketStatus.IN_PROGRESS,
            TicketStatus.WAITING_CONTRACTOR,
            TicketStatus.RESOLVED,
            TicketStatus.CLOSED,
        }
    ),
    TicketStatus.IN_PROGRESS: frozenset(
        {TicketStatus.WAITING_CONTRACTOR, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.WAITING_CONTRACTOR: frozenset(
        {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED}
    ),
    TicketStatus.RESOLVED: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.CLOSED}),
    TicketStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset(set(TicketStatus) - {TicketStatus.RESOLVED, TicketStatus.CLOSED})
RATEABLE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


# Access ---------------------------------------------------------------------------------


def may_see(person: Person, ticket: Ticket) -> bool:
    """The reporter, the residents of its dwelling, and the building's staff."""
    if desk.is_building_staff(person, ticket.building_id):
        return True
    if not person.is_resident or not person.active:
        return False
    own_dwelling = ticket.dwelling_id is not None and ticket.dwelling_id == person.dwelling_id
    return ticket.reporter_id == person.id or own_dwelling


def access_ticket(person: Person, ticket_id: int, *, lock: bool = False) -> Ticket:
    """A ticket the person may see (locked for a write when asked); others: not found."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update()
    ticket = db.session.scalars(stmt).first()
    if ticket is None or not may_see(person, ticket):
        raise NotFound(_("This report does not exist."))
    return ticket


def access_staff_ticket(person: Person, ticket_id: int, *, lock: bool = False) -> Ticket:
    """A ticket the person may triage: staff of its building only."""
    ticket = access_ticket(person, ticket_id, lock=lock)
    desk.check_building_staff(person, ticket.building_id)
    return ticket


def access_photo(person: Person, photo_id: int) -> TicketPhoto:
    """A ticket's photo, for those who may see the ticket; others: not found."""
    photo = db.session.get(TicketPhoto, photo_id)
    if photo is None or not may_see(person, photo.ticket):
        raise NotFound(_("This photo does not exist."))
    return photo


# Checks ---------------------------------------------------------------------------------


def check_category(value: Any) -> TicketCategory:
    """One of the kinds of problem the form shows."""
    try:
        return TicketCategory(value)
    except ValueError as exc:
        raise Invalid(
            _("Please choose one of the kinds of problem shown."), "bad_category"
        ) from exc


def check_description(text: str | None) -> str:
    """A description, not empty and not too long."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("Please describe the problem in a few words."), "empty")
    if len(text) > MAX_DESCRIPTION:
        raise Invalid(
            _("Please keep it under %(num)d characters.", num=MAX_DESCRIPTION), "too_long"
        )
    return text


def check_photos(photos: list[bytes]) -> list[bytes]:
    """The photos sent (empty file fields dropped), at most CONCIERGE_MAX_TICKET_PHOTOS."""
    photos = [p for p in photos if p]
    limit = current_app.config["CONCIERGE_MAX_TICKET_PHOTOS"]
    if len(photos) > limit:
        raise Invalid(_("You can add up to %(num)d photos.", num=limit), "too_many_photos")
    return photos


def check_status(value: Any) -> TicketStatus:
    """One of the steps the form shows."""
    try:
        return TicketStatus(value)
    except ValueError as exc:
        raise Invalid(_("Please choose one of the steps shown."), "bad_status") from exc


def check_priority(value: Any) -> Priority:
    """One of the priorities the form shows."""
    try:
        return Priority(value)
    except ValueError as exc:
        raise Invalid(_("Please choose one of the priorities shown."), "bad_priority") from exc


def check_transition(ticket: Ticket, status: TicketStatus) -> None:
    """Refuse a step the ticket cannot take from where it stands (see TRANSITIONS)."""
    if status not in TRANSITIONS[ticket.status]:
        message = _(
            "This report cannot go from “%(old)s” to “%(new)s”.",
            old=ticket.status.label,
            new=status.label,
        )
        raise Invalid(message, "bad_transition")


def check_assignee(building_id: int, assignee_id: int | None) -> Person | None:
    """An active member of the building's staff, or nobody."""
    if assignee_id is None:
        return None
    assignee = db.session.get(Person, assignee_id)
    if assignee is None or not assignee.active or not desk.is_building_staff(assignee, building_id):
        raise Invalid(_("Please choose a member of the building's staff."), "bad_assignee")
    return assignee


def _resident_for(staff: Person, resident_id: int | None) -> Person:
    """The resident a member of staff reports for: one of their buildings' residents."""
    resident = db.session.get(Person, resident_id) if resident_id else None
    if (
        resident is None
        or resident.role != Role.RESIDENT
        or not resident.active
        or resident.building_id is None
        or not desk.is_building_staff(staff, resident.building_id)
    ):
        raise Invalid(_("Please choose the resident this report is for."), "bad_resident")
    return resident


# Writing --------------------------------------------------------------------------------


def do_create_ticket(
    author: Person,
    *,
    category: Any,
    description: str | None,
    in_common_areas: bool = False,
    photos: Iterable[bytes] = (),
    resident_id: int | None = None,
) -> Ticket:
    """Report a problem in one's flat or in the common areas; staff report for a resident.
    Ticket, photos and events stand or fall together (the request commits them)."""
    if author.is_resident:
        resident = author
    elif author.role in desk.DESK_STAFF_ROLES:
        resident = _resident_for(author, resident_id)
    else:
        raise Forbidden(_("Only residents and staff can report a problem."))
    if resident.building_id is None:
        raise Forbidden(_("Only residents and staff can report a problem."))
    category = check_category(category)
    text = check_description(description)
    images = check_photos(list(photos))
    stored = _store_photos(images)
    try:
        ticket = Ticket(
            building_id=resident.building_id,
            reporter_id=resident.id,
            dwelling_id=None if in_common_areas else resident.dwelling_id,
            posted_by_id=author.id if author.id != resident.id else None,
            category=category,
            description=text,
            in_common_areas=in_common_areas,
            status=TicketStatus.NEW,
            priority=Priority.NORMAL,
        )
        ticket.photos = [
            TicketPhoto(uploaded_by_id=author.id, file_name=s.file_name, thumb_name=s.thumb_name)
            for s in stored
        ]
        db.session.add(ticket)
        db.session.flush()
        _publish(EVENT_CREATED, ticket)
    except BaseException:
        _delete_files(stored)
        raise
    return ticket


def _store_photos(images: list[bytes]) -> list[StoredFile]:
    """Store the photos (re-encoded, without metadata); a refused one removes those before it."""
    max_bytes = desk.max_photo_bytes()
    stored: list[StoredFile] = []
    try:
        for data in images:
            stored.append(store_image(data, max_bytes))
    except BaseException:
        _delete_files(stored)
        raise
    return stored


def _delete_files(stored: list[StoredFile]) -> None:
    """Remove the files of photos whose rows were not written (the report failed)."""
    for photo in stored:
        for name in (photo.file_name, photo.thumb_name):
            if name:
                path_of(name).unlink(missing_ok=True)


def do_change_status(staff: Person, ticket_id: int, status: Any, message: str = "") -> Ticket:
    """Move a ticket along; the resident is told; a resolved dwelling ticket goes in its
    logbook with the resolution (all of it in the request's one transaction)."""
    status = check_status(status)
    message = _check_reply_text(message, required=False)
    begin_write(db.session)
    ticket = access_staff_ticket(staff, ticket_id, lock=True)
    check_transition(ticket, status)
    old = ticket.status
    now = utcnow()
    ticket.status = status
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
    if status == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    elif status == TicketStatus.CLOSED:
        ticket.closed_at = now
    else:
        ticket.resolved_at = None
    _add_update(ticket, staff, UpdateKind.STATUS, body=message, old=old.value, new=status.value)
    if status == TicketStatus.RESOLVED and ticket.dwelling_id is not None:
        logbook.record_ticket_resolution(ticket, staff, message, now)
    _tell_reporter(ticket, status)
    _publish(EVENT_CHANGED, ticket)
    return ticket


def do_set_priority(staff: Person, ticket_id: int, priority: Any) -> Ticket:
    """Staff set how soon a ticket must be handled (an internal step of its timeline)."""
    priority = check_priority(priority)
    begin_write(db.session)
    ticket = access_staff_ticket(staff, ticket_id, lock=True)
    if ticket.priority != priority:
        _add_update(
            ticket,
            staff,
            UpdateKind.PRIORITY,
            internal=True,
            old=ticket.priority.value,
            new=priority.value,
        )
        ticket.priority = priority
        _publish(EVENT_CHANGED, ticket, to_reporter=False)
    return ticket


def do_assign(staff: Person, ticket_id: int, assignee_id: int | None) -> Ticket:
    """Staff give a ticket to a member of the building's staff, or to nobody (internal)."""
    begin_write(db.session)
    ticket = access_staff_ticket(staff, ticket_id, lock=True)
    assignee = check_assignee(ticket.building_id, assignee_id)
    new_id = assignee.id if assignee else None
    if ticket.assignee_id != new_id:
        _add_update(
            ticket,
            staff,
            UpdateKind.ASSIGNEE,
            internal=True,
            old=str(ticket.assignee_id or ""),
            new=str(new_id or ""),
        )
        ticket.assignee_id = new_id
        _publish(EVENT_CHANGED, ticket, to_reporter=False)
    return ticket


def _check_reply_text(text: str | None, *, required: bool = True) -> str:
    """A reply's text, stripped; empty only where it is optional."""
    text = (text or "").strip()
    if required and not text:
        raise Invalid(_("Please write a message."), "empty")
    if len(text) > MAX_REPLY:
        raise Invalid(_("Please keep it under %(num)d characters.", num=MAX_REPLY), "too_long")
    return text


def do_add_reply(
    person: Person, ticket_id: int, body: str | None, *, internal: bool = False
) -> Ticket:
    """A public reply (the resident reads it) or, for staff, an internal note."""
    text = _check_reply_text(body)
    begin_write(db.session)
    ticket = access_ticket(person, ticket_id, lock=True)
    staff = desk.is_building_staff(person, ticket.building_id)
    if internal and not staff:
        raise Forbidden(_("Only the building's staff can do this."))
    if ticket.status == TicketStatus.CLOSED and not staff:
        raise Conflict(_("This report is closed."), "closed")
    kind = UpdateKind.NOTE if internal else UpdateKind.REPLY
    _add_update(ticket, person, kind, body=text, internal=internal)
    if staff and not internal:
        _tell_reporter_reply(ticket)
    _publish(EVENT_CHANGED, ticket, to_reporter=not internal)
    return ticket


def check_rating(rating: Any) -> int:
    """From 1 to 5 stars."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise Invalid(_("Please choose from 1 to 5 stars."), "bad_rating")
    return rating


def do_rate(person: Person, ticket_id: int, rating: Any, comment: str | None = "") -> Ticket:
    """The reporter rates the help once the ticket is resolved or closed, only once."""
    rating = check_rating(rating)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(_("Please keep it under %(num)d characters.", num=MAX_COMMENT), "too_long")
    begin_write(db.session)
    ticket = access_ticket(person, ticket_id, lock=True)
    if ticket.reporter_id != person.id:
        raise Forbidden(_("Only the person who reported it can rate the help."))
    if ticket.status not in RATEABLE:
        raise Invalid(_("You can rate the help once the problem is resolved."), "not_resolved")
    if ticket.rating is not None:
        raise Conflict(_("You have already rated this help. Thank you!"), "already_rated")
    ticket.rating, ticket.rating_comment = rating, comment or None
    _add_update(ticket, person, UpdateKind.RATING, body=comment, new=str(rating))
    _publish(EVENT_CHANGED, ticket)
    return ticket


def _add_update(
    ticket: Ticket,
    author: Person,
    kind: UpdateKind,
    *,
    body: str = "",
    internal: bool = False,
    old: str | None = None,
    new: str | None = None,
) -> None:
    """Add one step to the ticket's timeline."""
    ticket.updates.append(
        TicketUpdate(
            author_id=author.id,
            kind=kind,
            internal=internal,
            body=body,
            old_value=old,
            new_value=new,
        )
    )


def _reporter(ticket: Ticket) -> Person | None:
    """The person who reported the ticket, while their account is active."""
    person = db.session.get(Person, ticket.reporter_id) if ticket.reporter_id else None
    return person if person is not None and person.active else None


def _tell_reporter(ticket: Ticket, status: TicketStatus) -> None:
    """A notification in the reporter's own language."""
    reporter = _reporter(ticket)
    if reporter is None:
        return
    category = ticket.category

    def title() -> str:
        return _(
            "Your report “%(category)s”: %(status)s",
            category=category.label,
            status=status.label,
        )

    notify(reporter, "concierge.ticket_status", title, _ticket_path(ticket))


def _tell_reporter_reply(ticket: Ticket) -> None:
    """Tell the reporter, in their language, that the desk answered."""
    reporter = _reporter(ticket)
    if reporter is None:
        return
    category = ticket.category

    def title() -> str:
        return _("The desk answered your report “%(category)s”", category=category.label)

    notify(reporter, "concierge.ticket_reply", title, _ticket_path(ticket))


def _ticket_path(ticket: Ticket) -> str:
    """Where a notification about the ticket leads."""
    return path_for("concierge.ticket", ticket_id=ticket.id)


def _publish(name: str, ticket: Ticket, *, to_reporter: bool = True) -> None:
    """To the desk screens of the building and to the reporter's own screens."""
    payload = {
        "ticket_id": ticket.id,
        "status": ticket.status.value,
        "building_id": ticket.building_id,
    }
    realtime.publish(name, payload, desk_room(ticket.building_id))
    if to_reporter and ticket.reporter_id:
        realtime.publish(name, payload, realtime.user_room(ticket.reporter_id))


# Reading --------------------------------------------------------------------------------


def list_mine(person: Person) -> list[Ticket]:
    """The tickets a resident reported, and those of their dwelling."""
    mine = [Ticket.reporter_id == person.id]
    if person.dwelling_id is not None:
        mine.append(Ticket.dwelling_id == person.dwelling_id)
    stmt = select(Ticket).where(or_(*mine)).order_by(Ticket.id.desc())
    return list(db.session.scalars(stmt))


def list_open(building_id: int) -> list[Ticket]:
    """The building's tickets still being handled, oldest first."""
    stmt = (
        select(Ticket)
        .where(Ticket.building_id == building_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at)
    )
    return list(db.session.scalars(stmt))


def list_open_lines(building_id: int) -> list[Row[Any]]:
    """The open tickets' few columns the desk's queue shows, oldest first (no ORM objects:
    a year-old building has dozens of them on every refresh of the queue)."""
    columns = (
        Ticket.id,
        Ticket.dwelling_id,
        Ticket.category,
        Ticket.status,
        Ticket.priority,
        Ticket.created_at,
        Ticket.acknowledged_at,
    )
    stmt = (
        select(*columns)
        .where(Ticket.building_id == building_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.created_at)
    )
    return list(db.session.execute(stmt))


def count_open(building_ids: Iterable[int]) -> int:
    """How many tickets of these buildings are still being handled."""
    stmt = select(func.count(Ticket.id)).where(
        Ticket.building_id.in_(list(building_ids)), Ticket.status.in_(OPEN_STATUSES)
    )
    return int(db.session.scalar(stmt) or 0)


def count_open_for(person: Person) -> int:
    """How many of the resident's own and dwelling's tickets are still being handled."""
    return sum(1 for t in list_mine(person) if t.status in OPEN_STATUSES)


def list_for_dwelling(dwelling_id: int) -> list[Ticket]:
    """A dwelling's tickets, newest first (the caller checked who may see them)."""
    stmt = select(Ticket).where(Ticket.dwelling_id == dwelling_id).order_by(Ticket.id.desc())
    return list(db.session.scalars(stmt))


def visible_updates(person: Person, ticket: Ticket) -> list[TicketUpdate]:
    """The timeline; residents never see internal notes or internal changes."""
    if desk.is_building_staff(person, ticket.building_id):
        return list(ticket.updates)
    return [u for u in ticket.updates if not u.internal]


def list_assignable(building_id: int) -> list[Person]:
    """The staff members of a building a ticket can be given to."""
    building = people.get_building(building_id)
    if building is None:
        return []
    stmt = (
        select(Person)
        .where(
            Person.organisation_id == building.organisation_id,
            Person.role.in_(desk.DESK_STAFF_ROLES),
            Person.active.is_(True),
        )
        .order_by(Person.first_name, Person.last_name)
        .options(selectinload(Person.staff_buildings))
    )
    # Managers cover every building of their organisation, which this one is part of.
    return [
        p
        for p in db.session.scalars(stmt)
        if p.role == Role.MANAGER or desk.is_building_staff(p, building_id)
    ]


def targets(ticket: Ticket) -> tuple[datetime, datetime]:
    """When it should be acknowledged and resolved, in the desk's working hours."""
    hours = desk.desk_hours(ticket.building_id)
    return (
        _target(ticket.priority, "acknowledge", ticket.created_at, hours),
        _target(ticket.priority, "resolve", ticket.created_at, hours),
    )


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    """Past its acknowledgement target while new, or past its resolution target while open."""
    if ticket.status not in OPEN_STATUSES:
        return False
    hours = desk.desk_hours(ticket.building_id)
    return is_late(ticket.priority, ticket.created_at, ticket.acknowledged_at, now, hours)


def is_late(
    priority: Priority,
    created_at: datetime,
    acknowledged_at: datetime | None,
    now: datetime,
    hours: desk.DeskHours,
) -> bool:
    """An open ticket's overdue test from its columns, in its building's desk hours (the
    queue reads them once for all its tickets)."""
    if acknowledged_at is None and now > _target(priority, "acknowledge", created_at, hours):
        return True
    return now > _target(priority, "resolve", created_at, hours)


def _target(priority: Priority, step: str, created_at: datetime, hours: desk.DeskHours) -> datetime:
    """When a step is due, from CONCIERGE_TARGETS in working hours of the desk."""
    target = current_app.config["CONCIERGE_TARGETS"][Priority(priority).value][step]
    return desk.deadline_in(created_at, target, hours)


# Alerts ---------------------------------------------------------------------------------


def alert_overdue_urgent(now: datetime) -> int:
    """An urgent ticket past its target raises an alert, once: its assignee is told, or the
    building's on-call rota when nobody is assigned. Returns how many were raised."""
    stmt = select(Ticket).where(
        Ticket.priority == Priority.URGENT, Ticket.status.in_(OPEN_STATUSES)
    )
    late = [t for t in db.session.scalars(stmt).all() if is_overdue(t, now)]
    done = alerts.existing_sources(f"ticket_overdue:{t.id}" for t in late)
    count = 0
    for ticket in late:
        key = f"ticket_overdue:{ticket.id}"
        if key in done:
            continue
        alerts.do_raise(
            alerts.AlertKind.TICKET_OVERDUE,
            ticket.building_id,
            key,
            person_id=ticket.reporter_id,
            target_person_id=ticket.assignee_id,
            now=now,
        )
        count += 1
    return count
