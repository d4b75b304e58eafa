"""An announcement to one building, and who of its residents has read it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin
from portal.enums import LabelledEnum


class AnnouncementStatus(LabelledEnum):
    """Where an announcement stands for the residents (worked out, not stored)."""

    CURRENT = "current", _l("Shown to residents")
    EXPIRED = "expired", _l("Ended (date passed)")
    WITHDRAWN = "withdrawn", _l("Withdrawn")


class Announcement(TimestampMixin, Base):
    """A notice from the staff to every resident of a building (heatwave, water cut…)."""

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_building_published", "building_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    photo_name: Mapped[str | None] = mapped_column(String(64))
    thumb_name: Mapped[str | None] = mapped_column(String(64))
    pinned: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime]
    # Shown to residents until this moment (UTC); None: until withdrawn.
    visible_until: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )


class AnnouncementRead(Base):
    """One resident tapped "I have read it" on one announcement (at most once)."""

    __tablename__ = "announcement_reads"
    __table_args__ = (UniqueConstraint("announcement_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime]
