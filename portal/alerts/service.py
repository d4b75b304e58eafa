"""Alerts that reach a person, and each building's on-call rota: the only code that writes.

An alert is raised once per source (a help call, a missed check-in, an urgent request, an
overdue ticket). Telling happens in rounds: round 1 tells the first person on call (or an
overdue ticket's assignee); each ALERTS_ESCALATE_AFTER_MINUTES without an acknowledgement
the next round tells the next person on call, then the building's fallback, then the
resident's emergency contacts. A round is claimed in its own short transaction (one
UPDATE … WHERE level = seen: two jobs or two processes never claim the same round; and a
recipient is written once per channel, unique per alert), the messages leave after that
commit, and their outcome is written in a second transaction. So nobody is told twice;
a process that dies mid-round loses that round's outcomes, not the escalation.

Domains call do_raise() / close_source(); portal.alerts imports no domain. A domain whose
kind's messages say more than its label registers a describer (register_detail).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from babel.dates import format_time
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal import realtime
from portal.alerts import channels
from portal.alerts.contacts import EmergencyAddress, emergency_addresses
from portal.alerts.models import (
    Alert,
    AlertKind,
    AlertStep,
    Channel,
    Outcome,
    RotaEntry,
    RotaSettings,
    StepKind,
)
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import person_locale
from portal.people import service as people
from portal.people.models import STAFF_ROLES, Building, Person, Role
from portal.registry import Registry
from portal.retention import cutoff
from portal.transaction import after_commit, owns_transaction
from portal.urls import path_for, public_base_url

log = logging.getLogger(__name__)

EVENT_UPDATED = "alerts.alert_updated"
TOKEN_SALT = "portal.alerts.ack"
ROTA_EDITORS = frozenset({Role.COORDINATOR, Role.MANAGER})
# Kinds about a resident's safety: their emergency contacts are the last resort.
PERSONAL_KINDS = frozenset({AlertKind.HELP_CALL, AlertKind.MISSED_CHECKIN})
MAX_POSITION = 99
ALL_DAYS = 0b1111111


def staff_room(building_id: int) -> str:
    """The building's staff hear its alerts change here."""
    return f"alerts:{building_id}"


def _not_found() -> NotFound:
    return NotFound(_("This page does not exist, or you cannot see it."))


# Access ---------------------------------------------------------------------------------


def is_building_staff(person: Person, building_id: int) -> bool:
    """Staff (coordinator, concierge, manager) of the building's organisation covering it."""
    if person.role not in STAFF_ROLES or not person.active:
        return False
    building = db.session.get(Building, building_id)
    return (
        building is not None
        and building.organisation_id == person.organisation_id
        and building_id in people.building_ids_for(person)
    )


def may_edit_rota(person: Person, building_id: int) -> bool:
    """The building's coordinators and managers set who is on call."""
    return person.role in ROTA_EDITORS and is_building_staff(person, building_id)


def check_staff(person: Person) -> None:
    """Alert and rota pages are for staff: anyone else is refused (403)."""
    if person.role not in STAFF_ROLES:
        raise Forbidden(_("Only the building's staff can see this page."))


def list_staff_buildings(staff: Person) -> list[Building]:
    """The buildings whose alerts this member of staff sees: those they cover, of their own
    organisation (is_building_staff for each, in one query)."""
    if staff.role not in STAFF_ROLES or not staff.active:
        return []
    return [
        b for b in people.list_buildings_for(staff) if b.organisation_id == staff.organisation_id
    ]


def access_staff_building(staff: Person, wanted: int | None) -> Building:
    """The building asked for, else the staff member's own (or first); a building they do
    not cover: not found; a resident: forbidden."""
    check_staff(staff)
    buildings = list_staff_buildings(staff)
    for building in buildings:
        if building.id == wanted:
            return building
    if wanted is not None or not buildings:
        raise _not_found()
    own = [b for b in buildings if b.id == staff.building_id]
    return (own or buildings)[0]


