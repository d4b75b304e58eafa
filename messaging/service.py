"""Messaging: the only code that writes conversations and messages, then publishes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    ScalarSelect,
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.expression import Executable

from messaging import uploads
from messaging.models import (
    Attachment,
    AttachmentKind,
    Block,
    Conversation,
    ConversationKind,
    Membership,
    Message,
    MessageKind,
    Reaction,
    Report,
)
from portal import easyread, ratelimits, realtime
from portal.db import begin_write, one_at_a_time, utcnow
from portal.errors import Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Person, Role
from portal.retention import cutoff, discard_after_commit
from portal.urls import path_for
from portal.validation import as_cursor, as_id

MAX_TEXT = 2000
PAGE_SIZE = 50
CLIENT_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# Reactions are stored and sent as these emoji, but drawn as SVG pictograms with their words
# (no page depends on an emoji font): stored value -> (lucide-static icon, label).
REACTION_PICTOGRAMS: dict[str, tuple[str, Any]] = {
    "\N{THUMBS UP SIGN}": ("thumbs-up", _l("I like it")),
    "\N{HEAVY BLACK HEART}\N{VARIATION SELECTOR-16}": ("heart", _l("I love it")),
    "\N{SMILING FACE WITH SMILING EYES}": ("smile", _l("It makes me smile")),
    "\N{CLAPPING HANDS SIGN}": ("party-popper", _l("Well done")),
    "\N{PERSON WITH FOLDED HANDS}": ("hand-heart", _l("Thank you")),
}
REACTIONS = tuple(REACTION_PICTOGRAMS)
DESK_ROLES = frozenset({Role.CONCIERGE, Role.COORDINATOR})
# The conversations one reads and writes as a member (a membership row says so).
MEMBER_KINDS = (ConversationKind.DIRECT, ConversationKind.GROUP)
# The columns a send writes (the others keep their defaults: no key, not hidden).
SEND_COLUMNS = (
    "conversation_id",
    "sender_id",
    "client_id",
    "kind",
    "body",
    "attachment_id",
    "as_desk",
    "created_at",
)
ONLINE_WINDOW = timedelta(seconds=90)

EVENT_CREATED = "messaging.message_created"
ORDER_NAMESPACE = 1  # advisory lock namespace: sends of one conversation
EVENT_HIDDEN = "messaging.message_hidden"
EVENT_READ = "messaging.read_updated"
EVENT_TYPING = "messaging.typing_started"
EVENT_REACTED = "messaging.reaction_changed"
EVENT_CONVERSATION = "messaging.conversation_changed"


def desk_room(building_id: int) -> str:
    """The room where a building's desk staff hear its desk conversations."""
    return f"desk:{building_id}"


# Access ---------------------------------------------------------------------------------


def is_desk_staff(person: Person, building_id: int) -> bool:
    """A concierge or coordinator covering the building answers its desk."""
    return person.role in DESK_ROLES and building_id in people.building_ids_for(person)


def _membership(person: Person, conversation: Conversation) -> Membership | None:
    """The membership row, kept for the session (the identity map holds objects weakly)."""
    cache = db.session.info.setdefault("bv_memberships", {})
    key = (conversation.id, person.id)
    membership = cache.get(key)
    if membership is None:
        membership = db.session.get(Membership, key)
        if membership is not None:
            cache[key] = membership
    return membership


def may_read(person: Person, conversation: Conversation) -> bool:
    """Whether the person may read the conversation (the one access rule)."""
    kind = conversation.kind
    if kind == ConversationKind.ANNOUNCEMENTS:
        return conversation.building_id in people.building_ids_for(person)
    if kind == ConversationKind.DESK:
        return conversation.desk_resident_id == person.id or is_desk_staff(
            person, conversation.building_id
        )
    membership = _membership(person, conversation)
    return membership is not None and membership.active


def is_blocked_between(a_id: int, b_id: int) -> bool:
    """Either of the two blocked the other."""
    stmt = select(Block).where(
        or_(
            and_(Block.blocker_id == a_id, Block.blocked_id == b_id),
            and_(Block.blocker_id == b_id, Block.blocked_id == a_id),
        )
    )
    return db.session.scalars(stmt).first() is not None


def direct_partner_id(conversation: Conversation, person_id: int) -> int | None:
    """The other person of a one-to-one conversation (None for any other kind)."""
    if conversation.kind != ConversationKind.DIRECT or not conversation.direct_key:
        return None
    a, b = (int(x) for x in conversation.direct_key.split(":"))
    return b if a == person_id else a


def check_can_post(person: Person, conversation: Conversation, blocked: bool | None = None) -> None:
    """Raise a translated DomainError when the person may not write here (`blocked`: whether
    a one-to-one's two people blocked one another, when the caller read it already)."""
    if not may_read(person, conversation):
        raise Invalid(_("You are not in this conversation."), "not_member")
    if conversation.kind == ConversationKind.ANNOUNCEMENTS and not person.is_staff:
        raise Invalid(_("Only the building's staff write announcements."), "read_only")
    partner = direct_partner_id(conversation, person.id)
    if partner is None:
        return
    if blocked is None:
        blocked = is_blocked_between(person.id, partner)
    if blocked:
        raise Invalid(_("You cannot write to this person."), "blocked")


class _SendRead(NamedTuple):
    """What a send reads before it writes (_access_for_send)."""

    conversation: Conversation
    reader: Membership | None  # the sender's membership or read pointer
    blocked: bool  # the two people of a one-to-one blocked one another
    sent_id: int | None  # the message already stored under this client id: a retry


def _access_for_send(person: Person, conversation_id: int, client_id: str) -> _SendRead:
    """The send's reads in one statement (_access_statement): the conversation, locked; the
    sender's membership (kept for may_read); the one-to-one's blocks; the message a retry of
    this client id stored. Refuses as access_conversation does, except a retry: its message
    is answered whatever the access now, as it was stored when the access allowed it."""
    params = {
        "a_person_id": person.id,
        "a_conversation_id": conversation_id,
        "a_client_id": client_id,
    }
    row = db.session.execute(_access_statement(), params).one_or_none()
    if row is None:
        raise NotFound(_("This conversation does not exist."))
    read = _SendRead(*row)
    if read.reader is not None:  # a member's row, or an announcement's or desk's read pointer
        key = (read.conversation.id, person.id)
        db.session.info.setdefault("bv_memberships", {})[key] = read.reader
    # A member's row is in the cache: may_read runs no statement for it.
    if read.sent_id is None and not may_read(person, read.conversation):
        raise NotFound(_("This conversation does not exist."))
    return read


@cache
def _access_statement() -> Select[tuple[Conversation, Membership, bool, int]]:
    """_access_for_send's statement, built once (an aliased table is costly to build on
    every send). Parameters: a_person_id, a_conversation_id, a_client_id."""
    person_id = bindparam("a_person_id", type_=Membership.__table__.c.person_id.type)
    partner = aliased(Membership)
    either_blocked = exists().where(
        partner.conversation_id == Conversation.id,
        partner.person_id != person_id,
        or_(
            and_(Block.blocker_id == person_id, Block.blocked_id == partner.person_id),
            and_(Block.blocked_id == person_id, Block.blocker_id == partner.person_id),
        ),
    )
    blocked = case((Conversation.kind == ConversationKind.DIRECT, either_blocked), else_=False)
    sent = (
        select(Message.id)
        .where(Message.sender_id == person_id, Message.client_id == bindparam("a_client_id"))
        .scalar_subquery()
    )
    return (
        select(Conversation, Membership, blocked, sent)
        .outerjoin(
            Membership,
            and_(Membership.conversation_id == Conversation.id, Membership.person_id == person_id),
        )
        .where(Conversation.id == bindparam("a_conversation_id"))
        .with_for_update(of=Conversation.__table__)
        .execution_options(populate_existing=True)  # as read under the lock, not before
    )


