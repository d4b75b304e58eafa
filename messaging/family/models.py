"""The family circle: which relatives a resident invited, and what each may see."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum
from portal.people.models import Person


class InviteChannel(LabelledEnum):
    """How the invitation link reached the relative."""

    EMAIL = "email", _l("By email")
    SMS = "sms", _l("By text message")


class FamilyLink(TimestampMixin, Base):
    """One relative in one resident's circle: pending until the relative opens the link.

    The resident chooses what the relative sees beyond their conversation; the relative
    may be one of the resident's emergency contacts (the contact lives in
    portal.wellbeing; this row only points at it)."""

    __tablename__ = "family_links"
    __table_args__ = (UniqueConstraint("resident_id", "relative_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    relative_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    # How the resident calls them ("my daughter"), shown on the resident's page.
    relation: Mapped[str] = mapped_column(String(60), default="")
    channel: Mapped[InviteChannel] = mapped_column(enum_column(InviteChannel, 8, by_value=True))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    # The resident's agreement, when a coordinator invited on their behalf.
    consent_recorded_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    sees_activities: Mapped[bool] = mapped_column(default=False)
    sees_check_in: Mapped[bool] = mapped_column(default=False)
    emergency_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("emergency_contacts.id", ondelete="SET NULL")
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )

    resident: Mapped[Person] = relationship(foreign_keys=[resident_id])
    relative: Mapped[Person] = relationship(foreign_keys=[relative_id])

    @property
    def is_active(self) -> bool:
        return self.accepted_at is not None


class FamilyGroup(Base):
    """The resident's family group conversation, made once two relatives are in the circle."""

    __tablename__ = "family_groups"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
