"""The call log: who called whom, when, for how long, and how it ended (never the media)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, enum_column, utcnow
from portal.people.models import Person


class CallStatus(enum.StrEnum):
    """Where a call is: ringing on the callee's screens, under way, or over."""

    RINGING = "ringing"
    ACTIVE = "active"
    ENDED = "ended"


class CallOutcome(enum.StrEnum):
    """How a call ended: it was answered, nobody answered in time (or the caller gave up),
    or the callee tapped "Not now"."""

    ANSWERED = "answered"
    MISSED = "missed"
    DECLINED = "declined"


LIVE_STATUSES = (CallStatus.RINGING, CallStatus.ACTIVE)


class Call(Base):
    """One call between two people; an erased person's side becomes NULL."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    callee_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # Where "Missed call from …" is written (the conversation the call was started from).
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    status: Mapped[CallStatus] = mapped_column(
        enum_column(CallStatus, length=16), default=CallStatus.RINGING
    )
    outcome: Mapped[CallOutcome | None] = mapped_column(enum_column(CallOutcome, length=16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The Socket.IO connection of each side's screen in the call (signals go there only; its
    # loss ends the call); cleared when the call ends.
    caller_sid: Mapped[str | None] = mapped_column(String(64))
    callee_sid: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    caller: Mapped[Person | None] = relationship(foreign_keys=[caller_id])
    callee: Mapped[Person | None] = relationship(foreign_keys=[callee_id])

    @property
    def live(self) -> bool:
        """Ringing or under way."""
        return self.status in LIVE_STATUSES

    @property
    def duration_seconds(self) -> int | None:
        """How long the two talked (None for a call never answered or still going)."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return max(0, int((self.ended_at - self.answered_at).total_seconds()))

    def other_id(self, person_id: int) -> int | None:
        """The other side of the call for one of its two people."""
        return self.callee_id if person_id == self.caller_id else self.caller_id