def access_alert(staff: Person, alert_id: int) -> Alert:
    """An alert of a building the staff member covers; anything else: not found."""
    check_staff(staff)
    alert = db.session.get(Alert, alert_id)
    if alert is None or not is_building_staff(staff, alert.building_id):
        raise NotFound(_("This alert does not exist."))
    return alert


def check_rota_editor(person: Person, building_id: int) -> None:
    """Only the building's coordinator or manager changes its rota."""
    check_staff(person)
    if not is_building_staff(person, building_id):
        raise _not_found()
    if not may_edit_rota(person, building_id):
        raise Forbidden(_("Only the building's coordinator or manager can change the rota."))


def access_entry(editor: Person, entry_id: int) -> RotaEntry:
    """A rota entry of a building the editor may change; another building's: not found."""
    check_staff(editor)
    entry = db.session.get(RotaEntry, entry_id)
    if entry is None or not is_building_staff(editor, entry.building_id):
        raise NotFound(_("This rota line does not exist."))
    check_rota_editor(editor, entry.building_id)
    return entry


# The rota -------------------------------------------------------------------------------


def list_rota_people(building_id: int) -> list[Person]:
    """Who may be on call: active staff of the building's organisation covering it (those
    who work in it or cover it, and the organisation's managers, who cover every building)."""
    building = db.session.get(Building, building_id)
    if building is None:
        return []
    covering = [p.id for p in people.list_staff(building_id)]
    stmt = (
        select(Person)
        .where(
            Person.organisation_id == building.organisation_id,
            Person.role.in_(list(STAFF_ROLES)),
            Person.active.is_(True),
            or_(Person.role == Role.MANAGER, Person.id.in_(covering)),
        )
        .order_by(Person.first_name, Person.last_name, Person.id)
    )
    return list(db.session.scalars(stmt))


def check_rota_person(building_id: int, person_id: Any) -> Person:
    """A member of the building's staff, or a refusal naming the field."""
    chosen = next((p for p in list_rota_people(building_id) if p.id == person_id), None)
    if chosen is None:
        raise Invalid(_("Please choose a member of the building's staff."), "bad_person")
    return chosen


def check_days(days: Iterable[Any]) -> int:
    """Weekdays (0 = Monday … 6 = Sunday) as a bit set; at least one."""
    mask = 0
    for day in days:
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise Invalid(_("Please choose the days."), "bad_days")
        mask |= 1 << day
    if not mask:
        raise Invalid(_("Please choose at least one day."), "bad_days")
    return mask


def check_shift_time(value: Any) -> time:
    """A time of day, to the minute."""
    if not isinstance(value, time):
        raise Invalid(_("Please give a time such as 08:00."), "bad_time")
    return value.replace(second=0, microsecond=0, tzinfo=None)


