"""Alerts that reach a person: the alert, its timeline, and each building's on-call rota.

An alert about a resident goes with them on erasure (its timeline too); staff references
are unset. `level` counts the rounds of telling already claimed: a round is claimed by one
UPDATE … WHERE level = seen, so two jobs (or two processes) never run the same round.
"""

from __future__ import annotations

from datetime import datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin, enum_column, utcnow
from portal.enums import LabelledEnum


class AlertKind(LabelledEnum):
    """What raised the alert; the label is what staff pages and messages call it."""

    HELP_CALL = "help_call", _l('"I need help" pressed'), "phone"
    MISSED_CHECKIN = "missed_checkin", _l("No daily check-in"), "sun"
    URGENT_REQUEST = "urgent_request", _l("Urgent help request nobody took"), "flag"
    TICKET_OVERDUE = "ticket_overdue", _l("Urgent report past its target"), "alarm-clock"
    URGENT_REFERRAL = "urgent_referral", _l("Urgent referral from a partner"), "briefcase"


class StepKind(LabelledEnum):
    """One line of an alert's timeline."""

    RAISED = "raised", _l("Alert raised"), "triangle-alert"
    TOLD = "told", _l("Staff member told"), "mail"
    ESCALATED = "escalated", _l("No answer: passed on"), "arrow-up"
    CONTACT_TOLD = "contact_told", _l("Emergency contact told"), "mail"
    NOBODY = "nobody", _l("Nobody left to tell"), "user-x"
    ACKNOWLEDGED = "acknowledged", _l("Someone is on it"), "check"
    CLOSED = "closed", _l("Closed"), "circle-stop"


class Channel(LabelledEnum):
    EMAIL = "email", _l("email"), "mail"
    SMS = "sms", _l("text message"), "smartphone"


class Outcome(LabelledEnum):
    SENDING = "sending", _l("sending"), "hourglass"
    DELIVERED = "delivered", _l("delivered"), "check"
    FAILED = "failed", _l("failed"), "x"


class Alert(Base):
    """Something that must reach a person now, from raised to acknowledged and closed."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_due", "next_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind, length=20, by_value=True))
    # The resident concerned, if any (their emergency contacts are the last resort).
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    # The one person to tell first instead of the rota (an overdue ticket's assignee).
    target_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # What raised it ("help_call:12"): the same source raises exactly one alert.
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[int] = mapped_column(default=0)  # rounds of telling claimed so far
    next_at: Mapped[datetime | None]  # when the next round is due; None: nothing left to do
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    acknowledged_by_name: Mapped[str] = mapped_column(String(120), default="")
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AlertStep(Base):
    """One line of an alert's timeline. A told line names one recipient on one channel:
    unique per alert, so nobody is told twice on the same channel about the same alert; an
    escalation line carries its round, unique per alert too."""

    __tablename__ = "alert_steps"
    __table_args__ = (
        UniqueConstraint("alert_id", "round", name="uq_alert_steps_alert_id_round"),
        UniqueConstraint(
            "alert_id", "recipient_key", "channel", name="uq_alert_steps_alert_id_recipient"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    what: Mapped[StepKind] = mapped_column(enum_column(StepKind, length=20, by_value=True))
    round: Mapped[int | None]  # escalated lines only
    # Told lines: who ("person:12", or a contact's address), their name, how, and the outcome.
    recipient_key: Mapped[str | None] = mapped_column(String(160))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(120), default="")
    channel: Mapped[Channel | None] = mapped_column(enum_column(Channel, length=10, by_value=True))
    outcome: Mapped[Outcome | None] = mapped_column(enum_column(Outcome, length=10, by_value=True))


class RotaEntry(TimestampMixin, Base):
    """A member of staff on call in a building on some weekdays, from start to end in the
    building's local time (an end at or before the start runs past midnight)."""

    __tablename__ = "rota_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    days: Mapped[int]  # bit 0 = Monday … bit 6 = Sunday: the days the shift starts
    start_time: Mapped[time]
    end_time: Mapped[time]
    position: Mapped[int] = mapped_column(default=1)  # who is told first among those on call


class RotaSettings(TimestampMixin, Base):
    """A building's fallback: told when nobody on the rota answered (or nobody is on call)."""

    __tablename__ = "rota_settings"

    building_id: Mapped[int] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )
    fallback_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
