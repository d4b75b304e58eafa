"""Conversations, their members and messages, attachments, reactions, blocks and reports."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column, utcnow
from portal.enums import LabelledEnum
from portal.people.models import Person

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit id.
MessageId = BigInteger().with_variant(Integer(), "sqlite")


class ConversationKind(LabelledEnum):
    """What a conversation is, with the name the figures give it and its inbox pictogram."""

    DIRECT = "direct", _l("Between two neighbours"), "mail"  # two people
    GROUP = "group", _l("Groups"), "users"  # a club, a floor…
    # The building's channel: staff write, residents read.
    ANNOUNCEMENTS = "announcements", _l("Announcements"), "megaphone"
    # One resident with the concierge desk.
    DESK = "desk", _l("With the concierge desk"), "concierge-bell"


class MessageKind(enum.StrEnum):
    """What a message carries."""

    TEXT = "text"
    PHOTO = "photo"
    VOICE = "voice"


class AttachmentKind(enum.StrEnum):
    """What an upload is."""

    IMAGE = "image"
    AUDIO = "audio"


class Conversation(TimestampMixin, Base):
    """A one-to-one, a group, a building's announcements or a resident's desk."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    kind: Mapped[ConversationKind] = mapped_column(enum_column(ConversationKind, length=20))
    title: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # "smaller_id:larger_id" for one-to-one conversations, so there is only one per pair.
    direct_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    # The resident of a desk conversation (one per resident).
    desk_resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    last_message_id: Mapped[int | None] = mapped_column(MessageId)
    last_message_at: Mapped[datetime | None] = mapped_column(index=True)

    members: Mapped[list[Membership]] = relationship(back_populates="conversation")
    desk_resident: Mapped[Person | None] = relationship(foreign_keys=[desk_resident_id])


class Membership(Base):
    """A person in a conversation, with how far they have read (one row, not one per message)."""

    __tablename__ = "conversation_members"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_admin: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    last_read_message_id: Mapped[int] = mapped_column(MessageId, default=0)
    last_read_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(back_populates="members")
    person: Mapped[Person] = relationship()

    @property
    def active(self) -> bool:
        """Still in the conversation (has not left)."""
        return self.left_at is None


class Attachment(Base):
    """A checked, re-encoded upload stored under a server-made name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind, length=20))
    file_name: Mapped[str] = mapped_column(String(80), unique=True)
    thumb_name: Mapped[str | None] = mapped_column(String(80))
    mime_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One message, once per (sender, client_id); hidden ones stay, unshown."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("sender_id", "client_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_created_at_conversation_id", "created_at", "conversation_id"),  # figures
    )

    id: Mapped[int] = mapped_column(MessageId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, length=20))
    body: Mapped[str] = mapped_column(Text, default="")
    # A message the system writes for a person ("I'll do it: …") is kept as a key and its
    # parameters and written in each reader's language when shown; `body` keeps it in the
    # writer's language (search, data export, and the text if the key is ever unknown).
    body_key: Mapped[str | None] = mapped_column(String(64))
    body_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    as_desk: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    conversation: Mapped[Conversation] = relationship()
    sender: Mapped[Person | None] = relationship(foreign_keys=[sender_id])
    attachment: Mapped[Attachment | None] = relationship()


class Reaction(Base):
    """A pictogram reaction to an announcement."""

    __tablename__ = "message_reactions"

    message_id: Mapped[int] = mapped_column(
        MessageId, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    emoji: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Block(Base):
    """One person does not want messages from another."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Report(Base):
    """A message someone reported to the coordinator."""

    __tablename__ = "message_reports"
    __table_args__ = (UniqueConstraint("message_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        MessageId, ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    message: Mapped[Message] = relationship()
