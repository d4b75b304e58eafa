"""Partners from outside the building (social workers, home-care aides, the landlord's
technicians, associations) and the referrals they send the coordinator.

Minimal data: a referral holds its building, the flat and the name the partner typed (or
nothing, for a concern about the building), the resident it matched, one kind of concern,
an urgency and a short text; the coordinator's answer is a status and a short note."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column, utcnow
from portal.enums import LabelledEnum


class PartnerKind(LabelledEnum):
    """What kind of professional a partner is."""

    SOCIAL_WORKER = "social_worker", _l("Social worker"), "briefcase"
    HOME_CARE = "home_care", _l("Home-care aide"), "hand-heart"
    TECHNICIAN = "technician", _l("Landlord's technician"), "wrench"
    ASSOCIATION = "association", _l("Association"), "users"


class ConcernKind(LabelledEnum):
    """What a referral is about: one word, never a diagnosis."""

    ISOLATION = "isolation", _l("Isolation"), "user-round-x"
    HEALTH = "health", _l("Health"), "heart-pulse"
    DWELLING = "dwelling", _l("The flat's condition"), "house"
    MONEY = "money", _l("Money"), "wallet"
    OTHER = "other", _l("Something else"), "message-circle"


class Urgency(LabelledEnum):
    """How soon the coordinator should look at it."""

    LOW = "low", _l("When you can"), "clock"
    SOON = "soon", _l("This week"), "calendar"
    URGENT = "urgent", _l("Today"), "triangle-alert"


class ReferralStatus(LabelledEnum):
    """Where a referral stands, as the partner reads it."""

    RECEIVED = "received", _l("Received"), "inbox"
    IN_PROGRESS = "in_progress", _l("In progress"), "refresh-cw"
    CLOSED = "closed", _l("Closed"), "circle-check"


class PartnerProfile(TimestampMixin, Base):
    """What a partner account is beside the person: their kind and their organisation."""

    __tablename__ = "partner_profiles"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[PartnerKind] = mapped_column(enum_column(PartnerKind, length=20, by_value=True))
    organisation_name: Mapped[str] = mapped_column(String(120))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


# The buildings a partner may send referrals about (never a room, directory or page of them).
partner_buildings = Table(
    "partner_buildings",
    Base.metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("building_id", ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True),
)


class Referral(TimestampMixin, Base):
    """A partner's concern about a resident (or the building), and the coordinator's answer."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    # Kept when the partner's account is erased: the coordinator's follow-up stays.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # About a resident (a flat was named), or about the building.
    about_resident: Mapped[bool] = mapped_column(default=True)
    # What the partner typed (the flat's number, a name), erased with the text.
    dwelling_number: Mapped[str] = mapped_column(String(20), default="")
    resident_name: Mapped[str] = mapped_column(String(80), default="")
    # The resident it matched, for the coordinator only (never shown to the partner).
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    concern: Mapped[ConcernKind] = mapped_column(enum_column(ConcernKind, length=20, by_value=True))
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency, length=10, by_value=True))
    text: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, length=20, by_value=True), default=ReferralStatus.RECEIVED
    )
    # The coordinator's short answer, shared with the partner (about a resident: only once
    # the resident's consent is recorded).
    answer_note: Mapped[str] = mapped_column(String(300), default="")
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    consent_recorded_at: Mapped[datetime | None]
    consent_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closed_at: Mapped[datetime | None]

    @property
    def may_share(self) -> bool:
        """Whether the coordinator may write back to the partner: about the building always,
        about a resident once the resident's consent is recorded."""
        return not self.about_resident or self.consent_recorded_at is not None
