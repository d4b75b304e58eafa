"""What a relative in Jeanne's circle must never reach, though the routes and events that
name it are open to them: her conversations with the building (a neighbour, a group, the
announcements), another resident's family group, and the photos sent in them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from messaging import service as messaging
from messaging.family import service as family
from messaging.models import Membership, Message, Reaction, Report
from portal.extensions import db
from portal.people.models import Person
from tests import media
from tests.family.conftest import Cast, join


@dataclass(frozen=True)
class Others:
    conversation_ids: tuple[int, ...]  # neighbours, club, announcements, Paul's family group
    message_ids: tuple[int, ...]  # one message (or more) in each of them
    attachment_ids: tuple[int, ...]  # Jeanne's photo to Paul, Bruno's photo to Paul's family


def _send(person: Person, conversation_id: int, **fields: Any) -> Message:
    client_id = f"c-{uuid.uuid4().hex[:12]}"
    return messaging.do_send_message(person, conversation_id, client_id=client_id, **fields).message


def build_others(cast: Cast) -> Others:
    """Jeanne's conversations with her building, and Paul's family group, with messages and
    photos; committed."""
    jeanne, paul = cast.jeanne, cast.paul
    neighbours = messaging.get_or_create_direct(jeanne, paul.id)
    secret = _send(paul, neighbours.id, body="Secret de voisin")
    jeanne_photo = messaging.do_save_upload(jeanne, "photo", media.photo())
    to_paul = _send(jeanne, neighbours.id, kind="photo", attachment_id=jeanne_photo.id)
    club = messaging.do_create_group(jeanne, "Club tricot", [paul.id])
    thursday = _send(jeanne, club.id, body="Jeudi ?")
    notices = messaging.get_or_create_announcements(cast.building.id)
    party = _send(cast.coordinator, notices.id, body="Fête jeudi")
    db.session.commit()
    bruno = join(paul, "bruno@example.org", "Bruno")
    join(paul, "claude@example.org", "Claude")
    paul_family = family.family_group_id(paul.id)
    assert paul_family is not None
    bruno_photo = messaging.do_save_upload(bruno, "photo", media.photo((48, 64)))
    to_paul_family = _send(bruno, paul_family, kind="photo", attachment_id=bruno_photo.id)
    db.session.commit()
    return Others(
        conversation_ids=(neighbours.id, club.id, notices.id, paul_family),
        message_ids=(secret.id, to_paul.id, thursday.id, party.id, to_paul_family.id),
        attachment_ids=(jeanne_photo.id, bruno_photo.id),
    )


def snapshot() -> tuple[Any, ...]:
    """Everything a refused route or event could have changed: who is in which conversation
    and how far they read, the messages, reports and reactions."""
    db.session.expire_all()
    memberships = db.session.execute(
        select(
            Membership.conversation_id,
            Membership.person_id,
            Membership.left_at,
            Membership.last_read_message_id,
        ).order_by(Membership.conversation_id, Membership.person_id)
    ).all()
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Message, Report, Reaction)
    )
    return (tuple(memberships), counts)
