"""Calls' part of a person's data rights: their call log in the export, and erasure.

Erasure decisions: a call stays in the other person's log without the erased person (their
side NULL, shown as "Former resident"); a call with neither side left is deleted. The media
of a call is never stored, so there is nothing else to erase.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select

from messaging.calls.models import Call
from portal.datarights.erasure import DomainErasure, ErasurePlan, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_calls(person: Person) -> list[dict[str, Any]]:
    """The calls the person made or received: with whom (an id), when, how long, outcome."""
    stmt = (
        select(Call)
        .where(or_(Call.caller_id == person.id, Call.callee_id == person.id))
        .order_by(Call.id)
    )
    return [
        {
            "direction": "outgoing" if call.caller_id == person.id else "incoming",
            "other_person_id": call.other_id(person.id),
            "started_at": call.created_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "duration_seconds": call.duration_seconds,
            "outcome": call.outcome,
            "conversation_id": call.conversation_id,
        }
        for call in db.session.scalars(stmt)
    ]


def drop_orphan_calls(plan: ErasurePlan, person_id: int) -> None:
    """A call whose two sides are both gone tells nobody anything: it goes."""
    result = db.session.execute(
        delete(Call).where(Call.caller_id.is_(None), Call.callee_id.is_(None))
    )
    plan.count("calls:orphans_deleted", result)


register_exporter("calls", export_calls, order=25)
register_erasure(
    "calls",
    DomainErasure(
        overrides={"calls.caller_id": "null", "calls.callee_id": "null"},
        after=drop_orphan_calls,
    ),
)
