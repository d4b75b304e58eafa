"""Printed login cards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin
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
