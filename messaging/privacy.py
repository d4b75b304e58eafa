"""Messaging's part of a person's data rights: their messages in the export, and erasure.

Erasure decisions: messages stay for the other members, sender NULL (shown as "Former
resident"), and the photos and voice messages they show stay with them (owner NULL) so a
conversation stays whole; the person's desk conversation goes with its messages; a
one-to-one conversation's key ("12:34") names the person, so it is cleared; their uploads
no kept message uses are deleted, rows and files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, update

from messaging.models import Attachment, Conversation, Message
from portal.datarights.erasure import DomainErasure, ErasurePlan, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_messages(person: Person) -> list[dict[str, Any]]:
    """Messages the person wrote, with their conversation and time (files are not copied)."""
    stmt = (
        select(Message, Attachment.kind)
        .outerjoin(Attachment, Message.attachment_id == Attachment.id)
        .where(Message.sender_id == person.id)
        .order_by(Message.id)
    )
    return [
        {
            "conversation_id": m.conversation_id,
            "sent_at": m.created_at,
            "kind": m.kind,
            "text": m.body,
            "attachment": kind,
            "hidden": m.hidden_at is not None,
        }
        for m, kind in db.session.execute(stmt)
    ]


def clear_direct_keys(plan: ErasurePlan, person_id: int) -> None:
    """A one-to-one conversation is found by "smaller:larger" ids; the key must go."""
    key = Conversation.direct_key
    db.session.execute(
        update(Conversation)
        .where(or_(key.like(f"{person_id}:%"), key.like(f"%:{person_id}")))
        .values(direct_key=None)
    )


def erase_attachments(plan: ErasurePlan, person_id: int) -> None:
    """Uploads a kept message still shows stay (owner NULL); the others are deleted."""
    used = select(Message.attachment_id).where(Message.attachment_id.is_not(None))
    unused = select(Attachment).where(Attachment.owner_id == person_id, Attachment.id.not_in(used))
    for attachment in db.session.scalars(unused):
        plan.files.extend(n for n in (attachment.file_name, attachment.thumb_name) if n)
    result = db.session.execute(
        delete(Attachment).where(Attachment.owner_id == person_id, Attachment.id.not_in(used))
    )
    plan.count("attachments.owner_id:delete", result)
    kept = db.session.execute(
        update(Attachment).where(Attachment.owner_id == person_id).values(owner_id=None)
    )
    plan.count("attachments.owner_id:null", kept)


register_exporter("messages", export_messages, order=20)
register_erasure(
    "messaging",
    DomainErasure(
        overrides={
            "messages.sender_id": "null",
            "messages.hidden_by_id": "null",
            "conversations.desk_resident_id": "delete",
            "attachments.owner_id": "skip",  # handled by erase_attachments
        },
        before=clear_direct_keys,
        after=erase_attachments,
    ),
)