def access_conversation(
    person: Person, conversation_id: int, *, lock: bool = False
) -> Conversation:
    """Load a conversation the person may read, or raise not_found (404 on pages)."""
    conversation = db.session.get(Conversation, conversation_id, with_for_update=lock or None)
    if conversation is None or not may_read(person, conversation):
        raise NotFound(_("This conversation does not exist."))
    return conversation


def access_message(person: Person, message_id: int) -> Message:
    """Load a message in a conversation the person may read, or raise NotFound."""
    message = db.session.get(Message, message_id)
    if message is None or not may_read(person, message.conversation):
        raise NotFound(_("This message does not exist."))
    return message


# Getting conversations ------------------------------------------------------------------


def get_or_create_direct(person: Person, other_id: int) -> Conversation:
    """The one conversation of two people of the same building, created on first use."""
    other = db.session.get(Person, other_id)
    if (
        other is None
        or other.id == person.id
        or not other.active
        or other.building_id not in people.building_ids_for(person)
    ):
        raise NotFound(_("This person cannot be reached here."))
    low, high = sorted((person.id, other.id))
    key = f"{low}:{high}"
    existing = select(Conversation).where(Conversation.direct_key == key)
    conversation = db.session.scalars(existing).first()
    if conversation is not None:
        return conversation
    conversation = Conversation(
        building_id=other.building_id,
        kind=ConversationKind.DIRECT,
        created_by_id=person.id,
        direct_key=key,
    )
    conversation.members = [Membership(person_id=low), Membership(person_id=high)]
    return _insert_unique(conversation, existing)


def get_or_create_desk(resident: Person) -> Conversation:
    """The resident's one conversation with the concierge desk, created on first use."""
    stmt = select(Conversation).where(Conversation.desk_resident_id == resident.id)
    conversation = db.session.scalars(stmt).first()
    if conversation is not None:
        return conversation
    if resident.role != Role.RESIDENT or resident.building_id is None:
        raise NotFound(_("Only residents have a concierge conversation."))
    conversation = Conversation(
        building_id=resident.building_id,
        kind=ConversationKind.DESK,
        desk_resident_id=resident.id,
        created_by_id=resident.id,
    )
    conversation.members = [Membership(person_id=resident.id)]
    return _insert_unique(conversation, stmt)


def get_or_create_announcements(building_id: int) -> Conversation:
    """The building's announcements channel, created on first use."""
    stmt = select(Conversation).where(
        Conversation.building_id == building_id,
        Conversation.kind == ConversationKind.ANNOUNCEMENTS,
    )
    conversation = db.session.scalars(stmt).first()
    if conversation is not None:
        return conversation
    begin_write(db.session)
    # Read again inside the write transaction: on SQLite no other writer can slip in now.
    conversation = db.session.scalars(stmt).first()
    if conversation is None:
        conversation = Conversation(building_id=building_id, kind=ConversationKind.ANNOUNCEMENTS)
        db.session.add(conversation)
        db.session.flush()
    return conversation


def _insert_unique(
    conversation: Conversation, existing: Select[tuple[Conversation]]
) -> Conversation:
    """Insert, or return the row a concurrent request created first (a unique key says
    which); the request's transaction goes on either way."""
    begin_write(db.session)
    found = db.session.scalars(existing).first()
    if found is not None:
        return found
    try:
        # A savepoint: losing the race undoes this insert only, not the request's other steps.
        with db.session.begin_nested():
            db.session.add(conversation)
    except IntegrityError:
        return db.session.scalars(existing).one()
    return conversation


def do_create_group(creator: Person, title: str, member_ids: Iterable[int]) -> Conversation:
    """Create a group of the creator's building with its members, and tell each of them."""
    title = (title or "").strip()
    if not title or len(title) > 120:
        raise Invalid(_("Give the group a name of at most 120 characters."), "bad_title")
    building_id = creator.building_id
    if building_id is None:
        # Answered like the form's other refusals (shown on the form), not as a 404.
        raise Invalid(_("You have no building."), "no_building")
    members = {creator.id}
    for person_id in member_ids:
        person = db.session.get(Person, int(person_id))
        if person is None or not person.active or person.building_id != building_id:
            raise Invalid(_("Someone you chose cannot join this group."), "bad_member")
        members.add(person.id)
    if len(members) < 2:
        raise Invalid(_("Choose at least one other person."), "bad_member")
    begin_write(db.session)
    conversation = Conversation(
        building_id=building_id, kind=ConversationKind.GROUP, title=title, created_by_id=creator.id
    )
    conversation.members = [
        Membership(person_id=pid, is_admin=pid == creator.id) for pid in sorted(members)
    ]
    db.session.add(conversation)
    db.session.flush()
    for pid in members:
        realtime.publish(
            EVENT_CONVERSATION, {"conversation_id": conversation.id}, realtime.user_room(pid)
        )
    return conversation


def do_leave(person: Person, conversation: Conversation) -> None:
    """Leave a group: it no longer shows, and its messages no longer reach the person."""
    if conversation.kind != ConversationKind.GROUP:
        raise Invalid(_("You can only leave a group."), "not_group")
    begin_write(db.session)
    membership = _membership(person, conversation)
    if membership is None or not membership.active:
        raise Invalid(_("You are not in this group."), "not_member")
    membership.left_at = utcnow()
    realtime.publish(
        EVENT_CONVERSATION, {"conversation_id": conversation.id}, realtime.user_room(person.id)
    )


# Recipients and payloads ----------------------------------------------------------------


def active_member_ids(conversation: Conversation) -> list[int]:
    """The members who have not left."""
    stmt = select(Membership.person_id).where(
        Membership.conversation_id == conversation.id, Membership.left_at.is_(None)
    )
    return list(db.session.scalars(stmt))


def recipient_rooms(conversation: Conversation) -> list[str]:
    """The rooms a conversation's events go to, chosen from the database."""
    if conversation.kind == ConversationKind.ANNOUNCEMENTS:
        return [realtime.building_room(conversation.building_id)]
    if conversation.kind == ConversationKind.DESK:
        # Desk staff keep a read pointer row but hear the desk through its room.
        resident_room = realtime.user_room(conversation.desk_resident_id or 0)
        return [resident_room, desk_room(conversation.building_id)]
    if conversation.kind == ConversationKind.DIRECT and conversation.direct_key:
        # Both people of a one-to-one conversation are named in its key: no query needed.
        return [realtime.user_room(int(pid)) for pid in conversation.direct_key.split(":")]
    return [realtime.user_room(pid) for pid in active_member_ids(conversation)]


