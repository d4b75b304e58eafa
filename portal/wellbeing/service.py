"""Daily check-ins, missed check-in alerts and help calls: the only code that writes.

Services add and flush; the request, job or command that called them commits once, so an
operation of several steps (a call and its alerts, an enrolment and its audit entry) is all
or nothing. Events leave after that commit, to the building's staff room (no personal data
in the payload: pages re-read what they show, with their own access checks) and to the
resident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Exists, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from portal import realtime
from portal.alerts import service as alerts
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import STAFF_ROLES, Building, Dwelling, Person, Role
from portal.retention import cutoff
from portal.urls import path_for
from portal.wellbeing.models import (
    AlertStatus,
    CallStatus,
    Checkin,
    CheckinEnrolment,
    CheckinPause,
    HelpCall,
    MissedCheckin,
    WellbeingSettings,
)

EVENT_CHANGED = "wellbeing.calls_changed"  # to the staff: the "To call" list changed
EVENT_HELP_CALL = "wellbeing.help_call_changed"  # to the resident: their call changed
DEFAULT_TIME = time(11, 0)
EARLIEST, LATEST = time(6, 0), time(21, 0)
MAX_NOTE = 300


def staff_room(building_id: int) -> str:
    """The building's staff (coordinator, concierge, manager) hear the list change here."""
    return f"wellbeing:{building_id}"


def local_day(person: Person, now: datetime) -> date:
    """The resident's today, in their own time zone."""
    return now.astimezone(zone_of(person)).date()


# Access ---------------------------------------------------------------------------------


def is_building_staff(person: Person, building_id: int) -> bool:
    """Staff (coordinator, concierge, manager) who cover this building."""
    return person.role in STAFF_ROLES and building_id in people.building_ids_for(person)


def may_manage(person: Person, building_id: int) -> bool:
    """The building's coordinator enrols residents and chooses who is alerted."""
    return person.role == Role.COORDINATOR and is_building_staff(person, building_id)


def may_see_missed(person: Person, building_id: int) -> bool:
    """Coordinators and managers always; the concierge when the building chose so."""
    if not is_building_staff(person, building_id):
        return False
    if person.role == Role.CONCIERGE:
        return get_settings(building_id).alert_concierge
    return True


def may_see_help_calls(person: Person, building_id: int) -> bool:
    """Every member of the building's staff sees its calls for help."""
    return is_building_staff(person, building_id)


def check_manager(person: Person, building_id: int) -> None:
    """Only the building's coordinator enrols residents and changes its setting."""
    if not may_manage(person, building_id):
        raise Forbidden(_("Only the building's coordinator can do this."))


def check_resident(person: Person) -> None:
    """The resident's own pages (check-in, "I need help"): anyone else is told they do
    not exist."""
    if person.role != Role.RESIDENT or person.building_id is None:
        raise NotFound(_("This page does not exist, or you cannot see it."))


def access_staff_building(staff: Person, wanted: int | None) -> Building:
    """The building whose "To call" list the staff member asked for, else their own (or
    the first they cover); a building they do not cover, or none at all: not found."""
    buildings = staff_buildings(staff) if staff.role in STAFF_ROLES else []
    for building in buildings:
        if building.id == wanted:
            return building
    if wanted is not None or not buildings:
        raise NotFound(_("This page does not exist, or you cannot see it."))
    own = [b for b in buildings if b.id == staff.building_id]
    return (own or buildings)[0]


def access_managed_building(coordinator: Person, wanted: int | None) -> Building:
    """As access_staff_building, for the coordinator's pages (enrolments, the setting)."""
    building = access_staff_building(coordinator, wanted)
    if not may_manage(coordinator, building.id):
        raise NotFound(_("This page does not exist, or you cannot see it."))
    return building


def access_resident(staff: Person, person_id: int) -> Person:
    """A resident of a building the coordinator manages; anyone else: not_found."""
    resident = db.session.get(Person, person_id)
    if (
        resident is None
        or resident.role != Role.RESIDENT
        or not resident.active
        or resident.building_id is None
        or not may_manage(staff, resident.building_id)
    ):
        raise NotFound(_("This resident does not exist."))
    return resident


def access_self_or_resident(actor: Person, person_id: int) -> Person:
    """The resident whose check-in pause and emergency contacts `actor` may read and change:
    themself (a resident), or a resident of a building the coordinator manages; anyone
    else: not found."""
    if actor.id == person_id:
        check_resident(actor)
        return actor
    return access_resident(actor, person_id)


