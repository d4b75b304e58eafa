"""The days on which each resident used Bon Voisin: one row per person and local day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base


class ActivityDay(Base):
    """A resident had a page open on this day (their own time zone); written once a day."""

    __tablename__ = "activity_days"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True, index=True)
