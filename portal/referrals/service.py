"""Partners and their referrals: the only code that writes.

Services add and flush; the request that called them commits once. Events leave after that
commit, to the building's coordinators (`referrals:<building>`) and to the partner who sent
the referral (`user:<id>`), with no personal data: pages re-read what they show, with their
own access checks. A partner reaches only their own referrals; the coordinator's reading of
one is written to the audit log (never its text). An urgent referral also raises an alert
(portal.alerts: whoever is on call is told, by email and SMS, and it escalates) that names
the partner and their kind of organisation, never the concern or the text; answering the
referral "in progress" or "closed" closes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update

from portal import realtime
from portal.alerts import service as alerts
from portal.audit import labels as audit_labels
from portal.audit import service as audit
from portal.auth import links
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Building, Dwelling, Person, Role
from portal.referrals.models import (
    ConcernKind,
    PartnerKind,
    PartnerProfile,
    Referral,
    ReferralStatus,
    Urgency,
    partner_buildings,
)
from portal.urls import path_for

EVENT_CHANGED = "referrals.referral_changed"
HANDLER_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER})
MAX_TEXT = 500
MAX_NOTE = 300
MAX_NAME = 80
MAX_ORGANISATION = 120
# Like a pharmacy run's details: the free text goes 30 days after the referral is closed.
TEXT_RETENTION = timedelta(days=30)

for _action, _label in (
    ("partner.invited", _l("Partner invited")),
    ("partner.detached", _l("Partner removed from a building")),
    ("referral.read", _l("Referral read")),
    ("referral.consent_recorded", _l("Referral: resident's consent recorded")),
    ("referral.answered", _l("Referral answered")),
):
    audit_labels.ACTION_LABELS.setdefault(_action, _label)

NOT_FOUND = _l("This page does not exist, or you cannot see it.")


def staff_room(building_id: int) -> str:
    """The building's coordinators and managers hear its referrals change here."""
    return f"referrals:{building_id}"


# Access ---------------------------------------------------------------------------------


def is_partner(person: Person) -> bool:
    """Whether the person is a partner from outside the building."""
    return person.role == Role.PARTNER


def partner_building_ids(partner: Person) -> set[int]:
    """The buildings a partner is attached to (none for anyone else)."""
    if not is_partner(partner):
        return set()
    stmt = select(partner_buildings.c.building_id).where(
        partner_buildings.c.person_id == partner.id
    )
    return set(db.session.scalars(stmt))


def list_partner_buildings(partner: Person) -> list[Building]:
    """The buildings a partner may send referrals about, by name."""
    ids = partner_building_ids(partner)
    if not ids:
        return []
    return list(
        db.session.scalars(select(Building).where(Building.id.in_(ids)).order_by(Building.name))
    )


def may_handle(person: Person, building_id: int) -> bool:
    """The building's coordinators and the managers covering it read and answer referrals."""
    return person.role in HANDLER_ROLES and building_id in people.building_ids_for(person)


def check_partner(person: Person) -> None:
    """The partner's own pages: anyone else is told they do not exist."""
    if not is_partner(person) or not person.active:
        raise NotFound(str(NOT_FOUND))


def handled_buildings(staff: Person) -> list[Building]:
    """The buildings whose referrals this person handles."""
    if staff.role not in HANDLER_ROLES:
        return []
    return [b for b in people.list_buildings_for(staff) if may_handle(staff, b.id)]


def access_handled_building(staff: Person, wanted: int | None) -> Building:
    """The building asked for, else the staff member's own (or the first they handle); a
    building they do not handle, or none at all: not found."""
    buildings = handled_buildings(staff)
    for building in buildings:
        if building.id == wanted:
            return building
    if wanted is not None or not buildings:
        raise NotFound(str(NOT_FOUND))
    own = [b for b in buildings if b.id == staff.building_id]
    return (own or buildings)[0]