def _publish_to(
    conversation: Conversation, event: str, payload: dict[str, Any], *, skip_origin: bool = False
) -> None:
    """Queue an event for every room of the conversation (sent after the commit); with
    `skip_origin`, not to the socket whose event caused it (realtime.publish)."""
    for room in recipient_rooms(conversation):
        realtime.publish(event, payload, to=room, skip_origin=skip_origin)


def sender_payload(message: Message) -> dict[str, Any]:
    """Who wrote a message, as shown: the desk, a former resident or a person."""
    if message.as_desk:
        return {"id": None, "name": _("The concierge desk"), "desk": True}
    sender = message.sender
    if sender is None:
        return {"id": None, "name": _("Former resident"), "desk": False}
    return {
        "id": sender.id,
        "name": sender.full_name,
        "first_name": sender.first_name,
        "desk": False,
        "avatar_url": path_for("people.avatar", person_id=sender.id),
    }


def attachment_payload(attachment: Attachment | None) -> dict[str, Any] | None:
    """A photo's or recording's addresses and size, for the client."""
    if attachment is None:
        return None
    return {
        "id": attachment.id,
        "kind": attachment.kind.value,
        "url": path_for("messaging.media", attachment_id=attachment.id),
        "thumb_url": path_for("messaging.media", attachment_id=attachment.id, size="thumb")
        if attachment.thumb_name
        else None,
        "width": attachment.width,
        "height": attachment.height,
        "duration_ms": attachment.duration_ms,
    }


# Texts the system writes for a person -----------------------------------------------------
# A domain that writes a message for someone (taking a help request writes the helper's first
# words) registers how its key reads, in the current language, for a reader; the message
# keeps the key and its parameters, so that each reader sees it in their own language.

SystemText = Callable[[Mapping[str, Any], Person | None], str]
_system_texts: dict[str, SystemText] = {}


def register_system_text(key: str, render: SystemText) -> None:
    """Let messages stored with this key be written for each reader by `render`."""
    _system_texts[key] = render


def _current_reader() -> Person | None:
    """The logged-in person reading, when there is one."""
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        person: Person = current_user._get_current_object()  # type: ignore[attr-defined]
        return person
    return None


def message_text(message: Message, reader: Person | None = None) -> str:
    """The message's text for a reader (by default the logged-in one) in the current
    language: a system message from its key, any other exactly as written."""
    render = _system_texts.get(message.body_key or "")
    if render is None:
        return message.body
    try:
        return render(message.body_params or {}, reader or _current_reader())
    except (KeyError, TypeError, ValueError):
        return message.body  # parameters a later version no longer reads: the stored text


def message_payload(message: Message, reader: Person | None = None) -> dict[str, Any]:
    """A message as clients receive it, live and when catching up."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "client_id": message.client_id,
        "kind": message.kind.value,
        "body": message_text(message, reader),
        "sender": sender_payload(message),
        "attachment": attachment_payload(message.attachment),
        "created_at": message.created_at.isoformat(),
    }


# Sending --------------------------------------------------------------------------------


def check_client_id(client_id: Any) -> str:
    """The client's identifier of a send, checked (retries reuse it)."""
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise Invalid(_("This message could not be identified. Please try again."), "bad_id")
    return client_id


def check_body(kind: MessageKind, body: Any) -> str:
    """The text of a message, trimmed and within MAX_TEXT."""
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise Invalid(_("This message is not text."), "bad_body")
    body = body.strip()
    if len(body) > MAX_TEXT:
        raise Invalid(_("A message has at most %(n)d characters.", n=MAX_TEXT), "too_long")
    if kind == MessageKind.TEXT and not body:
        raise Invalid(_("The message is empty."), "empty")
    return body


def check_rate(person: Person) -> None:
    """Refuse a send beyond MESSAGING_SEND_LIMIT for this person."""
    limit = current_app.config["MESSAGING_SEND_LIMIT"]
    if not ratelimits.hit(limit, "messaging.send", person.id):
        raise Invalid(
            _("You are sending messages very fast. Please wait a few seconds."), "rate_limited"
        )


def find_sent(person: Person, client_id: str) -> Message | None:
    """The message this person already stored under this client id, if any."""
    stmt = select(Message).where(Message.sender_id == person.id, Message.client_id == client_id)
    return db.session.scalars(stmt).first()


def _check_attachment(person: Person, kind: MessageKind, attachment_id: Any) -> Attachment | None:
    """The person's own unsent upload of the kind the message needs."""
    if kind == MessageKind.TEXT:
        return None
    # A whole number the database can hold, or nothing to look up.
    found_id = as_id(attachment_id) if isinstance(attachment_id, int) else None
    attachment = db.session.get(Attachment, found_id) if found_id is not None else None
    expected = AttachmentKind.IMAGE if kind == MessageKind.PHOTO else AttachmentKind.AUDIO
    if attachment is None or attachment.owner_id != person.id or attachment.kind != expected:
        raise Invalid(_("The photo or recording was not found. Please add it again."), "bad_file")
    used = db.session.scalars(select(Message.id).where(Message.attachment_id == attachment.id))
    if used.first() is not None:
        raise Invalid(_("The photo or recording was not found. Please add it again."), "bad_file")
    return attachment


@dataclass(frozen=True)
class SendResult:
    """The stored message, whether this call created it, and its payload."""

    message: Message
    created: bool
    payload: dict[str, Any]


def do_send_message(
    person: Person,
    conversation_id: int,
    *,
    client_id: Any,
    kind: str = "text",
    body: Any = "",
    attachment_id: Any = None,
) -> SendResult:
    """Store a message once per (sender, client_id), then tell every open screen."""
    client_id = check_client_id(client_id)
    # The one exception to "the request owns the transaction" (portal.transaction): one send
    # at a time per conversation, the lock held across the commit *and* the publish, so that
    # messages commit, and their events leave to every worker, in the order of their ids
    # (a row lock would end at COMMIT, before the event is out). This commit ends what the
    # request did so far (reads, or a caller's earlier steps, which the send's commit would
    # carry anyway), so that the turn is waited for holding no pooled connection. What was
    # loaded stays loaded (not expired): reloading the sender would cost a statement a send.
    _commit_keeping_loaded()
    plan = current_app.config["DB_POOL_PLAN"]
    with one_at_a_time(
        db.engine,
        ORDER_NAMESPACE,
        conversation_id,
        wait=plan["pool_timeout"],
        pool_max=plan["order_pool"],
    ):
        return _store_and_announce(person, conversation_id, client_id, kind, body, attachment_id)


