"""Erasing a person on request: personal data deleted, shared history kept without them.

Every foreign key to `people.id` in the metadata is handled, so tables added later are
covered without a change here. For each column, in this order:

1. an explicit rule: the portal's in OVERRIDES, or one a domain registered;
2. a foreign key declared ON DELETE CASCADE: the rows are the person's own, deleted;
3. a nullable column: set to NULL (the row belongs to others too and is kept);
4. otherwise the rows are deleted.

Each domain registers its own rules and extra steps from its `privacy.py` when its package
is imported (`register_erasure`), the way tiles do; its decisions are written there.
The portal's own decisions:
- audit entries: actor_id / subject_id set to NULL, the pseudonyms stay;
- uploads: the profile photo goes; a domain's step lists the other files that go with
  the person, deleted once the erasure is committed (portal.transaction.after_commit): a
  failed erasure leaves every row and every file as it was.

A manager erases on request (typing the person's name); a closed account is erased the
same way, without anyone, DATARIGHTS_CLOSED_ACCOUNT_DAYS after it was closed (jobs.py).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from flask_babel import gettext as _
from sqlalchemy import Column, Result, Table, delete, select, update

from portal.audit.service import record
from portal.auth.service import do_end_sessions
from portal.datarights.models import ErasureRequest
from portal.db import Base, begin_write
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.people.models import Person, Role
from portal.registry import Registry
from portal.retention import cutoff, retention_days
from portal.transaction import after_commit
from portal.uploads import path_of

log = logging.getLogger(__name__)

Rule = Literal["null", "delete", "skip"]

CLOSED_ACCOUNT_DAYS = "DATARIGHTS_CLOSED_ACCOUNT_DAYS"  # the setting: days from closing to erasure

OVERRIDES: dict[str, Rule] = {
    "audit_entries.actor_id": "null",
    "audit_entries.subject_id": "null",
}


@dataclass
class ErasurePlan:
    """What erasing changed, for the tests and the log (counts only, no personal data)."""

    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def count(self, key: str, result: Result[Any]) -> None:
        """Keep how many rows a statement changed, under `key` ("table.column:rule")."""
        self.rows[key] = int(getattr(result, "rowcount", 0) or 0)


ErasureStep = Callable[[ErasurePlan, int], None]


@dataclass(frozen=True)
class DomainErasure:
    """A domain's part of an erasure: explicit column rules and steps around the walk.

    `before` runs ahead of the per-column rules (to read rows they will delete), `after`
    once they are applied; both get the plan and the person's id, run inside the erasure
    transaction, and add to `plan.files` the files to delete once it is committed.
    """

    overrides: Mapping[str, Rule] = field(default_factory=dict)
    before: ErasureStep | None = None
    after: ErasureStep | None = None


_DOMAINS: Registry[DomainErasure] = Registry()


def register_erasure(name: str, part: DomainErasure) -> None:
    """Add (or replace) the domain `name`'s rules and steps of every erasure."""
    _DOMAINS.register(name, part)


def explicit_rules() -> dict[str, Rule]:
    """Every explicit column rule: the portal's own, then each registered domain's."""
    rules = dict(OVERRIDES)
    for part in _DOMAINS.values():
        rules.update(part.overrides)
    return rules


# Access and checks ---------------------------------------------------------------------


def access_person_to_erase(viewer: Person, person_id: int) -> Person:
    """A person of the manager's own organisation, not the manager; others get 404."""
    hidden = NotFound(_("This person does not exist."))
    if viewer.role != Role.MANAGER:
        raise hidden
    person = db.session.get(Person, person_id)
    if person is None or person.organisation_id != viewer.organisation_id or person.id == viewer.id:
        raise hidden
    return person


