"""A resident's request to have their account erased, until a manager answers it.

A confirmed request ends with the person's erasure, which deletes the request with them;
a declined one stays, with the manager's reason, so the resident reads the answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, partial_index, utcnow


class ErasureRequest(Base):
    """ "Please erase my account": pending while `declined_at` is empty."""

    __tablename__ = "erasure_requests"
    __table_args__ = (
        # One pending request per person, even when the button is pressed twice at once.
        partial_index(
            "uq_erasure_requests_pending_person",
            "person_id",
            where="declined_at IS NULL",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    declined_at: Mapped[datetime | None]
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