def access_own_referral(partner: Person, referral_id: int) -> Referral:
    """One of the partner's own referrals; anything else: not found."""
    check_partner(partner)
    referral = db.session.get(Referral, referral_id)
    if referral is None or referral.partner_id != partner.id:
        raise NotFound(_("This referral does not exist."))
    return referral


def access_referral(staff: Person, referral_id: int) -> Referral:
    """A referral of a building the staff member handles; anything else: not found."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not may_handle(staff, referral.building_id):
        raise NotFound(_("This referral does not exist."))
    return referral


def access_partner(staff: Person, partner_id: int, building_id: int) -> Person:
    """A partner attached to a building the staff member handles; else not found."""
    partner = db.session.get(Person, partner_id)
    if (
        partner is None
        or not is_partner(partner)
        or not may_handle(staff, building_id)
        or building_id not in partner_building_ids(partner)
    ):
        raise NotFound(_("This partner does not exist."))
    return partner


# Checks ---------------------------------------------------------------------------------


def _one_of(enum_cls: Any, value: Any, message: str, code: str) -> Any:
    """The member of `enum_cls` with this value, else a refusal with `message`."""
    try:
        return enum_cls(value)
    except ValueError:
        raise Invalid(message, code) from None


def check_concern(value: Any) -> ConcernKind:
    """One of the kinds of concern the form shows."""
    return _one_of(ConcernKind, value, _("Please choose what it is about."), "bad_concern")


def check_urgency(value: Any) -> Urgency:
    """One of the urgencies the form shows."""
    return _one_of(Urgency, value, _("Please choose how urgent it is."), "bad_urgency")


def check_status(value: Any) -> ReferralStatus:
    """One of the statuses the coordinator's form shows."""
    return _one_of(
        ReferralStatus, value, _("Please choose one of the statuses shown."), "bad_status"
    )


def check_kind(value: Any) -> PartnerKind:
    """One of the kinds of partner the invitation form shows."""
    return _one_of(PartnerKind, value, _("Please choose what kind of partner this is."), "bad_kind")


def check_short_text(value: str | None, limit: int, code: str) -> str:
    """Text on one line, spaces tidied, at most `limit` characters."""
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise Invalid(_("Write at most %(n)d characters.", n=limit), code)
    return text


def check_partner_building(partner: Person, building_id: Any) -> int:
    """One of the partner's buildings."""
    if not isinstance(building_id, int) or building_id not in partner_building_ids(partner):
        raise Invalid(_("Please choose one of your buildings."), "bad_building")
    return building_id


@dataclass(frozen=True)
class Subject:
    """Who a referral is about, as typed, and the resident it matched (or None)."""

    about_resident: bool
    dwelling_number: str
    resident_name: str
    resident_id: int | None


def check_subject(building_id: int, dwelling_number: str | None, name: str | None) -> Subject:
    """The flat typed (none: about the building) and the resident it names. The partner
    never browses residents: they type what they know, and learn only whether the flat
    exists."""
    number = check_short_text(dwelling_number, 20, "bad_flat")
    typed_name = check_short_text(name, MAX_NAME, "name_too_long")
    if not number:
        if typed_name:
            raise Invalid(_("Please type the flat's number too."), "flat_missing")
        return Subject(False, "", "", None)
    dwelling = db.session.scalar(
        select(Dwelling).where(
            Dwelling.building_id == building_id, func.lower(Dwelling.number) == number.lower()
        )
    )
    if dwelling is None:
        raise Invalid(_("This building has no flat with this number."), "bad_flat")
    return Subject(True, dwelling.number, typed_name, _match_resident(dwelling.id, typed_name))