def _normalised(text: str) -> str:
    """A name as typed, for comparing: casefolded, without accents or extra spaces."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def check_confirmation(person: Person, typed: str | None) -> None:
    """The manager typed the person's full name (accents and capitals do not matter)."""
    if not typed or _normalised(typed) != _normalised(person.full_name):
        raise Invalid(
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
    """The rule of one column: explicit first, then what its foreign key declares."""
    override = explicit_rules().get(f"{table.name}.{column.name}")
    if override is not None:
        return override
    fk = next(iter(column.foreign_keys))
    if (fk.ondelete or "").upper() == "CASCADE":
        return "delete"
    return "null" if column.nullable and not column.primary_key else "delete"


# Erasing -------------------------------------------------------------------------------


def do_erase(actor: Person, person: Person, typed_name: str | None) -> ErasurePlan:
    """Erase a person after the confirmation (answering their request if they made one)."""
    check_confirmation(person, typed_name)
    asked = select(ErasureRequest.id).where(
        ErasureRequest.person_id == person.id, ErasureRequest.declined_at.is_(None)
    )
    on_request = db.session.scalars(asked).first() is not None
    return erase(person, actor=actor, detail={"on_request": True} if on_request else None)


def erase(
    person: Person, *, actor: Person | None, detail: dict[str, Any] | None = None
) -> ErasurePlan:
    """Erase a person; their sessions and sockets end first. `actor` None: the portal
    itself (a closed account past its delay).

    Every step joins the caller's transaction: the rows change together with the audit
    entry, or not at all; the files go only once that transaction has committed."""
    person_id = person.id
    begin_write(db.session)
    do_end_sessions(person)
    begin_write(db.session)  # joins the write above (or begins one if it was committed)
    plan = ErasurePlan(files=[person.photo_path] if person.photo_path else [])
    parts = list(_DOMAINS.values())
    for part in parts:
        if part.before is not None:
            part.before(plan, person_id)
    for table, column in person_foreign_keys():
        _apply(plan, table, column, rule_for(table, column), person_id)
    for part in parts:
        if part.after is not None:
            part.after(plan, person_id)
    entry = record(
        "person.erased", actor=actor, subject=person, object_type="person", detail=detail
    )
    entry.subject_id = None  # the pseudonym stays, the id goes
    db.session.flush()
    db.session.expunge(person)
    db.session.execute(delete(Person).where(Person.id == person_id))
    after_commit(lambda: _erased(plan))
    return plan


def list_closed_to_erase(now: datetime) -> list[int]:
    """Closed accounts whose delay (DATARIGHTS_CLOSED_ACCOUNT_DAYS) has passed.

    The clock is the account's last change (`updated_at`): closing it is a change, so it
    was closed at least that long ago; a change made after closing (a manager's edit)
    starts the delay again, which only keeps the account longer, never shorter."""
    limit = cutoff(CLOSED_ACCOUNT_DAYS, now)
    stmt = (
        select(Person.id)
        .where(Person.active.is_(False), Person.updated_at < limit)
        .order_by(Person.id)
    )
    return list(db.session.scalars(stmt))


def do_erase_closed(person_id: int, now: datetime) -> bool:
    """Erase one closed account past its delay, checked again inside this transaction (it
    may have been opened again meanwhile); False when it is no longer due."""
    begin_write(db.session)
    limit = cutoff(CLOSED_ACCOUNT_DAYS, now)
    person = db.session.scalars(
        select(Person).where(
            Person.id == person_id, Person.active.is_(False), Person.updated_at < limit
        )
    ).first()
    if person is None:
        return False
    erase(person, actor=None, detail={"closed_days": retention_days(CLOSED_ACCOUNT_DAYS)})
    return True


def _erased(plan: ErasurePlan) -> None:
    """Once the erasure is committed: its files go, and the log says so (counts only)."""
    _delete_files(plan.files)
    log.info("person erased: %d rows changed, %d files", sum(plan.rows.values()), len(plan.files))


def _apply(plan: ErasurePlan, table: Table, column: Column[int], rule: Rule, pid: int) -> None:
    """Apply one column's rule to the rows holding the person's id."""
    if rule == "skip":
        return
    if rule == "null":
        stmt = update(table).where(column == pid).values({column.name: None})
    else:
        stmt = delete(table).where(column == pid)
    plan.count(f"{table.name}.{column.name}:{rule}", db.session.execute(stmt))


def _delete_files(names: list[str]) -> None:
    """Remove the erased person's files after the commit; a failure is only logged."""
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except OSError as exc:  # a file left behind is logged, the erasure stands
            log.warning("could not delete an erased person's file: %s", type(exc).__name__)
