"""Erasing a person on request: personal data deleted, shared history kept without them.

Every foreign key to `people.id` in the metadata is handled, so tables added later are
covered without a change here. For each column, in this order:

1. an explicit rule in OVERRIDES;
2. a foreign key declared ON DELETE CASCADE: the rows are the person's own, deleted;
3. a nullable column: set to NULL (the row belongs to others too and is kept);
4. otherwise the rows are deleted.

Decisions written as overrides or extra steps:
- messages: kept for the other members, sender NULL (shown as "Former resident"); their
  photos and voice messages stay with them (the conversation stays whole), owner NULL;
- the person's desk conversation (ON DELETE CASCADE) goes with its messages;
- tickets they reported: kept for the building's logbook with reporter NULL, public and
  internal history kept; the photos they uploaded are deleted (rows and files), since
  photos of a home show the person's belongings and life;
- audit entries: actor_id / subject_id set to NULL, the pseudonyms stay;
- uploads: the profile photo and the person's uploads no kept message uses are deleted;
- a one-to-one conversation's key ("12:34") names the person: it is cleared.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import Column, Table, delete, or_, select, update

from portal.audit.service import record
from portal.auth.service import do_end_sessions
from portal.db import Base, begin_write
from portal.errors import DomainError
from portal.extensions import db
from portal.people.models import Person, Role
from portal.uploads import path_of

log = logging.getLogger(__name__)

Rule = Literal["null", "delete", "skip"]

OVERRIDES: dict[str, Rule] = {
    "messages.sender_id": "null",
    "messages.hidden_by_id": "null",
    "conversations.desk_resident_id": "delete",
    "tickets.reporter_id": "null",
    "ticket_photos.uploaded_by_id": "delete",  # files removed in _collect_files
    "attachments.owner_id": "skip",  # handled by _erase_attachments
    "audit_entries.actor_id": "null",
    "audit_entries.subject_id": "null",
}


@dataclass
class ErasurePlan:
    """What erasing changed, for the tests and the log (counts only, no personal data)."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


# Access and checks ---------------------------------------------------------------------


def access_person_to_erase(viewer: Person, person_id: int) -> Person:
    """A person of the manager's own organisation, not the manager; others get 404."""
    if viewer.role != Role.MANAGER:
        abort(404)
    person = db.session.get(Person, person_id)
    if person is None or person.organisation_id != viewer.organisation_id or person.id == viewer.id:
        abort(404)
    return person


def _normalised(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).casefold()
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def check_confirmation(person: Person, typed: str | None) -> None:
    """The manager typed the person's full name (accents and capitals do not matter)."""
    if not typed or _normalised(typed) != _normalised(person.full_name):
        raise DomainError(
            _("Please type the full name %(name)s exactly to confirm.", name=person.full_name),
            "confirmation",
        )


# The rules -----------------------------------------------------------------------------


def person_foreign_keys() -> Iterator[tuple[Table, Column[int]]]:
    """Every (table, column) of the metadata that refers to people.id."""
    for table in Base.metadata.sorted_tables:
        if table.name == Person.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == Person.__tablename__ and fk.column.name == "id":
                yield table, fk.parent


def rule_for(table: Table, column: Column[int]) -> Rule:
    override = OVERRIDES.get(f"{table.name}.{column.name}")
    if override is not None:
        return override
    fk = next(iter(column.foreign_keys))
    if (fk.ondelete or "").upper() == "CASCADE":
        return "delete"
    return "null" if column.nullable and not column.primary_key else "delete"


# Erasing -------------------------------------------------------------------------------


def do_erase(actor: Person, person: Person, typed_name: str | None) -> ErasurePlan:
    """Erase a person after the confirmation; their sessions and sockets end first."""
    check_confirmation(person, typed_name)
    person_id = person.id
    do_end_sessions(person)
    begin_write(db.session)
    plan = ErasurePlan()
    plan.files = _collect_files(person_id, person.photo_path)
    _clear_direct_keys(person_id)
    for table, column in person_foreign_keys():
        _apply(plan, table, column, rule_for(table, column), person_id)
    _erase_attachments(plan, person_id)
    entry = record("person.erased", actor=actor, subject=person, object_type="person")
    entry.subject_id = None  # the pseudonym stays, the id goes
    db.session.flush()
    db.session.expunge(person)
    db.session.execute(delete(Person).where(Person.id == person_id))
    db.session.commit()
    _delete_files(plan.files)
    log.info("person erased: %d rows changed, %d files", sum(plan.rows.values()), len(plan.files))
    return plan


def _apply(plan: ErasurePlan, table: Table, column: Column[int], rule: Rule, pid: int) -> None:
    if rule == "skip":
        return
    if rule == "null":
        stmt = update(table).where(column == pid).values({column.name: None})
    else:
        stmt = delete(table).where(column == pid)
    result = db.session.execute(stmt)
    plan.rows[f"{table.name}.{column.name}:{rule}"] = int(getattr(result, "rowcount", 0) or 0)


def _clear_direct_keys(person_id: int) -> None:
    """A one-to-one conversation is found by "smaller:larger" ids; the key must go."""
    from messaging.models import Conversation

    key = Conversation.direct_key
    db.session.execute(
        update(Conversation)
        .where(or_(key.like(f"{person_id}:%"), key.like(f"%:{person_id}")))
        .values(direct_key=None)
    )


def _collect_files(person_id: int, photo_path: str | None) -> list[str]:
    """Files that go with the person: their profile photo and their ticket photos."""
    from concierge.desk.models import TicketPhoto

    files = [photo_path] if photo_path else []
    photos = db.session.execute(
        select(TicketPhoto.file_name, TicketPhoto.thumb_name).where(
            TicketPhoto.uploaded_by_id == person_id
        )
    )
    for name, thumb in photos:
        files.extend(n for n in (name, thumb) if n)
    return files


def _erase_attachments(plan: ErasurePlan, person_id: int) -> None:
    """Uploads a kept message still shows stay (owner NULL); the others are deleted."""
    from messaging.models import Attachment, Message

    used = select(Message.attachment_id).where(Message.attachment_id.is_not(None))
    unused = select(Attachment).where(Attachment.owner_id == person_id, Attachment.id.not_in(used))
    for attachment in db.session.scalars(unused):
        plan.files.extend(n for n in (attachment.file_name, attachment.thumb_name) if n)
    result = db.session.execute(
        delete(Attachment).where(Attachment.owner_id == person_id, Attachment.id.not_in(used))
    )
    plan.rows["attachments.owner_id:delete"] = int(getattr(result, "rowcount", 0) or 0)
    kept = db.session.execute(
        update(Attachment).where(Attachment.owner_id == person_id).values(owner_id=None)
    )
    plan.rows["attachments.owner_id:null"] = int(getattr(kept, "rowcount", 0) or 0)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except OSError as exc:  # a file left behind is logged, the erasure stands
            log.warning("could not delete an erased person's file: %s", type(exc).__name__)
