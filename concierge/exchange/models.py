"""Neighbour service exchange: requests for help, standing offers, and the audit of who
read a pharmacy run's details."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum


class HelpKind(LabelledEnum):
    """What a neighbour is asked for, with the label and pictogram shown beside it."""

    GROCERIES = "groceries", _l("Groceries"), "shopping-cart"
    PHARMACY = "pharmacy", _l("Pharmacy run"), "pill"
    REPAIR = "repair", _l("Small repair or DIY"), "wrench"
    COMPANY = "company", _l("Company or a walk"), "coffee"
    TABLET = "tablet", _l("Help with the tablet"), "tablet-smartphone"
    PAPERWORK = "paperwork", _l("Help with paperwork"), "file-text"
    ACCOMPANIMENT = "accompaniment", _l("Going with me to an appointment"), "handshake"
    OTHER = "other", _l("Something else"), "message-circle"


class Urgency(LabelledEnum):
    """How soon the requester needs help; urgent requests go first and alert the desk."""

    FLEXIBLE = "flexible", _l("Whenever suits")
    SOON = "soon", _l("Soon")
    URGENT = "urgent", _l("Urgent")


class HelpStatus(LabelledEnum):
    """Where a request stands, in the words the requester and the helper read."""

    OPEN = "open", _l("Waiting for a neighbour")
    TAKEN = "taken", _l("A neighbour is on it")
    DONE = "done", _l("Done")
    THANKED = "thanked", _l("Done and thanked")
    CANCELLED = "cancelled", _l("Cancelled")
    EXPIRED = "expired", _l("Closed: nobody could help in time")


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