def _commit_keeping_loaded() -> None:
    """Commit without expiring the session's objects (they were read, or written by this
    request, just now)."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def _store_and_announce(
    person: Person, conversation_id: int, client_id: str, kind: str, body: Any, attachment_id: Any
) -> SendResult:
    """Inside the conversation's turn: check, store, publish, commit."""
    begin_write(db.session)
    conversation, reader, blocked, sent_id = _access_for_send(person, conversation_id, client_id)
    if sent_id is not None:  # a retry: answered with what the first attempt stored
        return _already_sent(db.session.get_one(Message, sent_id))
    check_can_post(person, conversation, blocked)
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        raise Invalid(_("This kind of message is not known."), "bad_kind") from None
    text = check_body(message_kind, body)
    attachment = _check_attachment(person, message_kind, attachment_id)
    check_rate(person)
    values = {
        "conversation_id": conversation.id,
        "sender_id": person.id,
        "client_id": client_id,
        "kind": message_kind,
        "body": text,
        "attachment_id": attachment.id if attachment is not None else None,
        "as_desk": conversation.kind == ConversationKind.DESK and person.is_staff,
        "created_at": utcnow(),
    }
    try:
        message = _write_message(person, conversation, reader, attachment, values)
    except IntegrityError:
        # A retry of the same send won the race: answer with what it stored. The transaction
        # holds this send alone (see do_send_message), so undoing it loses nothing else.
        db.session.rollback()
        stored = find_sent(person, client_id)
        if stored is None:
            raise  # not a retry: another constraint (a file removed meanwhile, say)
        return _already_sent(stored)
    payload = message_payload(message)
    # Not echoed to the sending socket: its acknowledgement carries the same message.
    _publish_to(conversation, EVENT_CREATED, payload, skip_origin=True)
    # Kept on purpose, inside the per-conversation lock: events must leave in id order across
    # workers, so the lock is held across this commit and the publish that follows it.
    db.session.commit()
    return SendResult(message, created=True, payload=payload)


def _already_sent(message: Message) -> SendResult:
    """The answer to a retry: the message its first attempt stored."""
    return SendResult(message, created=False, payload=message_payload(message))


def _write_message(
    person: Person,
    conversation: Conversation,
    reader: Membership | None,
    attachment: Attachment | None,
    values: dict[str, Any],
) -> Message:
    """Store a message and move the conversation's last message and the sender's read
    pointer (`reader`, their membership row if they have one) past it, without the unit of
    work: on PostgreSQL in one statement (data-modifying WITH), on SQLite in three. Returns
    the message, persistent as if flushed. Sends therefore run no ORM flush hooks for the
    message (none is registered)."""
    message_id = _insert_moving_pointers(values, reader)
    if reader is None:
        # Announcement readers and desk staff get their read pointer on their first send.
        reader = Membership(conversation_id=conversation.id, person_id=person.id)
        reader.last_read_message_id, reader.last_read_at = message_id, values["created_at"]
        db.session.add(reader)
        db.session.info.setdefault("bv_memberships", {})[(conversation.id, person.id)] = reader
    else:
        set_committed_value(reader, "last_read_message_id", message_id)
        set_committed_value(reader, "last_read_at", values["created_at"])
    set_committed_value(conversation, "last_message_id", message_id)
    set_committed_value(conversation, "last_message_at", values["created_at"])
    set_committed_value(conversation, "updated_at", values["created_at"])
    message = Message(
        id=message_id, body_key=None, body_params=None, hidden_at=None, hidden_by_id=None, **values
    )
    message.conversation, message.sender, message.attachment = conversation, person, attachment
    make_transient_to_detached(message)
    db.session.add(message)
    return message


def _insert_moving_pointers(values: dict[str, Any], reader: Membership | None) -> int:
    """INSERT the message; UPDATE its conversation's last message and, given the sender's
    membership, their read pointer (the send holds the conversation's turn: the new id is
    the newest). The new message's id. The statements are built once (_send_statements)."""
    dialect = db.session.get_bind().dialect.name
    statements = _send_statements(dialect == "postgresql", reader is not None)
    params = {f"m_{name}": value for name, value in values.items()}
    if len(statements) == 1:
        return int(db.session.execute(statements[0], params).scalar_one())
    insert_statement, *moves = statements
    message_id = int(db.session.execute(insert_statement, params).scalar_one())
    for statement in moves:
        db.session.execute(statement, {**params, "new_id": message_id})
    return message_id


@cache
def _send_statements(one_statement: bool, with_reader: bool) -> tuple[Executable, ...]:
    """The send's writes with bound parameters, built once per kind: on PostgreSQL one
    statement (the updates as data-modifying WITH over the insert's new id), else the
    insert and then each update, given `new_id`. Parameters: m_<column> (SEND_COLUMNS)."""
    messages, conversations, members = (
        Message.__table__,
        Conversation.__table__,
        Membership.__table__,
    )
    at = bindparam("m_created_at", type_=messages.c.created_at.type)
    inserted = (
        insert(messages)
        .values(
            {name: bindparam(f"m_{name}", type_=messages.c[name].type) for name in SEND_COLUMNS}
        )
        .returning(messages.c.id)
    )

    def moves(new_id: Any) -> list[Any]:
        moved = [
            update(conversations)
            .where(conversations.c.id == bindparam("m_conversation_id"))
            .values(last_message_id=new_id, last_message_at=at, updated_at=at)
        ]
        if with_reader:
            moved.append(
                update(members)
                .where(
                    members.c.conversation_id == bindparam("m_conversation_id"),
                    members.c.person_id == bindparam("m_sender_id"),
                )
                .values(last_read_message_id=new_id, last_read_at=at)
            )
        return moved

    if not one_statement:
        return (inserted, *moves(bindparam("new_id", type_=messages.c.id.type)))
    new = inserted.cte("new_message")
    ctes = [
        statement.returning(literal_column("1")).cte(f"move_{n}")
        for n, statement in enumerate(moves(select(new.c.id).scalar_subquery()))
    ]
    return (select(new.c.id).add_cte(*ctes),)


def add_message(
    person: Person,
    conversation_id: int,
    *,
    client_id: Any,
    body: Any,
    key: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Message:
    """A text message written as one step of a larger operation (taking a help request writes
    the helper's first words): it is added to the caller's transaction, without the send lock,
    and stands or falls with the rest; its event leaves when that transaction commits.

    Only for a conversation that the operation itself has just opened or locked: the
    conversation's row stays locked until the commit, so ids follow the commits. Every
    refusal comes before anything is written. Sends a person types go through
    do_send_message. With a `key` (see register_system_text) each reader sees the text in
    their own language; `body` is the writer's version, kept as well.
    """
    client_id = check_client_id(client_id)
    existing = find_sent(person, client_id)
    if existing is not None:
        return existing
    begin_write(db.session)
    conversation = access_conversation(person, conversation_id, lock=True)
    check_can_post(person, conversation)
    text = check_body(MessageKind.TEXT, body)
    check_rate(person)
    message = Message(
        conversation=conversation,
        sender=person,
        client_id=client_id,
        kind=MessageKind.TEXT,
        body=text,
        body_key=key,
        body_params=dict(params) if params is not None else None,
    )
    db.session.add(message)
    db.session.flush()
    conversation.last_message_id = message.id
    conversation.last_message_at = message.created_at
    _advance_read(person, conversation, message.id)
    _publish_written_for_each(conversation, message)
    return message


def _publish_written_for_each(conversation: Conversation, message: Message) -> None:
    """A new message's event; a system message is written for each person's own room in
    that person's language and wording (rooms of several people get the current ones)."""
    if message.body_key is None:
        _publish_to(conversation, EVENT_CREATED, message_payload(message))
        return
    for room in recipient_rooms(conversation):
        kind, _sep, ident = room.partition(":")
        reader = db.session.get(Person, int(ident)) if kind == "user" and ident.isdigit() else None
        if reader is None:
            realtime.publish(EVENT_CREATED, message_payload(message), to=room)
            continue
        locale = reader.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with easyread.written_for(reader, locale):
            payload = message_payload(message, reader)
        realtime.publish(EVENT_CREATED, payload, to=room)


def _advance_read(person: Person, conversation: Conversation, message_id: int) -> Membership:
    """Move the person's read pointer forward to `message_id` (never back)."""
    membership = _membership(person, conversation)
    if membership is None:
        # Announcement readers and desk staff get their read pointer on first read.
        membership = Membership(conversation_id=conversation.id, person_id=person.id)
        db.session.add(membership)
    if message_id > (membership.last_read_message_id or 0):
        membership.last_read_message_id = message_id
        membership.last_read_at = utcnow()
    return membership


# Reading --------------------------------------------------------------------------------


def _visible_messages(conversation_id: int) -> Any:
    """A conversation's messages not hidden, with senders and files loaded."""
    return (
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.hidden_at.is_(None))
        .options(selectinload(Message.sender), selectinload(Message.attachment))
    )


