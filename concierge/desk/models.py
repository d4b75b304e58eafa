"""The concierge desk: tickets, parcels, the dwelling logbook and expected visits."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column, partial_index
from portal.enums import LabelledEnum


class TicketCategory(LabelledEnum):
    """What a reported problem is about, with the pictogram the resident picks it by."""

    REPAIR = "repair", _l("Repair"), "wrench"
    HEATING = "heating", _l("Heating"), "flame"
    WATER = "water", _l("Water, leak"), "droplet"
    LIFT = "lift", _l("Lift"), "arrow-up-down"
    CLEANLINESS = "cleanliness", _l("Cleanliness"), "brush-cleaning"
    NOISE = "noise", _l("Noise"), "volume-2"
    KEYS = "keys", _l("Keys, badge"), "key-round"
    OTHER = "other", _l("Something else"), "circle-help"


class TicketStatus(LabelledEnum):
    """Where a ticket stands, in the words the resident reads."""

    NEW = "new", _l("Received")
    ACKNOWLEDGED = "acknowledged", _l("Seen by the desk")
    IN_PROGRESS = "in_progress", _l("Being handled")
    WAITING_CONTRACTOR = "waiting_contractor", _l("Waiting for a contractor")
    RESOLVED = "resolved", _l("Resolved")
    CLOSED = "closed", _l("Closed")


class Priority(LabelledEnum):
    """How soon the desk must act on a ticket (its targets depend on it)."""

    LOW = "low", _l("Low")
    NORMAL = "normal", _l("Normal")
    HIGH = "high", _l("High")
    URGENT = "urgent", _l("Urgent")


class UpdateKind(enum.StrEnum):
    """The kind of a step in a ticket's timeline (never shown by name)."""

    REPLY = "reply"  # public: the resident reads it
    NOTE = "note"  # internal: staff only
    STATUS = "status"
    PRIORITY = "priority"
    ASSIGNEE = "assignee"
    RATING = "rating"


class Ticket(TimestampMixin, Base):
    """A problem a resident reports to the concierge, followed to the end."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    dwelling_id: Mapped[int | None] = mapped_column(ForeignKey("dwellings.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    category: Mapped[TicketCategory] = mapped_column(enum_column(TicketCategory))
    description: Mapped[str] = mapped_column(Text)
    in_common_areas: Mapped[bool] = mapped_column(default=False)
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.NEW, index=True
    )
    priority: Mapped[Priority] = mapped_column(enum_column(Priority), default=Priority.NORMAL)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)

    updates: Mapped[list[TicketUpdate]] = relationship(
        back_populates="ticket", order_by="TicketUpdate.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[TicketPhoto]] = relationship(
        back_populates="ticket", order_by="TicketPhoto.id", cascade="all, delete-orphan"
    )


class TicketUpdate(TimestampMixin, Base):
    """One step of a ticket: a public reply, an internal note or a change."""

    __tablename__ = "ticket_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[UpdateKind] = mapped_column(enum_column(UpdateKind))
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    old_value: Mapped[str | None] = mapped_column(String(40))
    new_value: Mapped[str | None] = mapped_column(String(40))

    ticket: Mapped[Ticket] = relationship(back_populates="updates")


class TicketPhoto(TimestampMixin, Base):
    """A photo of the problem, re-encoded without metadata."""

    __tablename__ = "ticket_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(80))
    thumb_name: Mapped[str | None] = mapped_column(String(80))

    ticket: Mapped[Ticket] = relationship(back_populates="photos")


class ParcelSize(LabelledEnum):
    """What waits at the desk: a registered letter or a parcel of some size."""

    LETTER = "letter", _l("Registered letter")
    SMALL = "small", _l("Small parcel")
    MEDIUM = "medium", _l("Medium parcel")
    LARGE = "large", _l("Large parcel")


class Parcel(TimestampMixin, Base):
    """A parcel waiting at the desk for a dwelling."""

    __tablename__ = "parcels"
    __table_args__ = (
        # The desk's queue and counts read only the parcels still waiting.
        partial_index(
            "ix_parcels_waiting", "building_id", "created_at", where="collected_at IS NULL"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwellings.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(80), default="")
    size: Mapped[ParcelSize] = mapped_column(enum_column(ParcelSize), default=ParcelSize.SMALL)
    note: Mapped[str] = mapped_column(String(200), default="")
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    collected_at: Mapped[datetime | None] = mapped_column(index=True)
    collected_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    collected_by_name: Mapped[str] = mapped_column(String(120), default="")
    handed_over_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    reminded_at: Mapped[datetime | None]


class LogbookKind(LabelledEnum):
    """The kind of an intervention in a dwelling's logbook (TICKET: written by the desk)."""

    TICKET = "ticket", _l("Report to the desk"), "hammer"
    REPAIR = "repair", _l("Repair"), "wrench"
    INSPECTION = "inspection", _l("Inspection"), "search"
    BOILER = "boiler", _l("Boiler service"), "flame"
    RENOVATION = "renovation", _l("Energy renovation works"), "construction"
    OTHER = "other", _l("Other intervention"), "file-text"


class LogbookEntry(TimestampMixin, Base):
    """One intervention in a dwelling's logbook (carnet de santé du logement)."""

    __tablename__ = "logbook_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwellings.id"), index=True)
    kind: Mapped[LogbookKind] = mapped_column(enum_column(LogbookKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    happened_on: Mapped[date] = mapped_column(index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )

    documents: Mapped[list[LogbookDocument]] = relationship(
        back_populates="entry", order_by="LogbookDocument.id", cascade="all, delete-orphan"
    )
    # Read-only: lets a logbook page load its entries' tickets in one query.
    ticket: Mapped[Ticket | None] = relationship(viewonly=True)


class LogbookDocument(TimestampMixin, Base):
    """A document attached to a logbook entry: a photo or a PDF, checked by content."""

    __tablename__ = "logbook_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("logbook_entries.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(80))
    mime_type: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200), default="")

    entry: Mapped[LogbookEntry] = relationship(back_populates="documents")


class VisitKind(LabelledEnum):
    """What a resident tells the desk about someone coming."""

    # A contractor may enter while the resident is away.
    ENTRY_PERMISSION = "entry_permission", _l("Permission to enter"), "key-round"
    VISITOR = "visitor", _l("Expected visitor"), "door-open"  # somebody is expected


class Visit(TimestampMixin, Base):
    """A permission to enter or an expected visitor, shown to the concierge on its days."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwellings.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[VisitKind] = mapped_column(enum_column(VisitKind))
    visitor: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[datetime | None]
