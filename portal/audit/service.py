"""Writing to the audit log (joins the caller's transaction: an entry is written with the
action it records, or not at all), reading it, and purging it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, delete, select

from portal.audit.models import AuditEntry
from portal.db import begin_write
from portal.errors import PermissionDenied
from portal.extensions import db
from portal.people.models import Person, Role


def pseudonym(person_id: int) -> str:
    """A stable keyed hash of a person's id: the same person, never who."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"person:{person_id}".encode(), hashlib.sha256).hexdigest()[:32]


def record(
    action: str,
    *,
    actor: Person | None,
    subject: Person | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    building_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session; it is written with the caller's commit."""
    someone = actor or subject
    entry = AuditEntry(
        action=action,
        organisation_id=someone.organisation_id if someone else None,
        building_id=building_id if building_id is not None else _building_of(subject or actor),
        actor_id=actor.id if actor else None,
        actor_ref=pseudonym(actor.id) if actor else None,
        subject_id=subject.id if subject else None,
        subject_ref=pseudonym(subject.id) if subject else None,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
    )
    db.session.add(entry)
    return entry


def _building_of(person: Person | None) -> int | None:
    """The building an entry is filed under when the caller names none."""
    return person.building_id if person is not None else None


def do_record(action: str, *, actor: Person | None, **fields: Any) -> AuditEntry:
    """Record one entry and flush it (its id and time are set); the caller's request, job
    or command commits it."""
    entry = record(action, actor=actor, **fields)
    db.session.flush()
    return entry


# Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What a manager narrowed the log to; None means any."""

    action: str | None = None
    building_id: int | None = None
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of the log, and the names of the people it mentions who are still here."""

    entries: list[AuditEntry]
    page: int
    has_next: bool
    names: dict[int, str]


def list_entries(viewer: Person, filters: AuditFilters, page: int, per_page: int) -> AuditPage:
    """A page of the viewer's organisation's log, newest first (managers only)."""
    if viewer.role != Role.MANAGER:
        raise PermissionDenied()
    stmt = select(AuditEntry).where(AuditEntry.organisation_id == viewer.organisation_id)
    stmt = _filtered(stmt, filters)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    stmt = stmt.offset((page - 1) * per_page).limit(per_page + 1)
    rows = list(db.session.scalars(stmt))
    entries = rows[:per_page]
    return AuditPage(entries, page, len(rows) > per_page, _names_of(entries))


def _filtered(stmt: Select[tuple[AuditEntry]], filters: AuditFilters) -> Select[tuple[AuditEntry]]:
    """The statement narrowed to the manager's filters (dates are whole UTC days)."""
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.building_id is not None:
        stmt = stmt.where(AuditEntry.building_id == filters.building_id)
    if filters.since is not None:
        stmt = stmt.where(AuditEntry.at >= _start_of(filters.since))
    if filters.until is not None:
        stmt = stmt.where(AuditEntry.at < _start_of(filters.until + timedelta(days=1)))
    return stmt


def _start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def _names_of(entries: list[AuditEntry]) -> dict[int, str]:
    """Names of the people still present; erased people keep only their pseudonym."""
    ids = {i for e in entries for i in (e.actor_id, e.subject_id) if i is not None}
    if not ids:
        return {}
    return {p.id: p.full_name for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def list_actions(viewer: Person) -> list[str]:
    """The actions present in the viewer's organisation's log, for the filter."""
    stmt = (
        select(AuditEntry.action)
        .where(AuditEntry.organisation_id == viewer.organisation_id)
        .distinct()
        .order_by(AuditEntry.action)
    )
    return list(db.session.scalars(stmt))


# Retention ------------------------------------------------------------------------------


def purge_expired(now: datetime) -> int:
    """Delete entries older than AUDIT_RETENTION_DAYS; returns how many went (the job that
    calls it commits)."""
    cutoff = now - timedelta(days=int(current_app.config["AUDIT_RETENTION_DAYS"]))
    begin_write(db.session)
    result = db.session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