def list_messages(
    person: Person,
    conversation: Conversation,
    *,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[Message]:
    """Up to `limit` messages, oldest first: the latest, those before an id, or after one."""
    limit = max(1, min(limit, 500 if after_id is not None else PAGE_SIZE))
    stmt = _visible_messages(conversation.id)
    if after_id is not None:
        stmt = stmt.where(Message.id > after_id).order_by(Message.id).limit(limit)
        return list(db.session.scalars(stmt))
    if before_id is not None:
        stmt = stmt.where(Message.id < before_id)
    stmt = stmt.order_by(Message.id.desc()).limit(limit)
    return list(reversed(list(db.session.scalars(stmt))))


# Events of messages committed a moment apart by different processes can arrive in either
# order; if the earlier one was lost (a worker died, Redis restarted), the client's last id
# is already past it. Catching up therefore also returns the messages created in the few
# seconds before that id; clients skip the ids they already show.
CATCH_UP_OVERLAP = timedelta(seconds=5)


CATCH_UP_CONVERSATIONS = 200  # conversations one catch-up looks at, at most
CATCH_UP_MESSAGES = 500  # messages it returns per conversation, at most


def catch_up(person: Person, after: dict[Any, Any]) -> dict[int, list[dict[str, Any]]]:
    """Everything after the last id the client has (and a few seconds before it, see
    CATCH_UP_OVERLAP), per conversation it names.

    A burst of catch-ups (every socket of a worker after a Redis restart) must not cost
    per conversation: this asks the database the same handful of statements whatever the
    number of conversations named (the conversations, the person's memberships among
    them, the last ids' times, the overlaps' floors, the messages with their senders and
    files)."""
    wanted: dict[int, int] = {}
    for raw_id, raw_last in list(after.items())[:CATCH_UP_CONVERSATIONS]:
        conversation_id, last_id = as_id(raw_id), as_cursor(raw_last or 0)
        if conversation_id is not None and last_id is not None:
            wanted[conversation_id] = last_id  # else it names nothing an id could
    readable = _readable_among(person, list(wanted))
    if not readable:
        return {}
    floors = _catch_up_floors({cid: wanted[cid] for cid in readable})
    result: dict[int, list[dict[str, Any]]] = {cid: [] for cid in readable}
    for message in _messages_after(floors):
        if message.id != wanted[message.conversation_id]:
            result[message.conversation_id].append(message_payload(message))
    return result


def _readable_among(person: Person, conversation_ids: list[int]) -> list[int]:
    """The ids among these that the person may read (may_read), in two statements: the
    conversations, then the person's membership rows among them."""
    if not conversation_ids:
        return []
    conversations = db.session.scalars(
        select(Conversation).where(Conversation.id.in_(conversation_ids))
    ).all()
    memberships = db.session.scalars(
        select(Membership).where(
            Membership.person_id == person.id, Membership.conversation_id.in_(conversation_ids)
        )
    ).all()
    cache = db.session.info.setdefault("bv_memberships", {})
    for membership in memberships:
        cache[(membership.conversation_id, person.id)] = membership
    with_membership = {m.conversation_id for m in memberships}
    return [
        conversation.id
        for conversation in conversations
        # Without a membership row a one-to-one or group conversation is not readable:
        # may_read would only ask the database again to say so.
        if (conversation.kind not in MEMBER_KINDS or conversation.id in with_membership)
        and may_read(person, conversation)
    ]


def _catch_up_floors(last_ids: dict[int, int]) -> dict[int, int]:
    """Per conversation, the id to catch up after: the client's last id, moved back over
    CATCH_UP_OVERLAP (two statements for all the conversations)."""
    floors = dict(last_ids)
    named = {last: cid for cid, last in last_ids.items() if last > 0}
    if not named:
        return floors
    rows = db.session.execute(
        select(Message.id, Message.conversation_id, Message.created_at).where(
            Message.id.in_(list(named))
        )
    ).all()
    # A last id of another conversation says nothing of this one: the floor stays there.
    created = {cid: at for mid, cid, at in rows if named.get(mid) == cid}
    # Just after this process lost Redis, reach back to the loss (portal.realtime).
    missed = realtime.missed_since()
    if missed is not None:
        created = {cid: min(at, missed) for cid, at in created.items()}
    if not created:
        return floors
    earliest = db.session.execute(
        select(Message.conversation_id, func.min(Message.id))
        .where(
            or_(
                *(
                    and_(
                        Message.conversation_id == cid,
                        Message.id < last_ids[cid],
                        Message.created_at >= at - CATCH_UP_OVERLAP,
                    )
                    for cid, at in created.items()
                )
            )
        )
        .group_by(Message.conversation_id)
    ).all()
    for cid, first in earliest:
        if first is not None:
            floors[cid] = first - 1
    return floors


def _messages_after(floors: dict[int, int]) -> list[Message]:
    """The visible messages after each conversation's floor, oldest first, at most
    CATCH_UP_MESSAGES per conversation, with senders and files (three statements)."""
    position = (
        func.row_number()
        .over(partition_by=Message.conversation_id, order_by=Message.id)
        .label("position")
    )
    ranked = (
        select(Message.id, position)
        .where(
            Message.hidden_at.is_(None),
            or_(
                *(
                    and_(Message.conversation_id == cid, Message.id > floor)
                    for cid, floor in floors.items()
                )
            ),
        )
        .subquery()
    )
    stmt = (
        select(Message)
        .join(ranked, ranked.c.id == Message.id)
        .where(ranked.c.position <= CATCH_UP_MESSAGES)
        .order_by(Message.conversation_id, Message.id)
        .options(selectinload(Message.sender), selectinload(Message.attachment))
    )
    return list(db.session.scalars(stmt))


@dataclass
class ConversationSummary:
    """One line of the inbox."""

    conversation: Conversation
    title: str
    unread: int
    last_message: Message | None
    partner: Person | None

    @property
    def preview(self) -> str:
        """The last message's text for the person reading (a system message in their
        language), as the conversation page shows it."""
        return message_text(self.last_message) if self.last_message is not None else ""


def _readable_conversation_ids(person: Person) -> list[int]:
    """One query: the ids of readable_conversations."""
    return sorted(set(db.session.scalars(readable_conversations(person))))


def readable_conversations(
    person: Person, building_ids: Sequence[int] | None = None
) -> Select[tuple[int]]:
    """As SQL: the person's one-to-one and group conversations, their own desk, their
    buildings' announcements (and desks, for desk staff), less the groups they left."""
    buildings = people.building_ids_for(person) if building_ids is None else building_ids
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
    if person.role in DESK_ROLES:
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


def unread_per_conversation(person: Person, conversation_ids: Any) -> Select[tuple[int, int]]:
    """(conversation id, messages from others after the person's read pointer) for each
    conversation given (ids, or a SELECT of ids). Without a pointer (announcements not
    opened yet, desks for staff) it counts from the start. Each count is one index range
    of one conversation, whatever the planner thinks of the others."""
    pointer = aliased(Membership)
    unread = (
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == Conversation.id,
            Message.id > func.coalesce(pointer.last_read_message_id, 0),
            Message.hidden_at.is_(None),
            or_(Message.sender_id.is_(None), Message.sender_id != person.id),
        )
        .scalar_subquery()
    )
    return (
        select(Conversation.id, unread.label("unread"))
        .outerjoin(
            pointer,
            and_(pointer.conversation_id == Conversation.id, pointer.person_id == person.id),
        )
        .where(Conversation.id.in_(conversation_ids))
    )


