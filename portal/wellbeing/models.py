"""Daily check-in enrolments, check-ins, missed check-in alerts, help calls and the
per-building setting. Rows owned by a resident go with them; staff references are unset."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column, partial_index, utcnow
from portal.enums import LabelledEnum


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
        partial_index("uq_help_calls_active_person", "person_id", where="active", unique=True),
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


class ContactRelation(LabelledEnum):
    """Who an emergency contact is to the resident."""

    FAMILY = "family", _l("Family"), "users-round"
    NEIGHBOUR = "neighbour", _l("Neighbour"), "house"
    FRIEND = "friend", _l("Friend"), "handshake"
    CARER = "carer", _l("Carer or nurse"), "stethoscope"
    OTHER = "other", _l("Someone else"), "user"


class EmergencyContact(TimestampMixin, Base):
    """A person the resident agreed we tell when they need help and nobody in the building
    answers (at most three per resident; see portal.wellbeing.contacts)."""

    __tablename__ = "emergency_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    relation: Mapped[ContactRelation] = mapped_column(
        enum_column(ContactRelation, length=20, by_value=True)
    )
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164
    locale: Mapped[str] = mapped_column(String(8))
    # The resident's agreement: when, and who recorded it (the resident, or their
    # coordinator after the resident agreed).
    consent_recorded_at: Mapped[datetime]
    consent_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )


class PauseReason(LabelledEnum):
    """Why the daily check-in is paused: one word, never a health detail."""

    HOLIDAY = "holiday", _l("Holiday"), "luggage"
    HOSPITAL = "hospital", _l("Hospital"), "hospital"
    OTHER = "other", _l("Other"), "calendar"


class CheckinPause(Base):
    """The daily check-in paused from `starts_on` to `until` (local days, inclusive): no
    missed check-in is raised on those days. Resuming early sets `resumed_at`."""

    __tablename__ = "checkin_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    until: Mapped[date] = mapped_column(index=True)
    reason: Mapped[PauseReason | None] = mapped_column(
        enum_column(PauseReason, length=20, by_value=True)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    resumed_at: Mapped[datetime | None]
    resumed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    def covers(self, day: date, due: datetime) -> bool:
        """Whether this pause spares the resident the check-in due at `due` on `day`."""
        if not self.starts_on <= day <= self.until:
            return False
        return self.resumed_at is None or self.resumed_at > due