def _match_resident(dwelling_id: int, typed_name: str) -> int | None:
    """The one active resident of the flat the name fits (or the flat's only resident when
    no name was typed); None when it is not clear: the coordinator finds out."""
    residents = db.session.execute(
        select(Person.id, Person.first_name, Person.last_name).where(
            Person.dwelling_id == dwelling_id,
            Person.role == Role.RESIDENT,
            Person.active.is_(True),
        )
    ).all()
    if not typed_name:
        return residents[0][0] if len(residents) == 1 else None
    words = set(typed_name.casefold().split())
    fits = [
        pid
        for pid, first, last in residents
        if last.casefold() in words or f"{first} {last}".casefold() == typed_name.casefold()
    ]
    return fits[0] if len(fits) == 1 else None


# Partners -------------------------------------------------------------------------------


def check_email(value: str | None) -> str:
    """A well-formed email address, in lower case (it is the partner's login)."""
    try:
        return validate_email((value or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(_("Please type a valid email address."), "bad_email") from None


def do_invite_partner(
    inviter: Person,
    *,
    email: str,
    first_name: str,
    last_name: str,
    kind: Any,
    organisation_name: str,
    building_ids: Iterable[int],
) -> tuple[Person, bool]:
    """Create a partner account attached to these buildings and mail its one-time link;
    a partner of the landlord already known by this address is attached to them instead
    (False: no new account)."""
    wanted = set(building_ids)
    if not wanted:
        raise Invalid(_("Choose at least one building."), "no_building")
    for building_id in wanted:
        if not may_handle(inviter, building_id):
            raise Forbidden(_("Only the building's coordinator or a manager can invite partners."))
    address = check_email(email)
    partner_kind = check_kind(kind)
    organisation = check_short_text(organisation_name, MAX_ORGANISATION, "organisation_too_long")
    if not organisation:
        raise Invalid(_("Please type the partner's organisation."), "organisation_missing")
    begin_write(db.session)
    existing = db.session.scalar(select(Person).where(func.lower(Person.email) == address))
    if existing is not None:
        if not is_partner(existing) or existing.organisation_id != inviter.organisation_id:
            raise Conflict(_("This email address already has an account."), "email_taken")
        _attach(existing, wanted - partner_building_ids(existing), inviter)
        return existing, False
    partner = people.do_create_person(
        organisation=inviter.organisation,
        role=Role.PARTNER,
        first_name=check_short_text(first_name, 100, "name_too_long"),
        last_name=check_short_text(last_name, 100, "name_too_long"),
        email=address,
        locale=inviter.locale,
    )
    db.session.add(
        PartnerProfile(
            person_id=partner.id,
            kind=partner_kind,
            organisation_name=organisation,
            invited_by_id=inviter.id,
        )
    )
    _attach(partner, wanted, inviter)
    links.do_send_partner_invitation(partner, inviter)
    return partner, True


def _attach(partner: Person, building_ids: set[int], inviter: Person) -> None:
    """Attach the partner to these buildings, each written to the audit log."""
    for building_id in sorted(building_ids):
        db.session.execute(
            insert(partner_buildings).values(person_id=partner.id, building_id=building_id)
        )
        audit.record(
            "partner.invited",
            actor=inviter,
            subject=partner,
            object_type="building",
            object_id=building_id,
            building_id=building_id,
        )
    db.session.flush()


def do_detach_partner(staff: Person, partner_id: int, building_id: int) -> None:
    """The partner no longer sends referrals about this building (their past ones stay)."""
    begin_write(db.session)
    partner = access_partner(staff, partner_id, building_id)
    db.session.execute(
        delete(partner_buildings).where(
            partner_buildings.c.person_id == partner.id,
            partner_buildings.c.building_id == building_id,
        )
    )
    audit.record(
        "partner.detached",
        actor=staff,
        subject=partner,
        object_type="building",
        object_id=building_id,
        building_id=building_id,
    )


@dataclass(frozen=True)
class PartnerEntry:
    """One partner as the coordinator's list shows them."""

    id: int
    full_name: str
    email: str
    kind: PartnerKind
    organisation_name: str
    active: bool
    has_password: bool


def list_partners(staff: Person, building_id: int) -> list[PartnerEntry]:
    """The partners attached to a building the staff member handles."""
    if not may_handle(staff, building_id):
        return []
    stmt = (
        select(Person, PartnerProfile)
        .join(PartnerProfile, PartnerProfile.person_id == Person.id)
        .join(partner_buildings, partner_buildings.c.person_id == Person.id)
        .where(partner_buildings.c.building_id == building_id, Person.role == Role.PARTNER)
        .order_by(Person.last_name, Person.first_name)
    )
    return [
        PartnerEntry(
            p.id,
            p.full_name,
            p.email or "",
            profile.kind,
            profile.organisation_name,
            p.active,
            p.password_hash is not None,
        )
        for p, profile in db.session.execute(stmt).all()
    ]


def get_profile(partner: Person) -> PartnerProfile | None:
    """The partner's kind and organisation (None for anyone else)."""
    return db.session.get(PartnerProfile, partner.id)


# Referrals ------------------------------------------------------------------------------


def do_send_referral(
    partner: Person,
    *,
    building_id: Any,
    dwelling_number: str | None,
    resident_name: str | None,
    concern: Any,
    urgency: Any,
    text: str | None,
    now: datetime | None = None,
) -> Referral:
    """Send a referral to the building's coordinators: it is on their "To call" list and
    the desk's queue at once, and they are notified."""
    check_partner(partner)
    building = check_partner_building(partner, building_id)
    kind = check_concern(concern)
    level = check_urgency(urgency)
    body = check_short_text(text, MAX_TEXT, "text_too_long")
    if not body:
        raise Invalid(_("Please say in a few words what you noticed."), "text_missing")
    subject = check_subject(building, dwelling_number, resident_name)
    begin_write(db.session)
    moment = now or utcnow()
    referral = Referral(
        building_id=building,
        partner_id=partner.id,
        about_resident=subject.about_resident,
        dwelling_number=subject.dwelling_number,
        resident_name=subject.resident_name,
        resident_id=subject.resident_id,
        concern=kind,
        urgency=level,
        text=body,
        sent_at=moment,
    )
    db.session.add(referral)
    db.session.flush()

    def message() -> str:
        return _("A partner sent a referral (%(concern)s).", concern=kind.label)

    url = path_for("referrals.staff_referral", referral_id=referral.id)
    for staff in people.list_staff(building, (Role.COORDINATOR,)):
        notify(staff, "referrals.received", message, url)
    _publish(referral)
    if level == Urgency.URGENT:
        # No resident on the alert: its messages would name them to whoever is on call.
        alerts.do_raise(
            alerts.AlertKind.URGENT_REFERRAL, building, alert_source(referral.id), now=moment
        )
    return referral


def alert_source(referral_id: int) -> str:
    """The source key of the alert an urgent referral raises."""
    return f"urgent_referral:{referral_id}"


def describe_alert(alert: alerts.Alert) -> alerts.Detail | None:
    """What an urgent referral's alert messages say: who sent it, from which kind of
    organisation, and the coordinator's page of it (never the concern or the text)."""
    _kind, _sep, ident = alert.source_key.partition(":")
    referral = db.session.get(Referral, int(ident)) if ident.isdigit() else None
    if referral is None:
        return None
    partner = db.session.get(Person, referral.partner_id) if referral.partner_id else None
    profile = get_profile(partner) if partner is not None else None
    if partner is None or profile is None:
        line = _("Sent by a partner.")
    else:
        line = _("Sent by %(name)s (%(kind)s).", name=partner.full_name, kind=profile.kind.label)
    return alerts.Detail(
        line,
        _("The referral, on the coordinator's page:"),
        path_for("referrals.staff_referral", referral_id=referral.id),
    )


alerts.register_detail(alerts.AlertKind.URGENT_REFERRAL, describe_alert)


def list_own_referrals(partner: Person) -> list[Referral]:
    """The partner's own referrals, newest first."""
    check_partner(partner)
    stmt = (
        select(Referral)
        .where(Referral.partner_id == partner.id)
        .order_by(Referral.sent_at.desc(), Referral.id.desc())
    )
    return list(db.session.scalars(stmt))


def building_names(ids: Iterable[int]) -> dict[int, str]:
    """Buildings' names by id, read in one statement (the partner's list names each)."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(Building.id, Building.name).where(Building.id.in_(wanted))
    return {building_id: name for building_id, name in db.session.execute(stmt).all()}


@dataclass(frozen=True)
class StaffLine:
    """One referral as the coordinator's lists show it: no text (reading it is audited)."""

    id: int
    concern: ConcernKind
    urgency: Urgency
    status: ReferralStatus
    about_resident: bool
    dwelling_number: str
    partner_name: str
    organisation_name: str
    sent_at: datetime


URGENCY_ORDER = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.LOW: 2}


def list_referrals(staff: Person, building_id: int, *, open_only: bool = True) -> list[StaffLine]:
    """The building's referrals (open ones by default), most urgent then oldest first."""
    if not may_handle(staff, building_id):
        return []
    stmt = (
        select(Referral, Person.first_name, Person.last_name, PartnerProfile.organisation_name)
        .outerjoin(Person, Person.id == Referral.partner_id)
        .outerjoin(PartnerProfile, PartnerProfile.person_id == Referral.partner_id)
        .where(Referral.building_id == building_id)
    )
    if open_only:
        stmt = stmt.where(Referral.status != ReferralStatus.CLOSED)
    else:
        stmt = stmt.order_by(Referral.sent_at.desc()).limit(200)
    lines = [
        StaffLine(
            r.id,
            r.concern,
            r.urgency,
            r.status,
            r.about_resident,
            r.dwelling_number,
            f"{first} {last}" if first else "",
            organisation or "",
            r.sent_at,
        )
        for r, first, last, organisation in db.session.execute(stmt).all()
    ]
    if open_only:
        lines.sort(key=lambda line: (URGENCY_ORDER[line.urgency], line.sent_at))
    return lines


def open_count(
    staff: Person, building_ids: Iterable[int] | None = None
) -> ColumnElement[int] | int:
    """The number of referrals received and not yet answered in the buildings the staff
    member handles (`building_ids`: theirs, when the caller has read them already), as SQL."""
    if staff.role not in HANDLER_ROLES:
        return 0
    buildings = sorted(people.building_ids_for(staff) if building_ids is None else building_ids)
    return (
        select(func.count(Referral.id))
        .where(Referral.building_id.in_(buildings), Referral.status == ReferralStatus.RECEIVED)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class ReferralView:
    """A referral as the coordinator's page shows it, with the names it needs."""

    referral: Referral
    partner: Person | None
    profile: PartnerProfile | None
    resident: Person | None
    names: dict[int, str]


def get_referral_for_staff(staff: Person, referral_id: int) -> ReferralView:
    """The whole referral for its building's coordinator; each reading is written to the
    audit log (who, when, which referral; never its text)."""
    referral = access_referral(staff, referral_id)
    partner = db.session.get(Person, referral.partner_id) if referral.partner_id else None
    resident = db.session.get(Person, referral.resident_id) if referral.resident_id else None
    audit.record(
        "referral.read",
        actor=staff,
        subject=resident,
        object_type="referral",
        object_id=referral.id,
        building_id=referral.building_id,
    )
    ids = (referral.answered_by_id, referral.consent_recorded_by_id)
    names = {
        pid: person.full_name
        for pid in ids
        if pid is not None and (person := db.session.get(Person, pid)) is not None
    }
    profile = get_profile(partner) if partner is not None else None
    return ReferralView(referral, partner, profile, resident, names)


def do_record_consent(staff: Person, referral_id: int, now: datetime | None = None) -> Referral:
    """The coordinator records that the resident agreed their partner may hear back."""
    begin_write(db.session)
    referral = access_referral(staff, referral_id)
    if not referral.about_resident:
        raise Conflict(
            _("This referral is about the building: no consent is needed."), "no_consent"
        )
    if referral.consent_recorded_at is not None:
        return referral
    referral.consent_recorded_at = now or utcnow()
    referral.consent_recorded_by_id = staff.id
    audit.record(
        "referral.consent_recorded",
        actor=staff,
        subject=db.session.get(Person, referral.resident_id) if referral.resident_id else None,
        object_type="referral",
        object_id=referral.id,
        building_id=referral.building_id,
    )
    _publish(referral)
    return referral


def do_answer(
    staff: Person,
    referral_id: int,
    status: Any,
    note: str | None,
    now: datetime | None = None,
) -> Referral:
    """Answer the partner: a status and a short note (about a resident, the note needs the
    resident's consent first). The partner is notified and their list changes live."""
    chosen = check_status(status)
    text = check_short_text(note, MAX_NOTE, "note_too_long")
    begin_write(db.session)
    referral = access_referral(staff, referral_id)
    if text and not referral.may_share:
        raise Invalid(
            _("Record the resident's consent before writing back to the partner."),
            "consent_needed",
        )
    moment = now or utcnow()
    referral.status = chosen
    if text:
        referral.answer_note = text
    referral.answered_at = moment
    referral.answered_by_id = staff.id
    referral.closed_at = moment if chosen == ReferralStatus.CLOSED else None
    if referral.urgency == Urgency.URGENT and chosen != ReferralStatus.RECEIVED:
        # The coordinator is on it: an urgent referral's alert stops escalating and closes.
        alerts.close_source(alert_source(referral.id), by=staff, now=moment)
    audit.record(
        "referral.answered",
        actor=staff,
        object_type="referral",
        object_id=referral.id,
        building_id=referral.building_id,
        detail={"status": chosen.value},
    )
    partner = db.session.get(Person, referral.partner_id) if referral.partner_id else None
    if partner is not None and partner.active:

        def message() -> str:
            return _("Your referral is now: %(status)s.", status=chosen.label)

        notify(partner, "referrals.answered", message, path_for("referrals.mine"))
    _publish(referral)
    return referral


# Events ---------------------------------------------------------------------------------


def _publish(referral: Referral) -> None:
    """Tell the building's coordinators and the partner that this referral changed."""
    payload = {
        "building_id": referral.building_id,
        "referral_id": referral.id,
        "status": referral.status.value,
    }
    realtime.publish(EVENT_CHANGED, payload, staff_room(referral.building_id))
    if referral.partner_id is not None:
        realtime.publish(EVENT_CHANGED, payload, realtime.user_room(referral.partner_id))


def rooms_for(person: Person) -> list[str]:
    """The referral rooms a connecting person joins (from the database, never the client)."""
    if person.role not in HANDLER_ROLES:
        return []
    return [staff_room(b) for b in sorted(people.building_ids_for(person))]


# Retention ------------------------------------------------------------------------------


def purge_texts(now: datetime, batch: int) -> int:
    """Erase one batch of closed referrals' free text (concern, name typed, flat, note) and
    the resident they named, 30 days after closing; the row stays for the figures."""
    begin_write(db.session)
    limit = now - TEXT_RETENTION
    chosen = (
        select(Referral.id)
        .where(
            Referral.status == ReferralStatus.CLOSED,
            Referral.closed_at < limit,
            or_(
                Referral.text != "",
                Referral.answer_note != "",
                Referral.resident_name != "",
                Referral.dwelling_number != "",
                Referral.resident_id.is_not(None),
            ),
        )
        .limit(batch)
    )
    stmt = (
        update(Referral)
        .where(Referral.id.in_(chosen))
        .values(text="", answer_note="", resident_name="", dwelling_number="", resident_id=None)
    )
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)