def unread_counts(person: Person, conversation_ids: Sequence[int]) -> dict[int, int]:
    """Unread messages per conversation (one query); conversations with none left out."""
    if not conversation_ids:
        return {}
    rows = db.session.execute(unread_per_conversation(person, conversation_ids))
    return {cid: count for cid, count in rows if count}


def unread_total_sql(person: Person, conversation_ids: Any) -> ScalarSelect[int]:
    """The sum of unread_per_conversation as one scalar subquery (the home badge)."""
    per_conversation = unread_per_conversation(person, conversation_ids).subquery()
    return select(func.coalesce(func.sum(per_conversation.c.unread), 0)).scalar_subquery()


def total_unread(person: Person) -> int:
    """Messages from others the person has not read, in all their conversations (one
    statement: every catch-up after a reconnect asks it)."""
    return int(
        db.session.scalar(select(unread_total_sql(person, readable_conversations(person)))) or 0
    )


def conversation_title(
    person: Person, conversation: Conversation, partner: Person | None = None
) -> str:
    """The conversation's name for this person (the partner's, for one-to-one)."""
    kind = conversation.kind
    if kind == ConversationKind.GROUP:
        return conversation.title
    if kind == ConversationKind.ANNOUNCEMENTS:
        return _("Announcements of the building")
    if kind == ConversationKind.DESK:
        if conversation.desk_resident_id == person.id:
            return _("The concierge desk")
        resident = conversation.desk_resident
        return _("Desk · %(name)s", name=resident.full_name if resident else "?")
    if partner is None:
        partner_id = direct_partner_id(conversation, person.id)
        partner = db.session.get(Person, partner_id) if partner_id else None
    return partner.full_name if partner else _("Former resident")


def conversation_titles(person: Person, conversations: Iterable[Conversation]) -> dict[int, str]:
    """Titles of several conversations, their one-to-one partners read in one query."""
    unique = {c.id: c for c in conversations}
    partner_ids = {cid: direct_partner_id(c, person.id) for cid, c in unique.items()}
    wanted = {i for i in partner_ids.values() if i}
    partners = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(wanted)))}
    return {
        cid: conversation_title(person, c, partners.get(partner_ids[cid] or 0))
        for cid, c in unique.items()
    }


INBOX_LIMIT = 50  # conversations shown at first; the rest behind "Show all conversations"


def list_conversations(person: Person, limit: int | None = None) -> list[ConversationSummary]:
    """The person's conversations, latest message first, with unread counts; only the
    `limit` latest when given (a desk answers hundreds of residents)."""
    stmt = (
        select(Conversation)
        .where(
            Conversation.id.in_(_readable_conversation_ids(person)),
            # Staff see desk conversations only once a resident wrote.
            or_(
                Conversation.last_message_id.is_not(None),
                Conversation.kind != ConversationKind.DESK,
                Conversation.desk_resident_id == person.id,
            ),
        )
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc())
        .options(selectinload(Conversation.desk_resident))
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    conversations = list(db.session.scalars(stmt))
    if person.is_resident:
        # Every resident has the desk and the announcements, even before a first message.
        conversations += _missing_own_channels(person, conversations)
    last_ids = [c.last_message_id for c in conversations if c.last_message_id]
    last = {m.id: m for m in db.session.scalars(select(Message).where(Message.id.in_(last_ids)))}
    unread = unread_counts(person, [c.id for c in conversations])
    partner_ids = {c.id: direct_partner_id(c, person.id) for c in conversations}
    # Partners and the last messages' senders in one query: mostly the same people.
    wanted = {i for i in partner_ids.values() if i} | {m.sender_id for m in last.values()}
    partners = {
        p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(wanted - {None})))
    }
    for message in last.values():
        set_committed_value(message, "sender", partners.get(message.sender_id or 0))
    summaries = []
    for conversation in conversations:
        partner = partners.get(partner_ids[conversation.id] or 0)
        summaries.append(
            ConversationSummary(
                conversation=conversation,
                title=conversation_title(person, conversation, partner),
                unread=unread.get(conversation.id, 0),
                last_message=last.get(conversation.last_message_id or 0),
                partner=partner,
            )
        )
    epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
    summaries.sort(key=lambda s: s.conversation.last_message_at or epoch, reverse=True)
    return summaries if limit is None else summaries[:limit]


def _missing_own_channels(person: Person, loaded: list[Conversation]) -> list[Conversation]:
    """The resident's desk and building announcements when not among `loaded` (created on
    first use)."""
    missing = []
    if not any(c.desk_resident_id == person.id for c in loaded):
        missing.append(get_or_create_desk(person))
    has_news = any(c.kind == ConversationKind.ANNOUNCEMENTS for c in loaded)
    if person.building_id is not None and not has_news:
        missing.append(get_or_create_announcements(person.building_id))
    return missing


def summary_payload(summary: ConversationSummary) -> dict[str, Any]:
    """One line of the inbox as JSON."""
    last = summary.last_message
    return {
        "id": summary.conversation.id,
        "kind": summary.conversation.kind.value,
        "title": summary.title,
        "unread": summary.unread,
        "last_message": message_payload(last) if last and last.hidden_at is None else None,
        "last_message_at": summary.conversation.last_message_at.isoformat()
        if summary.conversation.last_message_at
        else None,
    }


# Receipts -------------------------------------------------------------------------------


def do_mark_read(person: Person, conversation_id: int, message_id: Any) -> Membership:
    """Move the person's read pointer forward (never back) and tell who needs to know."""
    conversation = access_conversation(person, conversation_id)
    if not isinstance(message_id, int) or message_id < 0:
        raise NotFound(_("This message does not exist."))
    begin_write(db.session)
    latest = conversation.last_message_id or 0
    membership = _advance_read(person, conversation, min(message_id, latest))
    payload = {
        "conversation_id": conversation.id,
        "person_id": person.id,
        "last_read_message_id": membership.last_read_message_id,
        "read_at": membership.last_read_at.isoformat() if membership.last_read_at else None,
    }
    if conversation.kind in (ConversationKind.DIRECT, ConversationKind.GROUP):
        _publish_to(conversation, EVENT_READ, payload)
    else:
        realtime.publish(EVENT_READ, payload, realtime.user_room(person.id))
    return membership


