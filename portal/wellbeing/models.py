"""Daily check-in enrolments, check-ins, missed check-in alerts, help calls and the
per-building setting. Rows owned by a resident go with them; staff references are unset."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column, utcnow


class AlertStatus(enum.StrEnum):
    """Where a missed check-in alert stands."""

    OPEN = "open"
    REACHED = "reached"  # a member of staff reached the resident
    CHECKED_IN = "checked_in"  # the resident checked in late


class CallStatus(enum.StrEnum):
    """Where a call for help stands."""

    OPEN = "open"
    SEEN = "seen"  # "I've seen it, I'm coming"
    RESOLVED = "resolved"


class CheckinEnrolment(TimestampMixin, Base):
    """A resident who tells the building each day that they are fine, and by when."""

    __tablename__ = "checkin_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    check_time: Mapped[time]  # in the resident's own time zone
    active: Mapped[bool] = mapped_column(default=True, index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who enrolled them (None: the resident themself) and who recorded their consent.
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    consent_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    consent_recorded_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class Checkin(Base):
    """One "I'm fine today", at most one per resident and local day."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("person_id", "local_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    local_day: Mapped[date] = mapped_column(index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class MissedCheckin(Base):
    """A day a resident did not check in by their time: they are on the "To call" list."""

    __tablename__ = "missed_checkins"
    __table_args__ = (UniqueConstraint("person_id", "local_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    local_day: Mapped[date] = mapped_column(index=True)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[AlertStatus] = mapped_column(
        enum_column(AlertStatus, length=20), default=AlertStatus.OPEN
    )
    closed_at: Mapped[datetime | None]
    reached_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")


class HelpCall(Base):
    """A resident pressed "I need help": open, seen by someone who is coming, resolved."""

    __tablename__ = "help_calls"
    __table_args__ = (
        # One call at a time per person, even when the button is pressed twice at once.
        Index(
            "uq_help_calls_active_person",
            "person_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[CallStatus] = mapped_column(
        enum_column(CallStatus, length=20), default=CallStatus.OPEN
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]
    seen_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class WellbeingSettings(TimestampMixin, Base):
    """A building's choice: does the concierge hear of missed check-ins too?"""

    __tablename__ = "wellbeing_settings"

    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )
    alert_concierge: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