def access_missed(staff: Person, missed_id: int) -> MissedCheckin:
    """A missed check-in the staff member may see; anything else: not found."""
    missed = db.session.get(MissedCheckin, missed_id)
    if missed is None or not may_see_missed(staff, missed.building_id):
        raise NotFound(_("This call does not exist."))
    return missed


def access_help_call(staff: Person, call_id: int) -> HelpCall:
    """A call for help of a building the staff member covers; anything else: not found."""
    call = db.session.get(HelpCall, call_id)
    if call is None or not may_see_help_calls(staff, call.building_id):
        raise NotFound(_("This call does not exist."))
    return call


# Settings -------------------------------------------------------------------------------


def get_settings(building_id: int) -> WellbeingSettings:
    """The building's setting, or the default (concierge not alerted) when never saved."""
    found = db.session.get(WellbeingSettings, building_id)
    return found or WellbeingSettings(building_id=building_id, alert_concierge=False)


def do_set_alert_concierge(coordinator: Person, building_id: int, alert: bool) -> None:
    """The coordinator chooses whether the concierge hears of missed check-ins too."""
    check_manager(coordinator, building_id)
    found = db.session.get(WellbeingSettings, building_id)
    if found is None:
        found = WellbeingSettings(building_id=building_id)
        db.session.add(found)
    found.alert_concierge, found.updated_by_id = alert, coordinator.id
    audit.record(
        "wellbeing.setting_changed",
        actor=coordinator,
        building_id=building_id,
        detail={"alert_concierge": alert},
    )
    _publish_list(building_id)


# Enrolment ------------------------------------------------------------------------------


def check_time_of_day(value: Any) -> time:
    """A check-in time between 6:00 and 21:00, to the minute."""
    if not isinstance(value, time) or not EARLIEST <= value <= LATEST:
        raise Invalid(_("Choose a time between 6:00 and 21:00."), "bad_time")
    return value.replace(second=0, microsecond=0, tzinfo=None)


def get_enrolment(person: Person) -> CheckinEnrolment | None:
    """The person's active enrolment, if any."""
    stmt = select(CheckinEnrolment).where(
        CheckinEnrolment.person_id == person.id, CheckinEnrolment.active.is_(True)
    )
    return db.session.scalars(stmt).first()


def _save_enrolment(
    resident: Person, check_time: time, *, by: Person | None, consent_by: Person, now: datetime
) -> CheckinEnrolment:
    """Switch the resident's one enrolment row on, with who agreed and when."""
    assert resident.building_id is not None
    stmt = select(CheckinEnrolment).where(CheckinEnrolment.person_id == resident.id)
    enrolment = db.session.scalars(stmt).first()
    if enrolment is None:
        enrolment = CheckinEnrolment(
            person_id=resident.id, building_id=resident.building_id, check_time=check_time
        )
        db.session.add(enrolment)
    if not enrolment.active or enrolment.started_at is None:
        enrolment.started_at = now
    enrolment.building_id = resident.building_id
    enrolment.check_time = check_time
    enrolment.active = True
    enrolment.enrolled_by_id = by.id if by is not None else None
    enrolment.consent_recorded_by_id, enrolment.consent_recorded_at = consent_by.id, now
    enrolment.stopped_at = enrolment.stopped_by_id = None
    return enrolment


def do_opt_in(
    resident: Person, check_time: Any = DEFAULT_TIME, now: datetime | None = None
) -> CheckinEnrolment:
    """The resident chooses, for themself, to say each day that they are fine."""
    if resident.role != Role.RESIDENT or resident.building_id is None:
        raise Forbidden(_("Only residents can use the daily check-in."))
    chosen = check_time_of_day(check_time)
    moment = now or utcnow()
    enrolment = _save_enrolment(resident, chosen, by=None, consent_by=resident, now=moment)
    _publish_list(resident.building_id)
    return enrolment


def do_enrol(
    coordinator: Person,
    resident_id: int,
    check_time: Any = DEFAULT_TIME,
    *,
    consent: bool,
    now: datetime | None = None,
) -> CheckinEnrolment:
    """The coordinator enrols a resident who agreed; who recorded it and when are kept,
    with an audit entry (both or neither)."""
    resident = access_resident(coordinator, resident_id)
    if not consent:
        raise Invalid(_("Tick the box to confirm that the resident agreed."), "consent_needed")
    chosen = check_time_of_day(check_time)
    moment = now or utcnow()
    enrolment = _save_enrolment(
        resident, chosen, by=coordinator, consent_by=coordinator, now=moment
    )
    db.session.flush()  # the audit entry names the enrolment by its id
    audit.record(
        "wellbeing.enrolled",
        actor=coordinator,
        subject=resident,
        object_type="checkin_enrolment",
        object_id=enrolment.id,
    )
    _publish_list(enrolment.building_id)
    return enrolment