def read_states(conversation: Conversation) -> list[dict[str, Any]]:
    """How far each member has read, for receipts (one-to-one and groups)."""
    if conversation.kind not in (ConversationKind.DIRECT, ConversationKind.GROUP):
        return []
    stmt = (
        select(Membership)
        .where(Membership.conversation_id == conversation.id, Membership.left_at.is_(None))
        .options(selectinload(Membership.person))
    )
    return [
        {
            "person_id": m.person_id,
            "first_name": m.person.first_name,
            "last_read_message_id": m.last_read_message_id,
            "read_at": m.last_read_at.isoformat() if m.last_read_at else None,
        }
        for m in db.session.scalars(stmt)
    ]


# Presence and typing --------------------------------------------------------------------


def presence_of(person: Person) -> dict[str, Any]:
    """Online now, and last seen, unless the person hides it."""
    if not person.show_presence or person.last_seen_at is None:
        return {"online": False, "last_seen_at": None}
    online = utcnow() - person.last_seen_at <= ONLINE_WINDOW
    return {"online": online, "last_seen_at": person.last_seen_at.isoformat()}


def do_set_presence_visibility(person: Person, visible: bool) -> None:
    """Show or hide to others whether the person is online."""
    begin_write(db.session)
    person.show_presence = visible


def send_typing(person: Person, conversation_id: int) -> None:
    """Tell the others someone is writing; nothing is stored, so it leaves at once."""
    conversation = access_conversation(person, conversation_id)
    check_can_post(person, conversation)
    if not ratelimits.hit("30/10 seconds", "messaging.typing", person.id):
        return
    payload = {
        "conversation_id": conversation.id,
        "person_id": None
        if conversation.kind == ConversationKind.DESK and person.is_staff
        else person.id,
        "name": _("The concierge desk")
        if conversation.kind == ConversationKind.DESK and person.is_staff
        else person.first_name,
    }
    for room in recipient_rooms(conversation):
        realtime.emit_now(EVENT_TYPING, payload, to=room)


# Reactions, reports, hiding, blocking ---------------------------------------------------


def do_toggle_reaction(person: Person, message_id: int, emoji: str) -> list[dict[str, Any]]:
    """Add the person's reaction to an announcement, or take it back; everyone sees the counts."""
    message = access_message(person, message_id)
    if message.conversation.kind != ConversationKind.ANNOUNCEMENTS:
        raise Invalid(_("Reactions are for announcements."), "not_allowed")
    if emoji not in REACTIONS:
        raise Invalid(_("This reaction is not available."), "bad_reaction")
    begin_write(db.session)
    existing = db.session.get(Reaction, (message.id, person.id, emoji))
    if existing is None:
        db.session.add(Reaction(message_id=message.id, person_id=person.id, emoji=emoji))
    else:
        db.session.delete(existing)
    db.session.flush()
    counts = reaction_counts([message.id]).get(message.id, {})
    payload = {
        "message_id": message.id,
        "conversation_id": message.conversation_id,
        "reactions": counts,
    }
    _publish_to(message.conversation, EVENT_REACTED, payload)
    return [{"emoji": e, "count": c} for e, c in counts.items()]


def reaction_counts(message_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Reactions per message and pictogram (one query)."""
    if not message_ids:
        return {}
    stmt = (
        select(Reaction.message_id, Reaction.emoji, func.count())
        .where(Reaction.message_id.in_(message_ids))
        .group_by(Reaction.message_id, Reaction.emoji)
    )
    result: dict[int, dict[str, int]] = {}
    for message_id, emoji, count in db.session.execute(stmt):
        result.setdefault(message_id, {})[emoji] = count
    return result


def do_report(person: Person, message_id: int, reason: str = "") -> Report:
    """Report a message to the coordinator, once per person and message."""
    message = access_message(person, message_id)
    if message.sender_id == person.id:
        raise Invalid(_("You cannot report your own message."), "own_message")
    begin_write(db.session)
    stmt = select(Report).where(Report.message_id == message.id, Report.reporter_id == person.id)
    report = db.session.scalars(stmt).first()
    if report is None:
        report = Report(message_id=message.id, reporter_id=person.id, reason=(reason or "")[:500])
        db.session.add(report)
        db.session.flush()
    return report


def check_moderator(person: Person, building_id: int) -> None:
    """Only the building's coordinator (or its manager) hides messages and closes reports."""
    if person.role not in (Role.COORDINATOR, Role.MANAGER) or building_id not in (
        people.building_ids_for(person)
    ):
        raise Forbidden(_("Only the coordinator can hide messages."))


def list_open_reports(person: Person) -> list[Report]:
    """Reports not yet handled in the person's buildings, oldest first."""
    buildings = people.building_ids_for(person)
    stmt = (
        select(Report)
        .join(Message, Report.message_id == Message.id)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.building_id.in_(buildings), Report.resolved_at.is_(None))
        .order_by(Report.created_at)
        .options(selectinload(Report.message).selectinload(Message.sender))
    )
    return list(db.session.scalars(stmt))


def do_hide_message(moderator: Person, message_id: int) -> Message:
    """Hide a message everywhere at once and close its reports."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound(_("This message does not exist."))
    check_moderator(moderator, message.conversation.building_id)
    begin_write(db.session)
    now = utcnow()
    if message.hidden_at is None:
        message.hidden_at = now
        message.hidden_by_id = moderator.id
        _publish_to(
            message.conversation,
            EVENT_HIDDEN,
            {"message_id": message.id, "conversation_id": message.conversation_id},
        )
    _resolve_reports(message.id, moderator, now)
    return message


def do_dismiss_reports(moderator: Person, message_id: int) -> None:
    """Close a message's reports and keep the message."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound(_("This message does not exist."))
    check_moderator(moderator, message.conversation.building_id)
    begin_write(db.session)
    _resolve_reports(message.id, moderator, utcnow())


def _resolve_reports(message_id: int, moderator: Person, when: datetime) -> None:
    """Close the open reports of a message."""
    stmt = select(Report).where(Report.message_id == message_id, Report.resolved_at.is_(None))
    for report in db.session.scalars(stmt):
        report.resolved_at = when
        report.resolved_by_id = moderator.id


def do_block(person: Person, other_id: int) -> None:
    """Stop one-to-one messages between the person and another resident (both ways)."""
    other = db.session.get(Person, other_id)
    if other is None or other.id == person.id:
        raise NotFound(_("This person cannot be blocked."))
    if other.is_staff:
        raise Invalid(_("Staff cannot be blocked; tell the coordinator instead."), "staff")
    begin_write(db.session)
    if db.session.get(Block, (person.id, other.id)) is None:
        db.session.add(Block(blocker_id=person.id, blocked_id=other.id))


def do_unblock(person: Person, other_id: int) -> None:
    """Let the other person write again (nothing happens if they were not blocked)."""
    begin_write(db.session)
    block = db.session.get(Block, (person.id, other_id))
    if block is not None:
        db.session.delete(block)


