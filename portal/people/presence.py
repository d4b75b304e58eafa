"""Recording that a resident was active today, at most one row per person and day; the
rows past their retention period go (the figures look back two years at most)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Insert, delete, exists, insert, select, tuple_

from portal.db import begin_write
from portal.extensions import db
from portal.i18n import zone_of
from portal.people.models import ActivityDay, Person
from portal.retention import cutoff

# An open page says it is there every 60 s (the heartbeat) and counts as online for 90 s
# after (messaging.service.ONLINE_WINDOW): a presence younger than 90 - 60 s is written
# again by the next heartbeat in time, so a touch within it need not write; 10 s of that
# are left for a late heartbeat (a timer's jitter, a busy worker's admission and pool
# waits). Every socket of a worker reconnecting at once (a restart, a Wi-Fi blip) then
# costs no write at all.
FRESH = timedelta(seconds=20)


def is_fresh(person: Person, now: datetime) -> bool:
    """Whether the person's presence was written under FRESH ago, on the same day of their
    zone (today's activity row is then there already)."""
    seen = person.last_seen_at
    if seen is None or not timedelta(0) <= now - seen < FRESH:
        return False
    zone = zone_of(person)
    return seen.astimezone(zone).date() == now.astimezone(zone).date()


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


def purge_expired(now: datetime, batch: int) -> int:
    """Delete one batch of activity days older than PEOPLE_ACTIVITY_RETENTION_DAYS, everyone's
    at once; returns how many went."""
    first_kept = cutoff("PEOPLE_ACTIVITY_RETENTION_DAYS", now).date()
    begin_write(db.session)
    key = tuple_(ActivityDay.person_id, ActivityDay.day)
    oldest = (
        select(ActivityDay.person_id, ActivityDay.day)
        .where(ActivityDay.day < first_kept)
        .limit(batch)
    )
    stmt = delete(ActivityDay).where(key.in_(oldest))
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