def do_stop(actor: Person, resident_id: int, now: datetime | None = None) -> None:
    """The resident, or their coordinator, stops the daily check-in."""
    resident = actor if actor.id == resident_id else access_resident(actor, resident_id)
    enrolment = get_enrolment(resident)
    if enrolment is None:
        raise Invalid(_("The daily check-in is already stopped."), "not_enrolled")
    enrolment.active = False
    enrolment.stopped_at = now or utcnow()
    enrolment.stopped_by_id = actor.id
    if actor.id != resident.id:
        audit.record(
            "wellbeing.unenrolled",
            actor=actor,
            subject=resident,
            object_type="checkin_enrolment",
            object_id=enrolment.id,
        )
    _publish_list(enrolment.building_id)


def list_enrolled(coordinator: Person, building_id: int) -> list[tuple[CheckinEnrolment, Person]]:
    """The building's enrolled residents, by name (the coordinator only)."""
    check_manager(coordinator, building_id)
    stmt = (
        select(CheckinEnrolment, Person)
        .join(Person, Person.id == CheckinEnrolment.person_id)
        .options(selectinload(Person.dwelling))
        .where(CheckinEnrolment.building_id == building_id, CheckinEnrolment.active.is_(True))
        .order_by(Person.first_name, Person.last_name)
    )
    return [(e, p) for e, p in db.session.execute(stmt).all()]


def list_not_enrolled(coordinator: Person, building_id: int) -> list[Person]:
    """Active residents of the building who could be enrolled."""
    check_manager(coordinator, building_id)
    building = people.get_building(building_id)
    if building is None:
        return []
    stmt = select(CheckinEnrolment.person_id).where(
        CheckinEnrolment.building_id == building_id, CheckinEnrolment.active.is_(True)
    )
    enrolled = set(db.session.scalars(stmt))
    return [p for p in people.list_residents(building) if p.active and p.id not in enrolled]


# Checking in ----------------------------------------------------------------------------


def checked_in_on(person_id: int, day: date) -> Exists:
    """SQL: the person said "I'm fine" on `day` (their local day)."""
    stmt = select(Checkin.id).where(Checkin.person_id == person_id, Checkin.local_day == day)
    return stmt.exists()


def has_checked_in(person: Person, now: datetime | None = None) -> bool:
    """Whether the person already said "I'm fine" on their local today."""
    day = local_day(person, now or utcnow())
    return bool(db.session.scalar(select(checked_in_on(person.id, day))))


def do_check_in(person: Person, now: datetime | None = None) -> bool:
    """Record "I'm fine today", once per local day (a second tap changes nothing). A missed
    check-in alert still open is closed as "checked in late". True if newly recorded."""
    if get_enrolment(person) is None:
        raise Invalid(_("The daily check-in is not switched on for you."), "not_enrolled")
    moment = now or utcnow()
    day = local_day(person, moment)
    begin_write(db.session)
    if has_checked_in(person, moment):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Checkin(person_id=person.id, local_day=day, checked_at=moment))
    except IntegrityError:  # the same tap arrived twice at once: the first one is kept
        return False
    _close_missed_late(person, moment)
    return True


def _close_missed_late(person: Person, now: datetime) -> None:
    """A late check-in takes the resident off the "To call" list."""
    stmt = select(MissedCheckin).where(
        MissedCheckin.person_id == person.id, MissedCheckin.status == AlertStatus.OPEN
    )
    for missed in db.session.scalars(stmt).all():
        missed.status = AlertStatus.CHECKED_IN
        alerts.close_source(f"missed_checkin:{missed.id}", now=now)
        missed.closed_at = now
        _publish_list(missed.building_id)


# Missed check-ins (the scheduled job) ---------------------------------------------------


def due_moment(person: Person, enrolment: CheckinEnrolment, now: datetime) -> datetime:
    """Today's check-in time of this person, as a UTC moment."""
    zone = zone_of(person)
    day = now.astimezone(zone).date()
    return datetime.combine(day, enrolment.check_time, tzinfo=zone).astimezone(UTC)


