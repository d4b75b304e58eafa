"""Writing to the audit log; joins the caller's transaction (the caller commits)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.people.models import Person


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
    return person.building_id if person is not None else None
