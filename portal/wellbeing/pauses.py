"""Pausing the daily check-in for an absence (holiday, hospital) until a day, inclusive.

While a pause runs, the missed check-in job raises nothing for the resident
(service.raise_missed_checkins reads the pauses); it ends by itself after its last day, or
earlier when the resident or their coordinator resumes. Only the reason's one word is
kept, never a health detail. Services add and flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, delete, or_, select

from portal import realtime
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Invalid
from portal.extensions import db
from portal.people.models import Person
from portal.retention import cutoff
from portal.validation import as_day
from portal.wellbeing import service
from portal.wellbeing.models import CheckinEnrolment, CheckinPause, PauseReason

MAX_PAUSE_DAYS = 365  # a longer absence is a reason to stop the check-in instead
DEFAULT_PAUSE_DAYS = 7


def today_of(person: Person, now: datetime | None = None) -> date:
    """The resident's today, in their own time zone."""
    return service.local_day(person, now or utcnow())


def check_until(person: Person, value: Any, now: datetime) -> date:
    """The pause's last day: from today to a year ahead."""
    day = as_day(value)
    today = today_of(person, now)
    if day is None or not today <= day <= today + timedelta(days=MAX_PAUSE_DAYS):
        raise Invalid(_("Choose a day between today and one year from now."), "bad_until")
    return day


def check_reason(value: Any) -> PauseReason | None:
    """Holiday, hospital, other, or nothing said."""
    if value in (None, ""):
        return None
    try:
        return PauseReason(value)
    except ValueError:
        raise Invalid(_("Choose a reason from the list."), "bad_reason") from None


def _running_on(today: date) -> tuple[ColumnElement[bool], ...]:
    """SQL: a pause that runs on `today` (not resumed, started, last day not past)."""
    return (
        CheckinPause.resumed_at.is_(None),
        CheckinPause.starts_on <= today,
        CheckinPause.until >= today,
    )


def get_pause(person: Person, now: datetime | None = None) -> CheckinPause | None:
    """The pause running for the person today, if any (the latest one set)."""
    stmt = (
        select(CheckinPause)
        .where(CheckinPause.person_id == person.id, *_running_on(today_of(person, now)))
        .order_by(CheckinPause.id.desc())
    )
    return db.session.scalars(stmt).first()


@dataclass(frozen=True)
class CheckinToday:
    """An enrolled resident's daily check-in as their home shows it today."""

    enrolment: CheckinEnrolment
    pause: CheckinPause | None  # as get_pause
    checked_in: bool  # as service.has_checked_in


def get_checkin_today(person: Person, now: datetime | None = None) -> CheckinToday | None:
    """The person's active enrolment, today's running pause and whether they checked in, in
    one statement (the resident's home reads it on every visit); None when not enrolled."""
    today = today_of(person, now)
    stmt = (
        select(CheckinEnrolment, CheckinPause, service.checked_in_on(person.id, today))
        .outerjoin(
            CheckinPause,
            and_(CheckinPause.person_id == CheckinEnrolment.person_id, *_running_on(today)),
        )
        .where(CheckinEnrolment.person_id == person.id, CheckinEnrolment.active.is_(True))
        .order_by(CheckinPause.id.desc())  # the latest pause first, as get_pause
        .limit(1)
    )
    row = db.session.execute(stmt).first()
    if row is None:
        return None
    enrolment, pause, checked_in = row
    return CheckinToday(enrolment, pause, bool(checked_in))


def list_paused(
    coordinator: Person, building_id: int, now: datetime | None = None
) -> dict[int, CheckinPause]:
    """The building's residents whose check-in is paused today, by person id."""
    service.check_manager(coordinator, building_id)
    moment = now or utcnow()
    stmt = (
        select(CheckinPause, Person)
        .join(Person, Person.id == CheckinPause.person_id)
        .where(
            Person.building_id == building_id,
            CheckinPause.resumed_at.is_(None),
            CheckinPause.until >= moment.date() - timedelta(days=1),
        )
        .order_by(CheckinPause.id)
    )
    found: dict[int, CheckinPause] = {}
    for pause, person in db.session.execute(stmt).all():
        if pause.starts_on <= today_of(person, moment) <= pause.until:
            found[person.id] = pause
    return found


def do_pause(
    actor: Person,
    person_id: int,
    until: Any,
    reason: Any = None,
    now: datetime | None = None,
) -> CheckinPause:
    """Pause the resident's daily check-in from today to `until` (inclusive); a pause that
    is already running is changed to the new day and reason."""
    resident = service.access_self_or_resident(actor, person_id)
    if service.get_enrolment(resident) is None:
        raise Invalid(_("The daily check-in is not switched on."), "not_enrolled")
    moment = now or utcnow()
    last_day = check_until(resident, until, moment)
    why = check_reason(reason)
    begin_write(db.session)
    pause = get_pause(resident, moment)
    if pause is None:
        pause = CheckinPause(person_id=resident.id, starts_on=today_of(resident, moment))
        db.session.add(pause)
    pause.until, pause.reason = last_day, why
    pause.created_at, pause.set_by_id = moment, actor.id
    db.session.flush()
    audit.record(
        "wellbeing.checkin_paused",
        actor=actor,
        subject=resident,
        object_type="checkin_pause",
        object_id=pause.id,
        detail={"until": last_day.isoformat()},
    )
    _publish(resident)
    return pause


def do_resume(actor: Person, person_id: int, now: datetime | None = None) -> bool:
    """End the running pause now; False when there was none (nothing changes)."""
    resident = service.access_self_or_resident(actor, person_id)
    moment = now or utcnow()
    begin_write(db.session)
    pause = get_pause(resident, moment)
    if pause is None:
        return False
    pause.resumed_at, pause.resumed_by_id = moment, actor.id
    audit.record(
        "wellbeing.checkin_resumed",
        actor=actor,
        subject=resident,
        object_type="checkin_pause",
        object_id=pause.id,
    )
    _publish(resident)
    return True


def _publish(resident: Person) -> None:
    """The building's staff pages read their lists again."""
    if resident.building_id is not None:
        realtime.publish(
            service.EVENT_CHANGED,
            {"building_id": resident.building_id},
            service.staff_room(resident.building_id),
        )


# Retention ------------------------------------------------------------------------------


def purge_pauses(now: datetime, batch: int) -> int:
    """Delete one batch of pauses that ended (last day past, or resumed) before the
    WELLBEING_RETENTION_DAYS period."""
    limit = cutoff("WELLBEING_RETENTION_DAYS", now)
    begin_write(db.session)
    chosen = (
        select(CheckinPause.id)
        .where(or_(CheckinPause.until < limit.date(), CheckinPause.resumed_at < limit))
        .limit(batch)
    )
    stmt = delete(CheckinPause).where(CheckinPause.id.in_(chosen))
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
