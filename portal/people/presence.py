"""Recording that a resident was active today, at most one row per person and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Insert, exists, insert, select

from portal.extensions import db
from portal.i18n import zone_of
from portal.people.models import ActivityDay, Person


def add_activity_day(person: Person, now: datetime) -> None:
    """Add today's row for a resident unless it exists; joins the caller's transaction."""
    if not person.is_resident:
        return
    day = now.astimezone(zone_of(person)).date()
    dialect = db.session.get_bind().dialect.name
    if dialect in {"sqlite", "postgresql"}:
        db.session.execute(_insert_ignoring_duplicates(dialect, person.id, day))
        return
    known = select(exists().where(ActivityDay.person_id == person.id, ActivityDay.day == day))
    if not db.session.scalar(known):
        db.session.execute(insert(ActivityDay).values(person_id=person.id, day=day))


def _insert_ignoring_duplicates(dialect: str, person_id: int, day: date) -> Insert:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(ActivityDay).values(person_id=person_id, day=day).on_conflict_do_nothing()