def check_position(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_POSITION:
        raise Invalid(_("Give a number between 1 and %(n)d.", n=MAX_POSITION), "bad_position")
    return value


def days_of(mask: int) -> list[int]:
    """The weekdays of a bit set, Monday first."""
    return [day for day in range(7) if mask & (1 << day)]


def covers(entry: RotaEntry, local: datetime) -> bool:
    """Whether the shift covers this building-local moment. A shift whose end is at or
    before its start runs past midnight into the next day (the day it starts is the one
    ticked); start equal to end is the whole day."""
    day, clock = local.weekday(), local.time().replace(tzinfo=None)
    starts_today = bool(entry.days & (1 << day))
    started_yesterday = bool(entry.days & (1 << ((day - 1) % 7)))
    if entry.start_time == entry.end_time:
        return starts_today
    if entry.start_time < entry.end_time:
        return starts_today and entry.start_time <= clock < entry.end_time
    return (starts_today and clock >= entry.start_time) or (
        started_yesterday and clock < entry.end_time
    )


def list_entries(building_id: int) -> list[tuple[RotaEntry, Person]]:
    """The building's rota, in the order people are told."""
    stmt = (
        select(RotaEntry, Person)
        .join(Person, Person.id == RotaEntry.person_id)
        .where(RotaEntry.building_id == building_id)
        .order_by(RotaEntry.position, RotaEntry.id)
    )
    return [(entry, person) for entry, person in db.session.execute(stmt).all()]


def get_fallback(building_id: int) -> Person | None:
    """The building's fallback person, if one is set and still active."""
    found = db.session.get(RotaSettings, building_id)
    if found is None or found.fallback_person_id is None:
        return None
    person = db.session.get(Person, found.fallback_person_id)
    return person if person is not None and person.active else None


def list_on_call(
    building_id: int, now: datetime, entries: list[tuple[RotaEntry, Person]] | None = None
) -> list[Person]:
    """Who is on call now (building-local time), in order; each person once. `entries`:
    the building's rota if the caller has read it already."""
    building = db.session.get(Building, building_id)
    local = now.astimezone(zone_of(building))
    chosen: list[Person] = []
    for entry, person in list_entries(building_id) if entries is None else entries:
        if person.active and covers(entry, local) and person not in chosen:
            chosen.append(person)
    return chosen


def do_add_entry(
    editor: Person,
    building_id: int,
    person_id: Any,
    days: Iterable[Any],
    start: Any,
    end: Any,
    position: Any = 1,
) -> RotaEntry:
    """Put a member of staff on the rota for some days and hours."""
    check_rota_editor(editor, building_id)
    person = check_rota_person(building_id, person_id)
    entry = RotaEntry(
        building_id=building_id,
        person_id=person.id,
        days=check_days(days),
        start_time=check_shift_time(start),
        end_time=check_shift_time(end),
        position=check_position(position),
    )
    db.session.add(entry)
    db.session.flush()
    _audit_rota("added", editor, building_id, person, entry)
    return entry


def do_delete_entry(editor: Person, entry_id: int) -> None:
    """Take a line off the rota."""
    entry = access_entry(editor, entry_id)
    subject = db.session.get(Person, entry.person_id)
    _audit_rota("removed", editor, entry.building_id, subject, entry)
    db.session.delete(entry)
    db.session.flush()


def do_set_fallback(editor: Person, building_id: int, person_id: Any) -> RotaSettings:
    """Choose who is told when nobody on the rota answered (None: nobody)."""
    check_rota_editor(editor, building_id)
    person = check_rota_person(building_id, person_id) if person_id is not None else None
    found = db.session.get(RotaSettings, building_id)
    if found is None:
        found = RotaSettings(building_id=building_id)
        db.session.add(found)
    found.fallback_person_id = person.id if person else None
    found.updated_by_id = editor.id
    _audit_rota("fallback", editor, building_id, person)
    db.session.flush()
    return found


def _audit_rota(
    change: str,
    editor: Person,
    building_id: int,
    subject: Person | None,
    entry: RotaEntry | None = None,
) -> None:
    """Every change of a rota goes into the audit log: who changed what, about whom."""
    audit.record(
        "alerts.rota_changed",
        actor=editor,
        subject=subject,
        object_type="rota_entry" if entry else None,
        object_id=entry.id if entry else None,
        building_id=building_id,
        detail={"change": change},
    )


# Raising, acknowledging, closing --------------------------------------------------------


def get_by_source(source_key: str) -> Alert | None:
    return db.session.scalars(select(Alert).where(Alert.source_key == source_key)).first()


def do_raise(
    kind: AlertKind,
    building_id: int,
    source_key: str,
    *,
    person_id: int | None = None,
    target_person_id: int | None = None,
    now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Raise the alert of this source, once: a second call gives back the first (False).
    The first round of telling starts as soon as the caller's transaction commits."""
    moment = now or utcnow()
    begin_write(db.session)
    existing = get_by_source(source_key)
    if existing is not None:
        return existing, False
    alert = Alert(
        building_id=building_id,
        kind=AlertKind(kind),
        person_id=person_id,
        target_person_id=target_person_id,
        source_key=source_key,
        raised_at=moment,
        next_at=moment,
    )
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:  # raised twice at once (PostgreSQL): the first one stands
        found = get_by_source(source_key)
        assert found is not None
        return found, False
    db.session.add(AlertStep(alert_id=alert.id, at=moment, what=StepKind.RAISED))
    db.session.flush()
    _publish(alert)
    _dispatch_after_commit(alert.id)
    return alert, True


def _change(alert: Alert, unless: list[Any], values: dict[str, Any], step: AlertStep) -> bool:
    """Change the alert by one UPDATE that holds only while none of `unless` is set (of two
    people at once, one wins), write its timeline line and tell the staff pages; False:
    someone else did first, nothing written. Escalation stops either way (next_at unset)."""
    begin_write(db.session)
    stmt = (
        update(Alert)
        .where(Alert.id == alert.id, *(column.is_(None) for column in unless))
        .values(**values, next_at=None)
        .execution_options(synchronize_session=False)
    )
    changed = db.session.execute(stmt).rowcount == 1
    db.session.refresh(alert)
    if not changed:
        return False
    db.session.add(step)
    db.session.flush()
    _publish(alert)
    return True


def _acknowledge(alert: Alert, now: datetime, by: Person | None, name: str) -> bool:
    """Mark the alert acknowledged, unless someone already did (False); escalation stops."""
    by_id = by.id if by else None
    return _change(
        alert,
        [Alert.acknowledged_at, Alert.closed_at],
        {"acknowledged_at": now, "acknowledged_by_id": by_id, "acknowledged_by_name": name[:120]},
        AlertStep(
            alert_id=alert.id, at=now, what=StepKind.ACKNOWLEDGED, person_id=by_id, name=name[:120]
        ),
    )


def do_acknowledge(staff: Person, alert_id: int, now: datetime | None = None) -> Alert:
    """A member of staff says "I'm on it" on the alert's page."""
    alert = access_alert(staff, alert_id)
    if not alert.is_open:
        raise Conflict(_("This alert is closed."), "closed")
    if not _acknowledge(alert, now or utcnow(), staff, ""):
        raise Conflict(_("Someone is already on it."), "already_acknowledged")
    return alert


def do_close(staff: Person, alert_id: int, now: datetime | None = None) -> Alert:
    """The alert is dealt with: it leaves the open list; escalation stops."""
    alert = access_alert(staff, alert_id)
    if not _close(alert, now or utcnow(), staff):
        raise Conflict(_("This alert is closed."), "closed")
    return alert


def acknowledge_source(source_key: str, by: Person, now: datetime | None = None) -> bool:
    """Someone answered the source itself ("I've seen it, I'm coming" on a help call):
    its alert is acknowledged too and escalation stops. The caller checked who may."""
    alert = get_by_source(source_key)
    return alert is not None and alert.is_open and _acknowledge(alert, now or utcnow(), by, "")


def close_source(source_key: str, by: Person | None = None, now: datetime | None = None) -> bool:
    """Close the alert a source raised, if any (its own flow closed it: a resolved call)."""
    alert = get_by_source(source_key)
    return alert is not None and _close(alert, now or utcnow(), by)


def _close(alert: Alert, now: datetime, by: Person | None) -> bool:
    """Close the alert, unless it is closed already (False); escalation stops."""
    by_id = by.id if by else None
    return _change(
        alert,
        [Alert.closed_at],
        {"closed_at": now, "closed_by_id": by_id},
        AlertStep(alert_id=alert.id, at=now, what=StepKind.CLOSED, person_id=by_id),
    )


# The acknowledgement link ---------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_token(step_id: int) -> str:
    """A signed link token naming the told step (so the alert and who was told)."""
    return _serializer().dumps({"s": step_id})


def access_token(token: str) -> tuple[Alert, AlertStep]:
    """The alert and told step of a link token; forged, expired or unknown: not found."""
    max_age = int(current_app.config["ALERTS_LINK_HOURS"]) * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        raise NotFound(_("This link does not work any more.")) from None
    step_id = data.get("s") if isinstance(data, dict) else None
    if not isinstance(step_id, int) or isinstance(step_id, bool) or not 0 < step_id < 2**31:
        raise NotFound(_("This link does not work any more."))
    step = db.session.get(AlertStep, step_id)
    if step is None or step.what not in (StepKind.TOLD, StepKind.CONTACT_TOLD):
        raise NotFound(_("This link does not work any more."))
    alert = db.session.get(Alert, step.alert_id)
    if alert is None:
        raise NotFound(_("This link does not work any more."))
    return alert, step


def do_acknowledge_link(token: str, now: datetime | None = None) -> tuple[Alert, bool]:
    """The person a message went to taps "I'm on it" (no login: the link is the key, for
    this alert only). False: someone else already was, or the alert is closed."""
    alert, step = access_token(token)
    if not alert.is_open:
        return alert, False
    by = db.session.get(Person, step.person_id) if step.person_id else None
    return alert, _acknowledge(alert, now or utcnow(), by, "" if by else step.name)


# Telling: rounds ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Someone to tell: a member of staff, or a resident's emergency contact."""

    key: str
    name: str
    email: str | None
    phone: str | None  # E.164
    locale: str
    person_id: int | None = None

    @property
    def is_contact(self) -> bool:
        return self.person_id is None


@dataclass(frozen=True)
class Message:
    """One message of a claimed round, ready to leave once the claim is committed."""

    step_id: int
    channel: Channel
    address: str
    subject: str
    text: str


def _staff_recipient(person: Person) -> Recipient:
    return Recipient(
        key=f"person:{person.id}",
        name=person.full_name,
        email=person.email or None,
        phone=channels.to_e164(person.phone),
        locale=person_locale(person),
        person_id=person.id,
    )


def _contact_recipient(contact: EmergencyAddress) -> Recipient:
    address = contact.email or contact.phone or contact.name
    return Recipient(
        key=f"contact:{address}"[:160],
        name=contact.name,
        email=contact.email or None,
        phone=channels.to_e164(contact.phone),
        locale=contact.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
    )


@dataclass(frozen=True)
class Detail:
    """What a kind's messages add to its label, from the domain that raised it: one line
    (never the source's personal content) and, if any, a page of the portal about it."""

    line: str
    link_label: str = ""
    path: str | None = None


Describer = Callable[[Alert], Detail | None]
DESCRIBERS: Registry[Describer] = Registry()


def register_detail(kind: AlertKind, describe: Describer) -> Describer:
    """A domain says what its kind's messages add; called when a message is written, in the
    recipient's language."""
    return DESCRIBERS.register(AlertKind(kind).value, describe)


def _detail_of(alert: Alert) -> Detail | None:
    """The alert's detail from its kind's describer; one that fails costs the detail, never
    the message (a savepoint keeps the round's claim)."""
    describe = DESCRIBERS.get(alert.kind.value)
    if describe is None:
        return None
    try:
        with db.session.begin_nested():
            return describe(alert)
    except Exception:
        log.exception("alert %s: its detail could not be written", alert.id)
        return None


def _ladder(alert: Alert, now: datetime) -> list[list[Recipient]]:
    """Who is told, round after round, as things stand now."""
    if alert.kind == AlertKind.TICKET_OVERDUE and alert.target_person_id is not None:
        target = db.session.get(Person, alert.target_person_id)
        if target is not None and target.active:
            return [[_staff_recipient(target)]]
    staff = list_on_call(alert.building_id, now)
    fallback = get_fallback(alert.building_id)
    if fallback is not None and fallback not in staff:
        staff.append(fallback)
    groups = [[_staff_recipient(p)] for p in staff]
    if alert.kind in PERSONAL_KINDS and alert.person_id is not None:
        contacts = [_contact_recipient(c) for c in emergency_addresses(alert.person_id)]
        if contacts:
            groups.append(contacts)
    return groups


def _told_keys(alert_id: int) -> set[str]:
    stmt = select(AlertStep.recipient_key).where(
        AlertStep.alert_id == alert_id, AlertStep.recipient_key.is_not(None)
    )
    return {key for key in db.session.scalars(stmt) if key}


def _next_group(alert: Alert, now: datetime) -> tuple[list[Recipient], bool]:
    """The next people to tell (nobody twice), and whether anyone is left after them."""
    told = _told_keys(alert.id)
    remaining = [
        [r for r in group if r.key not in told]
        for group in _ladder(alert, now)
        if any(r.key not in told for r in group)
    ]
    if not remaining:
        return [], False
    return remaining[0], len(remaining) > 1


def urgent_request_after() -> timedelta:
    """How long an urgent help request may stay untaken before it raises an alert."""
    return timedelta(minutes=int(current_app.config["ALERTS_URGENT_REQUEST_MINUTES"]))


def existing_sources(keys: Iterable[str]) -> set[str]:
    """Which of these sources already raised their alert (a job skips them cheaply)."""
    wanted = list(set(keys))
    if not wanted:
        return set()
    stmt = select(Alert.source_key).where(Alert.source_key.in_(wanted))
    return set(db.session.scalars(stmt))


def escalate_after() -> timedelta:
    return timedelta(minutes=int(current_app.config["ALERTS_ESCALATE_AFTER_MINUTES"]))


def _claim_round(alert_id: int, now: datetime, base_url: str) -> list[Message]:
    """Claim the alert's next round if it is due (nobody else can), write who will be told,
    and return the messages to send once this is committed."""
    begin_write(db.session)
    alert = db.session.get(Alert, alert_id, populate_existing=True)
    if (
        alert is None
        or alert.next_at is None
        or alert.next_at > now
        or alert.acknowledged_at is not None
        or alert.closed_at is not None
    ):
        return []
    seen = alert.level
    claim = (
        update(Alert)
        .where(
            Alert.id == alert_id,
            Alert.level == seen,
            Alert.acknowledged_at.is_(None),
            Alert.closed_at.is_(None),
        )
        .values(level=seen + 1, next_at=None)
        .execution_options(synchronize_session=False)
    )
    if db.session.execute(claim).rowcount != 1:
        return []  # another job or process took this round
    db.session.refresh(alert)
    round_no = seen + 1
    group, more = _next_group(alert, now)
    if round_no > 1:
        db.session.add(
            AlertStep(alert_id=alert.id, at=now, what=StepKind.ESCALATED, round=round_no)
        )
    if not group:
        db.session.add(AlertStep(alert_id=alert.id, at=now, what=StepKind.NOBODY))
    messages: list[Message] = []
    for recipient in group:
        messages.extend(_write_told(alert, recipient, now, base_url))
    alert.next_at = now + escalate_after() if group and more else None
    db.session.flush()
    _publish(alert)
    return messages


def _write_told(alert: Alert, recipient: Recipient, now: datetime, base: str) -> list[Message]:
    """The told lines of one recipient (one per channel they can be reached on) and their
    messages; someone with no address at all gets one failed line."""
    what = StepKind.CONTACT_TOLD if recipient.is_contact else StepKind.TOLD
    addresses = [(Channel.EMAIL, recipient.email)]
    if channels.sms_enabled():
        addresses.append((Channel.SMS, recipient.phone))
    reachable = [(channel, address) for channel, address in addresses if address]
    if not reachable:
        db.session.add(
            AlertStep(
                alert_id=alert.id,
                at=now,
                what=what,
                recipient_key=recipient.key,
                person_id=recipient.person_id,
                name=recipient.name[:120] if recipient.is_contact else "",
                outcome=Outcome.FAILED,
            )
        )
        return []
    messages = []
    for channel, address in reachable:
        step = AlertStep(
            alert_id=alert.id,
            at=now,
            what=what,
            recipient_key=recipient.key,
            person_id=recipient.person_id,
            name=recipient.name[:120] if recipient.is_contact else "",
            channel=channel,
            outcome=Outcome.SENDING,
        )
        db.session.add(step)
        db.session.flush()
        link = base.rstrip("/") + path_for("alerts.acknowledge_link", token=make_token(step.id))
        subject, text = _render(alert, recipient, link, channel, base)
        assert address is not None
        messages.append(Message(step.id, channel, address, subject, text))
    return messages


def _render(
    alert: Alert, recipient: Recipient, link: str, channel: Channel, base: str
) -> tuple[str, str]:
    """The subject and text of one message, in the recipient's language (`base`: the
    portal's address, for the page a kind's detail names)."""
    building = db.session.get(Building, alert.building_id)
    resident = db.session.get(Person, alert.person_id) if alert.person_id else None
    with force_locale(recipient.locale):
        what = alert.kind.label
        if resident is not None:
            flat = resident.dwelling.number if resident.dwelling else ""
            about = (
                _("%(name)s, flat %(flat)s", name=resident.full_name, flat=flat)
                if flat
                else resident.full_name
            )
        else:
            about = ""
        place = building.name if building else ""
        subject = _("Bon Voisin alert: %(what)s", what=what)
        if recipient.is_contact:
            lead = _(
                "You are an emergency contact of %(name)s. The staff of %(place)s have "
                "not answered this alert yet.",
                name=resident.full_name if resident else "",
                place=place,
            )
        else:
            lead = _("You are on call for %(place)s.", place=place)
        when = _("Raised at %(time)s.", time=_local_time(alert.raised_at, recipient, building))
        act = _('Open this link and tap "I\'m on it":')
        detail = _detail_of(alert)
        told = detail.line if detail else ""
        page = base.rstrip("/") + detail.path if detail and detail.path else ""
        more = (detail.link_label, page) if detail and page else ()
        if channel == Channel.SMS:
            body = " ".join(p for p in (subject, about, told, when, act, link, *more) if p)
        else:
            line = _("%(what)s: %(about)s", what=what, about=about) if about else what
            body = "\n\n".join(p for p in (lead, line, told, when) if p)
            body += f"\n\n{act}\n{link}\n"
            if more:
                body += "\n" + "\n".join(p for p in more if p) + "\n"
    return str(subject), str(body)


def _local_time(moment: datetime, recipient: Recipient, building: Building | None) -> str:
    """The moment in the building's time zone, written the recipient's way."""
    return format_time(moment, "short", tzinfo=zone_of(building), locale=recipient.locale)


def _send(message: Message) -> channels.Delivery:
    if message.channel == Channel.EMAIL:
        return channels.send_email(message.address, message.subject, message.text)
    return channels.send_sms(message.address, message.text)


def _record_outcomes(results: list[tuple[int, bool]], alert_id: int) -> None:
    """Write what became of each message of a round (one statement per outcome)."""
    begin_write(db.session)
    for outcome, ok in ((Outcome.DELIVERED, True), (Outcome.FAILED, False)):
        ids = [step_id for step_id, sent in results if sent is ok]
        if ids:
            db.session.execute(
                update(AlertStep).where(AlertStep.id.in_(ids)).values(outcome=outcome)
            )
    alert = db.session.get(Alert, alert_id)
    db.session.flush()
    if alert is not None:
        _publish(alert)


def run_round(alert_id: int, now: datetime, base_url: str | None = None) -> bool:
    """Claim, send and record one due round of one alert, each write in its own
    transaction (call it holding no transaction of your own). False: nothing was due."""
    base = base_url or public_base_url()
    messages = owns_transaction(_claim_round)(alert_id, now, base)
    if not messages:
        return False
    results = [(m.step_id, _send(m).ok) for m in messages]
    owns_transaction(_record_outcomes)(results, alert_id)
    return True


def list_due(now: datetime) -> list[int]:
    """Alerts whose next round is due."""
    stmt = (
        select(Alert.id)
        .where(
            Alert.next_at.is_not(None),
            Alert.next_at <= now,
            Alert.acknowledged_at.is_(None),
            Alert.closed_at.is_(None),
        )
        .order_by(Alert.next_at, Alert.id)
    )
    return list(db.session.scalars(stmt))


def run_due(now: datetime | None = None) -> int:
    """Every due round (the job, each minute); returns how many rounds ran. One alert
    that fails to send does not hold back the others."""
    moment = now or utcnow()
    due = list_due(moment)
    db.session.commit()  # the reads end; each round owns its own transactions
    count = 0
    for alert_id in due:
        try:
            count += int(run_round(alert_id, moment))
        except Exception:
            db.session.rollback()
            log.exception("alert %s: a round failed; it runs again next minute", alert_id)
    return count


def _dispatch_after_commit(alert_id: int) -> None:
    """Tell the first person as soon as the alert is committed, on a thread of its own (the
    request that raised it does not wait for SMTP or the SMS gateway), or as
    ALERTS_SEND_AT_ONCE says. The minute job catches any round this misses."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    base = public_base_url()

    def dispatch() -> None:
        with app.app_context():
            try:
                run_round(alert_id, utcnow(), base)
            except Exception:
                log.exception("alert %s: first round failed; the job retries", alert_id)
            finally:
                db.session.remove()

    at_once = app.config.get("ALERTS_SEND_AT_ONCE")
    if at_once is True:
        after_commit(dispatch)
    elif at_once is None and not app.testing:
        after_commit(lambda: threading.Thread(target=dispatch, daemon=True).start())


# Reading --------------------------------------------------------------------------------


def list_alerts(staff: Person, building_id: int, limit: int = 50) -> list[Alert]:
    """The building's alerts: open ones first (oldest first), then the latest closed."""
    if not is_building_staff(staff, building_id):
        return []
    open_stmt = (
        select(Alert)
        .where(Alert.building_id == building_id, Alert.closed_at.is_(None))
        .order_by(Alert.raised_at, Alert.id)
    )
    closed_stmt = (
        select(Alert)
        .where(Alert.building_id == building_id, Alert.closed_at.is_not(None))
        .order_by(Alert.closed_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    return [*db.session.scalars(open_stmt), *db.session.scalars(closed_stmt)]


def list_steps(alert: Alert) -> list[AlertStep]:
    stmt = select(AlertStep).where(AlertStep.alert_id == alert.id)
    return list(db.session.scalars(stmt.order_by(AlertStep.at, AlertStep.id)))


def names_of(alerts: Iterable[Alert], steps: Iterable[AlertStep] = ()) -> dict[int, str]:
    """Full names of the staff on these alerts (who is on each) and on a timeline, by id, in
    one query (staff names are read from their account, never copied: an erased person's
    lines stay, without a name)."""
    wanted = {s.person_id for s in steps if s.person_id is not None}
    wanted |= {a.acknowledged_by_id for a in alerts if a.acknowledged_by_id is not None}
    if not wanted:
        return {}
    stmt = select(Person.id, Person.first_name, Person.last_name).where(Person.id.in_(wanted))
    return {pid: f"{first} {last}" for pid, first, last in db.session.execute(stmt).all()}


def people_by_id(alerts: Iterable[Alert]) -> dict[int, Person]:
    """The residents the alerts are about, by id, with their flat (one query)."""
    wanted = {a.person_id for a in alerts if a.person_id is not None}
    if not wanted:
        return {}
    stmt = select(Person).where(Person.id.in_(wanted)).options(joinedload(Person.dwelling))
    return {p.id: p for p in db.session.scalars(stmt)}


# Events ---------------------------------------------------------------------------------


def _publish(alert: Alert) -> None:
    """Tell the building's staff pages this alert changed (no personal data: pages re-read
    with their own access checks)."""
    state = "closed" if alert.closed_at else "acknowledged" if alert.acknowledged_at else "open"
    payload = {"building_id": alert.building_id, "alert_id": alert.id, "state": state}
    realtime.publish(EVENT_UPDATED, payload, staff_room(alert.building_id))


def rooms_for(person: Person) -> list[str]:
    """The alert rooms a connecting person joins (from the database, never the client)."""
    return [staff_room(b.id) for b in list_staff_buildings(person)]


# Retention ------------------------------------------------------------------------------


def purge_closed(now: datetime, batch: int) -> int:
    """Delete one batch of alerts closed before WELLBEING_RETENTION_DAYS (their timeline
    goes with them); an open alert stays until someone closes it."""
    limit = cutoff("WELLBEING_RETENTION_DAYS", now)
    begin_write(db.session)
    chosen = select(Alert.id).where(Alert.closed_at.is_not(None), Alert.closed_at < limit)
    ids = list(db.session.scalars(chosen.limit(batch)))
    if not ids:
        return 0
    db.session.execute(delete(AlertStep).where(AlertStep.alert_id.in_(ids)))
    result = db.session.execute(
        delete(Alert).where(Alert.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
