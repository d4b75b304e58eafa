"""The Messages tile on every home screen."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ScalarSelect, Select, select, union

from messaging import service
from messaging.models import Conversation, ConversationKind, Membership
from portal.home.tiles import Tile, building_ids_for, register_tile
from portal.people.models import Person


def _readable_conversations(person: Person) -> Select[tuple[int]]:
    """The ids of the conversations the person reads, as SQL (the same rule as
    service._readable_conversation_ids: own direct and group ones, their own desk, their
    buildings' announcements and, for desk staff, desks; less the groups they left)."""
    buildings = building_ids_for(person)
    parts: list[Select[tuple[int]]] = [
        select(Membership.conversation_id.label("id"))
        .join(Conversation, Conversation.id == Membership.conversation_id)
        .where(
            Membership.person_id == person.id,
            Membership.left_at.is_(None),
            Conversation.kind.in_([ConversationKind.DIRECT, ConversationKind.GROUP]),
        ),
        select(Conversation.id).where(
            Conversation.building_id.in_(buildings),
            Conversation.kind == ConversationKind.ANNOUNCEMENTS,
        ),
    ]
    if person.is_resident:
        parts.append(select(Conversation.id).where(Conversation.desk_resident_id == person.id))
    if person.role in service.DESK_ROLES:
        parts.append(
            select(Conversation.id).where(
                Conversation.building_id.in_(buildings), Conversation.kind == ConversationKind.DESK
            )
        )
    left = select(Membership.conversation_id).where(
        Membership.person_id == person.id, Membership.left_at.is_not(None)
    )
    readable = union(*parts).subquery()
    return select(readable.c.id).where(readable.c.id.not_in(left))


def unread_count(person: Person) -> ScalarSelect[int]:
    """The badge as SQL: service.total_unread in one scalar subquery."""
    return service.unread_total_sql(person, _readable_conversations(person))


register_tile(
    Tile(
        key="messages",
        endpoint="messaging.inbox",
        icon="✉",
        label=_l("Messages"),
        order=10,
        badge_count=unread_count,
        badge_endpoint="messaging.api_unread",
        badge_events=(service.EVENT_CREATED, service.EVENT_READ, service.EVENT_HIDDEN),
    )
)