def raise_missed_checkins(now: datetime) -> int:
    """Alert the staff about everyone whose time has passed today without a check-in,
    once per day; returns how many alerts were raised."""
    stmt = (
        select(CheckinEnrolment, Person)
        .join(Person, Person.id == CheckinEnrolment.person_id)
        .where(CheckinEnrolment.active.is_(True), Person.active.is_(True))
    )
    rows = db.session.execute(stmt).all()
    recent = (now - timedelta(days=2)).date()
    done = _days_with(Checkin, recent) | _days_with(MissedCheckin, recent)
    pauses = _pauses_since(recent)
    count = 0
    for enrolment, person in rows:
        due = due_moment(person, enrolment, now)
        day = local_day(person, now)
        if now < due or enrolment.started_at > due or (person.id, day) in done:
            continue
        if any(pause.covers(day, due) for pause in pauses.get(person.id, ())):
            continue  # away (holiday, hospital): nobody is alerted until the pause ends
        _raise_one(enrolment, person, day, due, now)
        count += 1
    return count


def _days_with(model: type[Checkin] | type[MissedCheckin], since: date) -> set[tuple[int, date]]:
    """(person, local day) pairs that already have a row since `since`."""
    stmt = select(model.person_id, model.local_day).where(model.local_day >= since)
    return {(pid, day) for pid, day in db.session.execute(stmt).all()}


def _pauses_since(since: date) -> dict[int, list[CheckinPause]]:
    """Pauses of the check-in still running on or after `since`, by person."""
    stmt = select(CheckinPause).where(CheckinPause.until >= since)
    found: dict[int, list[CheckinPause]] = {}
    for pause in db.session.scalars(stmt):
        found.setdefault(pause.person_id, []).append(pause)
    return found


def _raise_one(
    enrolment: CheckinEnrolment, person: Person, day: date, due: datetime, now: datetime
) -> None:
    """One missed check-in: the alert row, a notification to each recipient, the list event."""
    missed = MissedCheckin(
        person_id=person.id,
        building_id=enrolment.building_id,
        local_day=day,
        due_at=due,
        created_at=now,
    )
    db.session.add(missed)
    db.session.flush()

    def text() -> str:
        return _(
            "%(name)s (%(flat)s) has not said they are fine today. Please call them.",
            name=person.full_name,
            flat=_flat(person),
        )

    url = path_for("wellbeing.staff_page", building=enrolment.building_id)
    for staff in _missed_recipients(enrolment.building_id):
        notify(staff, "wellbeing.missed", text, url)
    _publish_list(enrolment.building_id)
    alerts.do_raise(
        alerts.AlertKind.MISSED_CHECKIN,
        enrolment.building_id,
        f"missed_checkin:{missed.id}",
        person_id=person.id,
        now=now,
    )


def _missed_recipients(building_id: int) -> list[Person]:
    """The coordinators, and the concierge when the building chose so."""
    roles = [Role.COORDINATOR]
    if get_settings(building_id).alert_concierge:
        roles.append(Role.CONCIERGE)
    return people.list_staff(building_id, roles)


def _flat(person: Person) -> str:
    """The person's flat, as the staff's notification names it."""
    dwelling = person.dwelling
    return _("flat %(number)s", number=dwelling.number) if dwelling else _("no flat")


def do_record_reached(
    staff: Person, missed_id: int, note: str = "", now: datetime | None = None
) -> MissedCheckin:
    """Record "I reached them": the resident leaves the list; the short note stays."""
    text = " ".join((note or "").split())
    if len(text) > MAX_NOTE:
        raise Invalid(_("Write at most %(n)d characters.", n=MAX_NOTE), "note_too_long")
    begin_write(db.session)
    missed = access_missed(staff, missed_id)
    if missed.status != AlertStatus.OPEN:
        raise Conflict(_("This resident is no longer on the list."), "closed")
    missed.status = AlertStatus.REACHED
    missed.closed_at = now or utcnow()
    missed.reached_by_id = staff.id
    alerts.close_source(f"missed_checkin:{missed.id}", by=staff, now=missed.closed_at)
    missed.note = text
    audit.record(
        "wellbeing.reached",
        actor=staff,
        subject=db.session.get(Person, missed.person_id),
        object_type="missed_checkin",
        object_id=missed.id,
        building_id=missed.building_id,
    )
    _publish_list(missed.building_id)
    return missed


# Help calls -----------------------------------------------------------------------------


