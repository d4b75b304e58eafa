"""Neighbour service exchange: requests for help, standing offers, and the audit of who
read a pharmacy run's details."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column


class HelpKind(enum.StrEnum):
    GROCERIES = "groceries"
    PHARMACY = "pharmacy"
    REPAIR = "repair"
    COMPANY = "company"
    TABLET = "tablet"
    PAPERWORK = "paperwork"
    ACCOMPANIMENT = "accompaniment"
    OTHER = "other"


class Urgency(enum.StrEnum):
    FLEXIBLE = "flexible"
    SOON = "soon"
    URGENT = "urgent"


class HelpStatus(enum.StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    DONE = "done"
    THANKED = "thanked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class HelpRequest(TimestampMixin, Base):
    """A resident's request for a neighbour's help, from open to thanked."""

    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # The member of staff who posted it for a resident without a tablet.
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    kind: Mapped[HelpKind] = mapped_column(enum_column(HelpKind))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency), default=Urgency.SOON)
    # Shopping list, what to repair… For a pharmacy run: the pharmacy only (never medicines).
    details: Mapped[str | None] = mapped_column(Text)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[HelpStatus] = mapped_column(
        enum_column(HelpStatus), default=HelpStatus.OPEN, index=True
    )
    health_consent_at: Mapped[datetime | None]
    helper_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # A neighbour the concierge asked to help; they accept or decline.
    proposed_to_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    conversation_id: Mapped[int | None]
    taken_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    minutes_given: Mapped[int | None]
    thanked_at: Mapped[datetime | None]
    thanks_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    details_erased_at: Mapped[datetime | None]


class HelpOffer(TimestampMixin, Base):
    """What a resident can do for neighbours, and when."""

    __tablename__ = "help_offers"
    __table_args__ = (UniqueConstraint("person_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[HelpKind] = mapped_column(enum_column(HelpKind))
    availability: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)


class HelperProfile(TimestampMixin, Base):
    """A helper's consent to show their thanks and hours to the neighbours."""

    __tablename__ = "helper_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    show_thanks: Mapped[bool] = mapped_column(default=False)


class HealthAccessLog(Base):
    """Who read a pharmacy run's details, and when; never the details themselves."""

    __tablename__ = "health_access_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(index=True)  # kept after the request is erased
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20))
    viewed_at: Mapped[datetime]
