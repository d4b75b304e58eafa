"""A resident asks, from their settings, for their account to be erased; the managers of
their building hear of it, and one of them confirms it (the erasure, with the name typed)
or declines it with a reason the resident reads. Each step is written to the audit log."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import labels as audit_labels
from portal.audit.service import record
from portal.datarights.erasure import access_person_to_erase
from portal.datarights.export import register_exporter
from portal.datarights.models import ErasureRequest
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Person, Role
from portal.urls import path_for

MAX_REASON = 500
ASKED = "datarights.erasure_requested"
DECLINED = "datarights.erasure_declined"

# The audit page names these actions (the log's own labels are in portal/audit/labels.py).
audit_labels.ACTION_LABELS.setdefault("erasure.requested", _l("Erasure asked for"))
audit_labels.ACTION_LABELS.setdefault("erasure.declined", _l("Erasure request declined"))


# Reading --------------------------------------------------------------------------------


def get_latest(person: Person) -> ErasureRequest | None:
    """The person's latest request, pending or declined (what their settings show)."""
    stmt = (
        select(ErasureRequest)
        .where(ErasureRequest.person_id == person.id)
        .order_by(ErasureRequest.id.desc())
        .limit(1)
    )
    return db.session.scalars(stmt).first()


def get_pending(person: Person, *, lock: bool = False) -> ErasureRequest | None:
    """The person's request still waiting for an answer, if any."""
    stmt = select(ErasureRequest).where(
        ErasureRequest.person_id == person.id, ErasureRequest.declined_at.is_(None)
    )
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds its write lock already
    return db.session.scalars(stmt).first()


def list_pending(viewer: Person) -> list[tuple[ErasureRequest, Person]]:
    """The requests waiting in the manager's organisation, oldest first (managers only)."""
    if viewer.role != Role.MANAGER:
        raise Forbidden()
    stmt = (
        select(ErasureRequest, Person)
        .join(Person, Person.id == ErasureRequest.person_id)
        .where(
            ErasureRequest.organisation_id == viewer.organisation_id,
            ErasureRequest.declined_at.is_(None),
        )
        .order_by(ErasureRequest.requested_at, ErasureRequest.id)
    )
    return [(request, person) for request, person in db.session.execute(stmt).all()]


def managers_for(person: Person) -> list[Person]:
    """The managers of the person's building; the organisation's managers when the building
    has none of its own, so a request always reaches someone."""
    found = people.list_staff(person.building_id, [Role.MANAGER]) if person.building_id else []
    if found:
        return found
    stmt = (
        select(Person)
        .where(
            Person.organisation_id == person.organisation_id,
            Person.role == Role.MANAGER,
            Person.active.is_(True),
        )
        .order_by(Person.id)
    )
    return list(db.session.scalars(stmt))


# Checks ---------------------------------------------------------------------------------


def check_reason(reason: str | None) -> str:
    """The manager says why they decline, in a few words the resident will read."""
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise Invalid(_("Please say why, in at most %(n)d characters.", n=MAX_REASON), "bad_reason")
    return text


# Writing --------------------------------------------------------------------------------


def do_ask(person: Person) -> ErasureRequest:
    """Record a resident's request and tell the managers; one pending request at a time."""
    if person.role != Role.RESIDENT:
        raise Forbidden()
    already = Conflict(_("You have already asked. The manager will answer you."), "already_asked")
    begin_write(db.session)
    if get_pending(person) is not None:
        raise already
    request = ErasureRequest(
        person_id=person.id, organisation_id=person.organisation_id, requested_at=utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(request)
    except IntegrityError:  # the same tap arrived twice at once: the first one stands
        raise already from None
    record(
        "erasure.requested",
        actor=person,
        subject=person,
        object_type="erasure_request",
        object_id=request.id,
    )
    url = path_for("datarights.erase_confirm", person_id=person.id)
    name = person.full_name
    for manager in managers_for(person):
        notify(
            manager,
            ASKED,
            lambda: _("%(name)s asks for their account to be erased.", name=name),
            url,
        )
    return request


def do_decline(viewer: Person, person_id: int, reason: str | None) -> ErasureRequest:
    """A manager declines the pending request, saying why; the resident is told."""
    person = access_person_to_erase(viewer, person_id)
    text = check_reason(reason)
    begin_write(db.session)
    request = get_pending(person, lock=True)
    if request is None:
        raise Conflict(_("This request has already been answered."), "already_answered")
    request.declined_at = utcnow()
    request.declined_by_id = viewer.id
    request.reason = text
    record(
        "erasure.declined",
        actor=viewer,
        subject=person,
        object_type="erasure_request",
        object_id=request.id,
    )
    notify(
        person,
        DECLINED,
        lambda: _("The manager answered your request to erase your account."),
        path_for("home.settings"),
    )
    return request


# "My data" ------------------------------------------------------------------------------


def export_requests(person: Person) -> list[dict[str, Any]]:
    """The person's erasure requests and the answers they were given."""
    stmt = (
        select(ErasureRequest)
        .where(ErasureRequest.person_id == person.id)
        .order_by(ErasureRequest.id)
    )
    return [
        {"asked_at": r.requested_at, "declined_at": r.declined_at, "reason": r.reason or None}
        for r in db.session.scalars(stmt)
    ]


register_exporter("erasure_requests", export_requests, order=95)