def has_blocked(person: Person, other_id: int) -> bool:
    """The person blocked the other (one direction only)."""
    return db.session.get(Block, (person.id, other_id)) is not None


# Uploads and search ---------------------------------------------------------------------


def do_save_upload(person: Person, kind: str, data: bytes, duration_ms: Any = None) -> Attachment:
    """Check and store a photo or a voice message, to be sent in a message afterwards.

    A recording's length is measured from the file (and capped there); the `duration_ms`
    the client sends is not trusted and not used."""
    if not ratelimits.hit("30/minute", "messaging.upload", person.id):
        raise Invalid(_("Too many files at once. Please wait a minute."), "rate_limited")
    if kind == "photo":
        stored = uploads.store_photo(data)
        attachment_kind = AttachmentKind.IMAGE
        duration = None
    elif kind == "voice":
        stored = uploads.store_audio(data)
        attachment_kind = AttachmentKind.AUDIO
        duration = stored.duration_ms
    else:
        raise Invalid(_("This kind of file is not accepted."), "bad_type")
    begin_write(db.session)  # keeps the files' removal should the request fail
    attachment = Attachment(
        owner_id=person.id,
        kind=attachment_kind,
        file_name=stored.file_name,
        thumb_name=stored.thumb_name,
        mime_type=stored.mime_type,
        size_bytes=stored.size_bytes,
        width=stored.width,
        height=stored.height,
        duration_ms=duration,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def access_attachment(person: Person, attachment_id: int) -> Attachment:
    """The uploader, or anyone who can read a conversation where it was sent."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_("This file does not exist."))
    if attachment.owner_id == person.id:
        return attachment
    stmt = select(Message).where(
        Message.attachment_id == attachment.id, Message.hidden_at.is_(None)
    )
    for message in db.session.scalars(stmt):
        if may_read(person, message.conversation):
            return attachment
    raise NotFound(_("This file does not exist."))


def _like_pattern(text: str) -> str:
    """The words as a LIKE pattern, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# System messages ("I'll do it: …") are stored in their writer's language; a search also reads
# the newest this many of them as the reader reads them (few: one per help taken).
SEARCH_SYSTEM_TEXTS = 500


def search(person: Person, query: str, limit: int = 50) -> list[Message]:
    """Messages containing the words, in conversations the person can read, newest first.

    A system message is found by its stored (writer's) text or by its text in the reader's
    language, among the newest SEARCH_SYSTEM_TEXTS of them. Each message found carries
    `reader_text`: its text as `message_text` writes it for the person (the search page
    shows that)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    ids = _readable_conversation_ids(person)
    if not ids:
        return []
    words = query[:100]
    readable = (Message.conversation_id.in_(ids), Message.hidden_at.is_(None))
    loading = (selectinload(Message.sender), selectinload(Message.conversation))
    stmt = (
        select(Message)
        .where(*readable, Message.body.ilike(_like_pattern(words), escape="\\"))
        .order_by(Message.id.desc())
        .limit(limit)
        .options(*loading)
    )
    found = {message.id: message for message in db.session.scalars(stmt)}
    system = (
        select(Message)
        .where(*readable, Message.body_key.is_not(None))
        .order_by(Message.id.desc())
        .limit(SEARCH_SYSTEM_TEXTS)
        .options(*loading)
    )
    needle = words.casefold()
    for message in db.session.scalars(system):
        if message.id not in found and needle in message_text(message, person).casefold():
            found[message.id] = message
    results = sorted(found.values(), key=lambda m: m.id, reverse=True)[:limit]
    for message in results:
        # A plain attribute, not a column: nothing is written.
        message.reader_text = message_text(message, person)  # type: ignore[attr-defined]
    return results


# Retention ------------------------------------------------------------------------------


def purge_expired(now: datetime, batch: int) -> int:
    """Delete one batch of messages sent before MESSAGING_RETENTION_DAYS, each message on its
    own clock (a conversation still in use loses its oldest messages too); returns how many
    went.

    What it means for the others in the conversation: the message's reactions and handled
    reports go with it (their foreign keys cascade); a message reported and not yet handled
    stays until the coordinator has dealt with it; its photo or recording (one message per
    upload) goes, the row now and the files once the batch has committed; a conversation
    whose last message went points at the newest one left, or at none (it then sorts last,
    and a desk conversation leaves the staff's list until someone writes again). Read
    pointers are message ids and stay as they are: the ids left keep their order and the
    unread counts only lose messages that are gone.
    """
    limit = cutoff("MESSAGING_RETENTION_DAYS", now)
    begin_write(db.session)
    still_reported = select(Report.message_id).where(Report.resolved_at.is_(None))
    chosen = db.session.execute(
        select(Message.id, Message.conversation_id, Message.attachment_id)
        .where(Message.created_at < limit, Message.id.not_in(still_reported))
        .limit(batch)
    ).all()
    if not chosen:
        return 0
    ids = [row.id for row in chosen]
    gone = delete(Message).where(Message.id.in_(ids))
    db.session.execute(gone.execution_options(synchronize_session=False))
    _drop_attachments({row.attachment_id for row in chosen if row.attachment_id is not None})
    _repoint_last_messages({row.conversation_id for row in chosen})
    return len(ids)


def purge_unsent_uploads(now: datetime, batch: int) -> int:
    """Delete one batch of photos and recordings uploaded before MESSAGING_RETENTION_DAYS
    and never sent (or sent in a message since erased); returns how many went."""
    limit = cutoff("MESSAGING_RETENTION_DAYS", now)
    begin_write(db.session)
    used = select(Message.attachment_id).where(Message.attachment_id.is_not(None))
    stmt = select(Attachment.id).where(Attachment.created_at < limit, Attachment.id.not_in(used))
    ids = set(db.session.scalars(stmt.limit(batch)))
    _drop_attachments(ids)
    return len(ids)


def _drop_attachments(ids: set[int]) -> None:
    """Delete these uploads' rows; their files go once the transaction has committed."""
    if not ids:
        return
    files = db.session.execute(
        select(Attachment.file_name, Attachment.thumb_name).where(Attachment.id.in_(ids))
    ).all()
    stmt = delete(Attachment).where(Attachment.id.in_(ids))
    db.session.execute(stmt.execution_options(synchronize_session=False))
    discard_after_commit(name for row in files for name in row)


def _repoint_last_messages(conversation_ids: set[int]) -> None:
    """Conversations whose last message was deleted point at the newest one left, or none."""
    ids = sorted(conversation_ids)
    # PostgreSQL: a send committing into one of them is waited for, so the statement below
    # (a new snapshot) sees its message and never points back past it.
    lock = select(Conversation.id).where(Conversation.id.in_(ids)).order_by(Conversation.id)
    db.session.execute(lock.with_for_update())
    own = Message.conversation_id == Conversation.id
    newest_id = select(func.max(Message.id)).where(own).scalar_subquery()
    newest_at = (
        select(Message.created_at).where(own).order_by(Message.id.desc()).limit(1)
    ).scalar_subquery()
    dangling = ~exists().where(Message.id == Conversation.last_message_id)
    stmt = (
        update(Conversation)
        .where(Conversation.id.in_(ids), dangling)
        .values(last_message_id=newest_id, last_message_at=newest_at)
    )
    db.session.execute(stmt.execution_options(synchronize_session=False))
