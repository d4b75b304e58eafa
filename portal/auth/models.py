"""Printed login cards."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, enum_column
from portal.enums import LabelledEnum
from portal.people.models import Person


class LoginCard(TimestampMixin, Base):
    """A printed card whose QR code logs its holder in; only the token's hash is kept."""

    __tablename__ = "login_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship(foreign_keys=[person_id])

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class LinkPurpose(LabelledEnum):
    """Why a one-time account link was sent."""

    SETUP = "setup", _l("Set up your account")
    RESET = "reset", _l("Choose a new password")
    FAMILY = "family", _l("Join a resident's family circle")
    LOGIN = "login", _l("Log in")
    PARTNER = "partner", _l("Set up your partner account")


class AccountLink(TimestampMixin, Base):
    """A one-time link by email: a staff member sets their first password (an invitation)
    or a new one (a reset). Only the token's hash is kept; used once, then dead."""

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(enum_column(LinkPurpose, 8, by_value=True))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    person: Mapped[Person] = relationship(foreign_keys=[person_id])