def get_active_call(person: Person) -> HelpCall | None:
    """The person's call for help still open or seen, if any."""
    stmt = select(HelpCall).where(HelpCall.person_id == person.id, HelpCall.active.is_(True))
    return db.session.scalars(stmt).first()


def do_send_help_call(resident: Person, now: datetime | None = None) -> tuple[HelpCall, bool]:
    """Send "I need help": tell the concierge and the coordinator at once (the call and its
    alerts together, or nothing). A second press while a call is open gives back that call
    (False: nothing new was sent)."""
    if resident.role != Role.RESIDENT or resident.building_id is None:
        raise Forbidden(_("Only residents can send a call for help."))
    begin_write(db.session)
    existing = get_active_call(resident)
    if existing is not None:
        return existing, False
    call = HelpCall(
        person_id=resident.id, building_id=resident.building_id, created_at=now or utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(call)
    except IntegrityError:  # pressed twice at once (PostgreSQL): keep the first
        found = get_active_call(resident)
        assert found is not None
        return found, False

    def text() -> str:
        return _(
            '%(name)s (%(flat)s) pressed "I need help".',
            name=resident.full_name,
            flat=_flat(resident),
        )

    url = path_for("wellbeing.staff_page", building=call.building_id)
    for staff in people.list_staff(call.building_id, (Role.CONCIERGE, Role.COORDINATOR)):
        notify(staff, "wellbeing.help_call", text, url)
    _publish_call(call)
    alerts.do_raise(
        alerts.AlertKind.HELP_CALL,
        call.building_id,
        f"help_call:{call.id}",
        person_id=resident.id,
        now=call.created_at,
    )
    return call, True


def do_acknowledge(staff: Person, call_id: int, now: datetime | None = None) -> HelpCall:
    """Answer "I've seen it, I'm coming": the resident's screen says so at once."""
    begin_write(db.session)
    call = access_help_call(staff, call_id)
    if call.status != CallStatus.OPEN:
        raise Conflict(_("Someone has already answered this call."), "already_seen")
    call.status = CallStatus.SEEN
    call.seen_at = now or utcnow()
    call.seen_by_id = staff.id
    alerts.acknowledge_source(f"help_call:{call.id}", by=staff, now=call.seen_at)
    resident = db.session.get(Person, call.person_id)
    if resident is not None:
        notify(
            resident,
            "wellbeing.help_seen",
            lambda: _("Someone has seen your call and is coming."),
            path_for("wellbeing.need_help"),
        )
    audit.record(
        "wellbeing.help_call_seen",
        actor=staff,
        subject=resident,
        object_type="help_call",
        object_id=call.id,
        building_id=call.building_id,
    )
    _publish_call(call)
    return call


def do_resolve(staff: Person, call_id: int, now: datetime | None = None) -> HelpCall:
    """The call is dealt with: it leaves the lists and the resident's screen."""
    begin_write(db.session)
    call = access_help_call(staff, call_id)
    if not call.active:
        raise Conflict(_("This call is already resolved."), "resolved")
    call.status = CallStatus.RESOLVED
    call.active = False
    call.resolved_at = now or utcnow()
    call.resolved_by_id = staff.id
    call.seen_at = call.seen_at or call.resolved_at
    call.seen_by_id = call.seen_by_id or staff.id
    alerts.close_source(f"help_call:{call.id}", by=staff, now=call.resolved_at)
    audit.record(
        "wellbeing.help_call_resolved",
        actor=staff,
        subject=db.session.get(Person, call.person_id),
        object_type="help_call",
        object_id=call.id,
        building_id=call.building_id,
    )
    _publish_call(call)
    return call


# Reading for staff ----------------------------------------------------------------------


@dataclass(frozen=True)
class ToCall:
    """One line of the "To call" list."""

    kind: str  # "help" (pressed "I need help") or "missed" (no check-in)
    id: int
    person: Person
    dwelling: Dwelling | None
    since: datetime
    status: str


def list_help_calls(staff: Person, building_id: int) -> list[ToCall]:
    """The building's open calls for help, oldest first (its staff only)."""
    if not may_see_help_calls(staff, building_id):
        return []
    stmt = (
        select(HelpCall, Person)
        .join(Person, Person.id == HelpCall.person_id)
        .options(joinedload(Person.dwelling))  # the list shows each flat
        .where(HelpCall.building_id == building_id, HelpCall.active.is_(True))
        .order_by(HelpCall.created_at)
    )
    return [
        ToCall("help", c.id, p, p.dwelling, c.created_at, c.status.value)
        for c, p in db.session.execute(stmt).all()
    ]


def list_missed(staff: Person, building_id: int) -> list[ToCall]:
    """The building's open missed check-ins, earliest due first (who may see them only)."""
    if not may_see_missed(staff, building_id):
        return []
    stmt = (
        select(MissedCheckin, Person)
        .join(Person, Person.id == MissedCheckin.person_id)
        .options(joinedload(Person.dwelling))  # the list shows each flat
        .where(MissedCheckin.building_id == building_id, MissedCheckin.status == AlertStatus.OPEN)
        .order_by(MissedCheckin.due_at)
    )
    return [
        ToCall("missed", m.id, p, p.dwelling, m.due_at, m.status.value)
        for m, p in db.session.execute(stmt).all()
    ]


def count_to_call(staff: Person) -> int:
    """Open help calls and missed check-ins of every building the staff member sees."""
    if staff.role not in STAFF_ROLES:
        return 0
    total = 0
    for building_id in people.building_ids_for(staff):
        total += _count(HelpCall, building_id, HelpCall.active.is_(True))
        if may_see_missed(staff, building_id):
            total += _count(MissedCheckin, building_id, MissedCheckin.status == AlertStatus.OPEN)
    return total


def _count(model: type[HelpCall] | type[MissedCheckin], building_id: int, *where: Any) -> int:
    """How many rows of `model` in the building match `where`."""
    stmt = select(func.count(model.id)).where(model.building_id == building_id, *where)
    return int(db.session.scalar(stmt) or 0)


def names_of(ids: Iterable[int | None]) -> dict[int, str]:
    """Full names by id, for the people still present (who recorded a consent)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = select(Person.id, Person.first_name, Person.last_name).where(Person.id.in_(wanted))
    return {pid: f"{first} {last}" for pid, first, last in db.session.execute(stmt).all()}


def staff_buildings(staff: Person) -> list[Building]:
    """The buildings whose "To call" list this person may open."""
    return [b for b in people.list_buildings_for(staff) if is_building_staff(staff, b.id)]


# Events ---------------------------------------------------------------------------------


def _publish_list(building_id: int) -> None:
    """Tell the building's staff pages that the "To call" list changed."""
    realtime.publish(EVENT_CHANGED, {"building_id": building_id}, staff_room(building_id))


def _publish_call(call: HelpCall) -> None:
    """Tell the staff and the resident that this call changed."""
    payload = {"building_id": call.building_id, "call_id": call.id, "status": call.status.value}
    realtime.publish(EVENT_CHANGED, payload, staff_room(call.building_id))
    realtime.publish(EVENT_HELP_CALL, payload, realtime.user_room(call.person_id))


def rooms_for(person: Person) -> Iterable[str]:
    """The staff rooms a connecting person joins (from the database, never from the client)."""
    if person.role not in STAFF_ROLES:
        return []
    return [staff_room(b) for b in sorted(people.building_ids_for(person))]


# Retention ------------------------------------------------------------------------------


def purge_checkins(now: datetime, batch: int) -> int:
    """Delete one batch of check-ins whose day is older than WELLBEING_RETENTION_DAYS."""
    first_kept = cutoff("WELLBEING_RETENTION_DAYS", now).date()
    return _delete_batch(Checkin, batch, Checkin.local_day < first_kept)


def purge_missed(now: datetime, batch: int) -> int:
    """Delete one batch of missed check-ins past the retention period, once closed: an open
    one is still on the "To call" list and stays until someone closes it."""
    first_kept = cutoff("WELLBEING_RETENTION_DAYS", now).date()
    return _delete_batch(
        MissedCheckin,
        batch,
        MissedCheckin.local_day < first_kept,
        MissedCheckin.status != AlertStatus.OPEN,
    )


def purge_help_calls(now: datetime, batch: int) -> int:
    """Delete one batch of help calls made before the retention period, once closed (an
    active call stays until the staff resolve it)."""
    limit = cutoff("WELLBEING_RETENTION_DAYS", now)
    return _delete_batch(HelpCall, batch, HelpCall.created_at < limit, HelpCall.active.is_(False))


def _delete_batch(
    model: type[Checkin] | type[MissedCheckin] | type[HelpCall], batch: int, *where: Any
) -> int:
    """Delete at most `batch` rows of `model` matching `where`, in one statement."""
    begin_write(db.session)
    chosen = select(model.id).where(*where).limit(batch)
    stmt = delete(model).where(model.id.in_(chosen))
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
