"""Neighbours helping each other: requests, offers, the one-tap "I'll do it", thanks, and
a pharmacy run whose details only three people may read, each reading audited.

Services add, flush and publish; the request, socket event or job that calls them commits
once, so each operation below is all or nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, update

from concierge.exchange.models import (
    HealthAccessLog,
    HelperProfile,
    HelpKind,
    HelpOffer,
    HelpRequest,
    HelpStatus,
    Urgency,
)
from messaging import service as messaging
from portal import realtime
from portal.alerts import service as alerts
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.i18n import zone_of
from portal.notifications.service import notify, person_datetime, person_locale
from portal.people import service as people
from portal.people.models import Person, Role
from portal.urls import path_for
from portal.validation import as_id

EVENT_CHANGED = "concierge.help_changed"
ESCALATE_AFTER = timedelta(hours=2)
HEALTH_RETENTION = timedelta(days=30)
MAX_WINDOW = timedelta(days=14)
MAX_AHEAD = timedelta(days=90)
MAX_DETAILS = 1000
MAX_PHARMACY = 120
MAX_THANKS = 500
MINUTES_CHOICES = (15, 30, 60, 90, 120, 180, 240)
STAFF_POSTERS = frozenset({Role.CONCIERGE, Role.COORDINATOR})
ACTIVE = (HelpStatus.OPEN, HelpStatus.TAKEN)


# Access ---------------------------------------------------------------------------------


def access_request(person: Person, request_id: int, *, lock: bool = False) -> HelpRequest:
    """Load a request of one of the person's buildings, or raise not_found."""
    stmt = select(HelpRequest).where(HelpRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds its write lock already
    found = db.session.scalars(stmt).first()
    if found is None or found.building_id not in people.building_ids_for(person):
        raise NotFound(_("This request does not exist."))
    return found


def is_health(request: HelpRequest) -> bool:
    """A pharmacy run: its details are health data, read by three people only."""
    return request.kind == HelpKind.PHARMACY


def is_building_concierge(person: Person, building_id: int) -> bool:
    """The concierge of this building (who may read a pharmacy run's details)."""
    return person.role == Role.CONCIERGE and building_id in people.building_ids_for(person)


def is_desk_staff(person: Person, building_id: int) -> bool:
    """The concierge or coordinator of this building (who post, propose and follow up)."""
    return person.role in STAFF_POSTERS and building_id in people.building_ids_for(person)


def may_see_details(person: Person, request: HelpRequest) -> bool:
    """Anyone of the building reads a shopping list; a pharmacy run's details are for the
    requester, the helper who took it and the concierge only."""
    if request.building_id not in people.building_ids_for(person):
        return False
    if not is_health(request):
        return True
    return person.id in (request.requester_id, request.helper_id) or is_building_concierge(
        person, request.building_id
    )


def get_details(person: Person, request: HelpRequest, channel: str) -> str | None:
    """The request's details for someone entitled; a pharmacy run's reading is audited
    (the audit is written with the reading's own transaction)."""
    if not may_see_details(person, request):
        raise Forbidden(_("Only the people helping may read these details."))
    if is_health(request) and request.details is not None:
        db.session.add(
            HealthAccessLog(
                request_id=request.id,
                viewer_id=person.id,
                channel=channel[:20],
                viewed_at=utcnow(),
            )
        )
        requester = people.get_person(request.requester_id)
        audit.record(
            "health.details_read",
            actor=person,
            subject=requester,
            object_type="help_request",
            object_id=request.id,
        )
    return request.details


def list_health_accesses(request_id: int) -> list[HealthAccessLog]:
    """Who read a pharmacy run's details, oldest first (shown to the desk)."""
    stmt = (
        select(HealthAccessLog)
        .where(HealthAccessLog.request_id == request_id)
        .order_by(HealthAccessLog.id)
    )
    return list(db.session.scalars(stmt))


# Checks ---------------------------------------------------------------------------------


def check_kind(kind: Any) -> HelpKind:
    """One of the kinds of help the form shows."""
    try:
        return HelpKind(kind)
    except ValueError:
        raise Invalid(_("Please choose one of the kinds of help shown."), "bad_kind") from None


def check_urgency(urgency: Any) -> Urgency:
    """One of the three urgencies."""
    try:
        return Urgency(urgency)
    except ValueError:
        raise Invalid(_("Please choose how urgent it is."), "bad_urgency") from None


def check_window(start: datetime, end: datetime, now: datetime) -> None:
    """A time window that is aware, in order, still to come, short and not too far ahead."""
    if start.tzinfo is None or end.tzinfo is None:
        raise Invalid(_("The times are not valid."), "bad_time")
    if end <= start:
        raise Invalid(_("The end must come after the start."), "end_before_start")
    if end <= now:
        raise Invalid(_("This time is already past."), "past")
    if end - start > MAX_WINDOW:
        raise Invalid(_("Choose a time of at most two weeks."), "window_too_long")
    if start - now > MAX_AHEAD:
        raise Invalid(_("Ask at most three months ahead."), "too_far")


def check_details(kind: HelpKind, details: str, health_consent: bool) -> str | None:
    """Free text for most kinds; for a pharmacy run, the pharmacy's name and a consent."""
    details = (details or "").strip()
    if kind != HelpKind.PHARMACY:
        if len(details) > MAX_DETAILS:
            raise Invalid(_("Write at most %(n)d characters.", n=MAX_DETAILS), "details_too_long")
        return details or None
    if not details or len(details) > MAX_PHARMACY:
        raise Invalid(
            _("Write the pharmacy's name only (at most %(n)d characters).", n=MAX_PHARMACY),
            "bad_pharmacy",
        )
    if not health_consent:
        raise Invalid(
            _("Tick the box to agree that your helper and the concierge desk see the pharmacy."),
            "consent_needed",
        )
    return details


def check_requester(author: Person, requester_id: int | None) -> Person:
    """Residents ask for themselves; the desk may ask for a resident without a tablet."""
    if requester_id is None or requester_id == author.id:
        if author.role != Role.RESIDENT or author.building_id is None:
            raise Invalid(_("Choose the resident who needs help."), "bad_requester")
        return author
    requester = db.session.get(Person, requester_id)
    if (
        author.role not in STAFF_POSTERS
        or requester is None
        or requester.role != Role.RESIDENT
        or not requester.active
        or requester.building_id not in people.building_ids_for(author)
    ):
        raise Invalid(_("Choose the resident who needs help."), "bad_requester")
    return requester


# Asking ---------------------------------------------------------------------------------


def do_create_request(
    author: Person,
    *,
    kind: Any,
    window_start: datetime,
    window_end: datetime,
    urgency: Any = Urgency.SOON,
    details: str = "",
    health_consent: bool = False,
    requester_id: int | None = None,
) -> HelpRequest:
    """Post a request on the board and tell the neighbours who offer that kind of help."""
    requester = check_requester(author, requester_id)
    help_kind, level = check_kind(kind), check_urgency(urgency)
    now = utcnow()
    check_window(window_start, window_end, now)
    text = check_details(help_kind, details, health_consent)
    assert requester.building_id is not None
    request = HelpRequest(
        building_id=requester.building_id,
        requester_id=requester.id,
        kind=help_kind,
        urgency=level,
        details=text,
        window_start=window_start,
        window_end=window_end,
        posted_by_id=author.id if author.id != requester.id else None,
        health_consent_at=now if help_kind == HelpKind.PHARMACY else None,
    )
    db.session.add(request)
    db.session.flush()
    _notify_offerers(request, requester)
    _publish(request)
    return request


def _notify_offerers(request: HelpRequest, requester: Person) -> None:
    """Tell each neighbour who offers this kind of help, in their language and time zone."""
    stmt = (
        select(Person)
        .join(HelpOffer, HelpOffer.person_id == Person.id)
        .where(
            HelpOffer.building_id == request.building_id,
            HelpOffer.kind == request.kind,
            HelpOffer.active.is_(True),
            Person.active.is_(True),
            Person.id != requester.id,
        )
    )
    url = path_for("concierge.help_request", request_id=request.id)
    for neighbour in db.session.scalars(stmt):

        def render(neighbour: Person = neighbour) -> str:
            return _(
                "%(name)s asks for help: %(kind)s, %(when)s",
                name=requester.first_name,
                kind=request.kind.label,
                when=person_datetime(neighbour, request.window_start),
            )

        _tell(neighbour, "help.asked", url, render)


def _tell(person: Person | None, kind: str, url: str, render: Callable[[], str]) -> None:
    """Notify an active person; the text is written in their own language."""
    if person is not None and person.active:
        notify(person, kind, render, url)


def _publish(request: HelpRequest) -> None:
    """Tell the board, the two people involved and the desk; never the details."""
    payload = _changed_payload(request)
    realtime.publish(EVENT_CHANGED, payload, realtime.building_room(request.building_id))
    realtime.publish(EVENT_CHANGED, payload, messaging.desk_room(request.building_id))
    for person_id in {request.requester_id, request.helper_id, request.proposed_to_id} - {None}:
        realtime.publish(EVENT_CHANGED, payload, realtime.user_room(person_id))


def _changed_payload(request: HelpRequest) -> dict[str, Any]:
    """What a help_changed event says: which request, its status and kind, nothing more."""
    return {"request_id": request.id, "status": request.status.value, "kind": request.kind.value}


def _person(person_id: int | None) -> Person | None:
    """The person an id names (a helper or requester may be gone)."""
    return db.session.get(Person, person_id) if person_id is not None else None


def _url(request: HelpRequest) -> str:
    """Where a notification about the request leads."""
    return path_for("concierge.help_request", request_id=request.id)


# Taking ---------------------------------------------------------------------------------


def check_may_help(helper: Person, request: HelpRequest) -> None:
    """Still open, not one's own, a neighbour of the building or its desk, and not blocked."""
    if request.status != HelpStatus.OPEN:
        raise Conflict(_("Another neighbour has already taken this request."), "taken")
    if helper.id == request.requester_id:
        raise Invalid(_("This is your own request."), "own_request")
    if helper.role == Role.RESIDENT:
        if helper.building_id != request.building_id:
            raise NotFound(_("This request does not exist."))
    elif not is_desk_staff(helper, request.building_id):
        raise Forbidden(_("Only neighbours and the desk can take a request."))
    if messaging.is_blocked_between(helper.id, request.requester_id):
        raise Forbidden(_("You cannot help this neighbour."), "blocked")


def do_take(helper: Person, request_id: int) -> HelpRequest:
    """One tap: "I'll do it". Exactly one of two neighbours tapping at once gets it; the
    take, the requester's notification, the private conversation and the helper's first
    message are one transaction."""
    begin_write(db.session)
    request = access_request(helper, request_id, lock=True)
    check_may_help(helper, request)
    request.status, request.helper_id, request.taken_at = HelpStatus.TAKEN, helper.id, utcnow()
    request.proposed_to_id = request.proposed_by_id = None
    # Before anything of the take is published: messaging creates a new conversation in a
    # SAVEPOINT, and the after-commit listeners (portal.realtime, portal.transaction) also
    # run when a SAVEPOINT is released, which would send the take's events before its commit.
    _open_conversation(helper, request)

    def render() -> str:
        return _(
            "%(name)s will help you: %(kind)s", name=helper.first_name, kind=request.kind.label
        )

    _tell(_person(request.requester_id), "help.taken", _url(request), render)
    _publish(request)
    return request


def _open_conversation(helper: Person, request: HelpRequest) -> None:
    """The two can talk privately at once; the helper's first message says what was taken.

    Written in the take's transaction, without messaging's ordered-send lock (its event
    leaves with the take's commit): a failure undoes the take with it. A refusal (the
    requester cannot be reached or written to, the helper sent too much) comes before
    anything is written and leaves the take without a conversation or without its message,
    as before: the take matters most.
    """
    try:
        conversation = messaging.get_or_create_direct(helper, request.requester_id)
    except DomainError:
        return
    request.conversation_id = conversation.id
    params = {"kind": request.kind.value, "when": request.window_start.isoformat()}
    with force_locale(person_locale(helper)):
        text = taken_text(params, helper)  # the helper's version, kept with the key
    with contextlib.suppress(DomainError):
        messaging.add_message(
            helper,
            conversation.id,
            client_id=_take_client_id(request),
            body=text,
            key=TAKEN_TEXT,
            params=params,
        )


TAKEN_TEXT = "exchange.taken"


def taken_text(params: Mapping[str, Any], reader: Person | None) -> str:
    """ "I'll do it: groceries, 5 Dec 10:00." in the current language, the time in the
    reader's time zone: each of the two reads it in their own language."""
    when = datetime.fromisoformat(params["when"])
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    written = format_datetime(when, "short", tzinfo=zone_of(reader), locale=str(get_locale()))
    return _("I'll do it: %(kind)s, %(when)s.", kind=HelpKind(params["kind"]).label, when=written)


messaging.register_system_text(TAKEN_TEXT, taken_text)


def _take_client_id(request: HelpRequest) -> str:
    """The first message's id for the messaging retry rule: one per take of a request."""
    assert request.taken_at is not None
    return f"help-{request.id}-{int(request.taken_at.timestamp())}"


def do_release(requester: Person, request_id: int) -> HelpRequest:
    """The requester frees a helper who did not come; the request is open again."""
    begin_write(db.session)
    request = access_request(requester, request_id, lock=True)
    check_is_requester(requester, request)
    if request.status != HelpStatus.TAKEN:
        raise Conflict(_("Nobody is helping with this request."), "not_taken")
    helper = _person(request.helper_id)
    _reopen(request)

    def render() -> str:
        return _(
            "%(name)s asked another neighbour for: %(kind)s",
            name=requester.first_name,
            kind=request.kind.label,
        )

    _tell(helper, "help.released", _url(request), render)
    return request


def do_give_back(helper: Person, request_id: int) -> HelpRequest:
    """The helper cannot go after all; the request is open again for the others."""
    begin_write(db.session)
    request = access_request(helper, request_id, lock=True)
    if request.status != HelpStatus.TAKEN or request.helper_id != helper.id:
        raise Forbidden(_("You are not helping with this request."), "not_helper")
    _reopen(request)

    def render() -> str:
        return _(
            "%(name)s cannot help after all: your request is open again", name=helper.first_name
        )

    _tell(_person(request.requester_id), "help.given_back", _url(request), render)
    return request


def _reopen(request: HelpRequest) -> None:
    """Open the request again; the leaving helper still hears it (published before)."""
    request.status, request.taken_at = HelpStatus.OPEN, None
    _publish(request)
    request.helper_id = None


def check_is_requester(person: Person, request: HelpRequest) -> None:
    """The person who asked, or the desk for a request it posted for a resident."""
    if person.id != request.requester_id and not (
        request.posted_by_id is not None and is_desk_staff(person, request.building_id)
    ):
        raise Forbidden(_("Only the person who asked can do this."), "not_requester")


def do_cancel(person: Person, request_id: int) -> HelpRequest:
    """The requester (or the desk, for a request it posted) no longer needs help."""
    begin_write(db.session)
    request = access_request(person, request_id, lock=True)
    check_is_requester(person, request)
    if request.status not in ACTIVE:
        raise Conflict(_("This request is already closed."), "closed")
    helper = _person(request.helper_id)
    request.status, request.closed_at = HelpStatus.CANCELLED, utcnow()
    request.proposed_to_id = None
    requester = _person(request.requester_id)
    name = requester.first_name if requester else ""

    def render() -> str:
        return _("%(name)s no longer needs help with: %(kind)s", name=name, kind=request.kind.label)

    _tell(helper, "help.cancelled", _url(request), render)
    _publish(request)
    return request


def check_minutes(minutes: Any) -> int | None:
    """How long it took: nothing, or one of the durations the form offers."""
    if minutes in (None, ""):
        return None
    if isinstance(minutes, str):
        minutes = as_id(minutes)  # ASCII digits only: "²" is a digit to str.isdigit, not to int
    if isinstance(minutes, bool) or minutes not in MINUTES_CHOICES:
        raise Invalid(_("Choose how long it took."), "bad_minutes")
    return int(minutes)


def do_mark_done(person: Person, request_id: int, minutes: Any = None) -> HelpRequest:
    """The helper (or the requester) says it is done; the helper says how long it took.
    The new state and the other person's notification are written together."""
    spent = check_minutes(minutes)
    begin_write(db.session)
    request = access_request(person, request_id, lock=True)
    if request.status != HelpStatus.TAKEN or person.id not in (
        request.helper_id,
        request.requester_id,
    ):
        raise Forbidden(_("Only the two people involved can say it is done."), "not_involved")
    request.status, request.done_at = HelpStatus.DONE, utcnow()
    if person.id == request.helper_id:
        request.minutes_given = spent
    other = request.requester_id if person.id == request.helper_id else request.helper_id

    def render() -> str:
        return _(
            "%(name)s says it is done: %(kind)s", name=person.first_name, kind=request.kind.label
        )

    _tell(_person(other), "help.done", _url(request), render)
    _publish(request)
    return request


def do_thank(person: Person, request_id: int, note: str = "") -> HelpRequest:
    """The requester thanks the helper, with a note if they wish; the thanks and the
    helper's notification are written together."""
    note = (note or "").strip()
    if len(note) > MAX_THANKS:
        raise Invalid(_("Write at most %(n)d characters.", n=MAX_THANKS), "note_too_long")
    begin_write(db.session)
    request = access_request(person, request_id, lock=True)
    check_is_requester(person, request)
    if request.status != HelpStatus.DONE:
        raise Conflict(_("You can say thank you once it is done."), "not_done")
    request.status, request.thanked_at, request.thanks_note = HelpStatus.THANKED, utcnow(), note
    requester = _person(request.requester_id)
    name = requester.first_name if requester else ""

    def render() -> str:
        if note:
            return _("%(name)s thanks you: “%(note)s”", name=name, note=note)
        return _("%(name)s thanks you for your help", name=name)

    _tell(_person(request.helper_id), "help.thanked", _url(request), render)
    _publish(request)
    return request


# The desk proposing a neighbour ---------------------------------------------------------


def list_offerers(request: HelpRequest) -> list[tuple[Person, HelpOffer]]:
    """Neighbours who offer this kind of help, for the desk to choose from."""
    stmt = (
        select(Person, HelpOffer)
        .join(HelpOffer, HelpOffer.person_id == Person.id)
        .where(
            HelpOffer.building_id == request.building_id,
            HelpOffer.kind == request.kind,
            HelpOffer.active.is_(True),
            Person.active.is_(True),
            Person.id != request.requester_id,
        )
        .order_by(Person.first_name, Person.last_name)
    )
    return [(person, offer) for person, offer in db.session.execute(stmt)]


def do_propose(staff: Person, request_id: int, neighbour_id: int) -> HelpRequest:
    """The desk asks one neighbour who offered this help; they accept or decline."""
    begin_write(db.session)
    request = access_request(staff, request_id, lock=True)
    if not is_desk_staff(staff, request.building_id):
        raise Forbidden(_("Only the desk can ask a neighbour."))
    if request.status != HelpStatus.OPEN:
        raise Conflict(_("Another neighbour has already taken this request."), "taken")
    offerers = {person.id: person for person, _offer in list_offerers(request)}
    neighbour = offerers.get(neighbour_id)
    if neighbour is None:
        raise Invalid(_("Choose a neighbour who offers this help."), "bad_neighbour")
    request.proposed_to_id, request.proposed_by_id = neighbour.id, staff.id

    def render() -> str:
        return _(
            "The desk asks whether you can help: %(kind)s, %(when)s",
            kind=request.kind.label,
            when=person_datetime(neighbour, request.window_start),
        )

    _tell(neighbour, "help.proposed", _url(request), render)
    _publish(request)
    return request


def do_decline(neighbour: Person, request_id: int) -> HelpRequest:
    """The neighbour the desk asked cannot help; the desk is told."""
    begin_write(db.session)
    request = access_request(neighbour, request_id, lock=True)
    if request.proposed_to_id != neighbour.id:
        raise Forbidden(_("Nobody asked you for this request."), "not_proposed")
    staff = _person(request.proposed_by_id)
    request.proposed_to_id = request.proposed_by_id = None

    def render() -> str:
        return _(
            "%(name)s cannot help: %(kind)s", name=neighbour.first_name, kind=request.kind.label
        )

    _tell(staff, "help.declined", _url(request), render)
    _publish(request)
    # No longer among the people involved: told apart, so their list drops the request.
    realtime.publish(EVENT_CHANGED, _changed_payload(request), realtime.user_room(neighbour.id))
    return request


# Offers ---------------------------------------------------------------------------------


def check_availability(text: str) -> str:
    """When the neighbour can help, in a few words."""
    text = (text or "").strip()
    if len(text) > 200:
        raise Invalid(_("Write at most %(n)d characters.", n=200), "too_long")
    return text


def do_save_offer(person: Person, kind: Any, availability: str = "") -> HelpOffer:
    """Offer a kind of help (or update when), shown on the board."""
    if person.role != Role.RESIDENT or person.building_id is None:
        raise Forbidden(_("Only residents offer help to neighbours."))
    help_kind, text = check_kind(kind), check_availability(availability)
    stmt = select(HelpOffer).where(HelpOffer.person_id == person.id, HelpOffer.kind == help_kind)
    offer = db.session.scalars(stmt).first()
    if offer is None:
        offer = HelpOffer(person_id=person.id, building_id=person.building_id, kind=help_kind)
        db.session.add(offer)
    offer.availability, offer.active = text, True
    payload = {"offer": help_kind.value}
    realtime.publish(EVENT_CHANGED, payload, realtime.building_room(person.building_id))
    return offer


def do_withdraw_offer(person: Person, offer_id: int) -> None:
    """The neighbour no longer offers this help; the board forgets it."""
    offer = db.session.get(HelpOffer, offer_id)
    if offer is None or offer.person_id != person.id:
        raise NotFound(_("This offer does not exist."))
    offer.active = False
    payload = {"offer": offer.kind.value}
    realtime.publish(EVENT_CHANGED, payload, realtime.building_room(offer.building_id))


def list_my_offers(person: Person) -> list[HelpOffer]:
    """The person's active offers, one per kind."""
    stmt = (
        select(HelpOffer)
        .where(HelpOffer.person_id == person.id, HelpOffer.active.is_(True))
        .order_by(HelpOffer.kind)
    )
    return list(db.session.scalars(stmt))


def list_offers(person: Person, kind: HelpKind | None = None) -> list[tuple[HelpOffer, Person]]:
    """Active offers of the person's buildings, latest first, with who offers."""
    stmt = (
        select(HelpOffer, Person)
        .join(Person, HelpOffer.person_id == Person.id)
        .where(
            HelpOffer.building_id.in_(people.building_ids_for(person)),
            HelpOffer.active.is_(True),
            Person.active.is_(True),
        )
        .order_by(HelpOffer.updated_at.desc())
    )
    if kind is not None:
        stmt = stmt.where(HelpOffer.kind == kind)
    return [(offer, who) for offer, who in db.session.execute(stmt)]


# The board ------------------------------------------------------------------------------

URGENCY_RANK = case(
    (HelpRequest.urgency == Urgency.URGENT, 0),
    (HelpRequest.urgency == Urgency.SOON, 1),
    else_=2,
)


def list_open(person: Person, kind: HelpKind | None = None) -> list[HelpRequest]:
    """Open requests of the person's buildings: most urgent first, then newest."""
    stmt = (
        select(HelpRequest)
        .where(
            HelpRequest.building_id.in_(people.building_ids_for(person)),
            HelpRequest.status == HelpStatus.OPEN,
        )
        .order_by(URGENCY_RANK, HelpRequest.created_at.desc(), HelpRequest.id.desc())
    )
    if kind is not None:
        stmt = stmt.where(HelpRequest.kind == kind)
    return list(db.session.scalars(stmt))


def list_mine(person: Person) -> list[HelpRequest]:
    """The person's own requests still going on, or done and waiting for thanks."""
    stmt = (
        select(HelpRequest)
        .where(
            HelpRequest.requester_id == person.id,
            HelpRequest.status.in_((*ACTIVE, HelpStatus.DONE)),
        )
        .order_by(HelpRequest.window_start)
    )
    return list(db.session.scalars(stmt))


def list_helping(person: Person) -> list[HelpRequest]:
    """What the person said they would do, and what the desk asked them."""
    stmt = (
        select(HelpRequest)
        .where(
            or_(
                (HelpRequest.helper_id == person.id) & (HelpRequest.status == HelpStatus.TAKEN),
                (HelpRequest.proposed_to_id == person.id) & (HelpRequest.status == HelpStatus.OPEN),
            )
        )
        .order_by(HelpRequest.window_start)
    )
    return list(db.session.scalars(stmt))


def list_in_progress(person: Person) -> list[HelpRequest]:
    """For the desk: every request a neighbour has taken, soonest first."""
    if person.role not in STAFF_POSTERS:
        return []
    stmt = (
        select(HelpRequest)
        .where(
            HelpRequest.building_id.in_(people.building_ids_for(person)),
            HelpRequest.status == HelpStatus.TAKEN,
        )
        .order_by(HelpRequest.window_start)
    )
    return list(db.session.scalars(stmt))


def list_needing_attention(person: Person) -> list[HelpRequest]:
    """For the desk: open requests that are urgent, escalated or about to run out of time."""
    if person.role not in STAFF_POSTERS:
        return []
    soon = utcnow() + timedelta(hours=24)
    stmt = (
        select(HelpRequest)
        .where(
            HelpRequest.building_id.in_(people.building_ids_for(person)),
            HelpRequest.status == HelpStatus.OPEN,
            or_(
                HelpRequest.urgency == Urgency.URGENT,
                HelpRequest.escalated_at.is_not(None),
                HelpRequest.window_end <= soon,
            ),
        )
        .order_by(URGENCY_RANK, HelpRequest.created_at)
    )
    return list(db.session.scalars(stmt))


def names_of(ids: Iterable[int | None]) -> dict[int, Person]:
    """The people a page names, read in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(wanted)))}


# Thanks and figures ---------------------------------------------------------------------


@dataclass(frozen=True)
class HelperStats:
    """What a helper gave: thanks received, requests done and minutes given."""

    thanks: int
    done: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def get_helper_stats(person_id: int) -> HelperStats:
    """The helper's thanks, requests done and minutes given, in one query."""
    stmt = select(
        func.count(HelpRequest.thanked_at),
        func.count(HelpRequest.done_at),
        func.coalesce(func.sum(HelpRequest.minutes_given), 0),
    ).where(
        HelpRequest.helper_id == person_id,
        HelpRequest.status.in_((HelpStatus.DONE, HelpStatus.THANKED)),
    )
    thanks, done, minutes = db.session.execute(stmt).one()
    return HelperStats(int(thanks), int(done), int(minutes))


def shows_thanks(person_id: int) -> bool:
    """Whether the helper agreed to show their thanks and hours to the neighbours."""
    profile = db.session.get(HelperProfile, person_id)
    return bool(profile and profile.show_thanks)


def do_set_show_thanks(person: Person, show: bool) -> None:
    """The helper's consent to show their thanks and hours to the neighbours."""
    profile = db.session.get(HelperProfile, person.id)
    if profile is None:
        profile = HelperProfile(person_id=person.id)
        db.session.add(profile)
    profile.show_thanks = bool(show)


def list_thanks_notes(person_id: int, limit: int = 10) -> list[HelpRequest]:
    """The helper's latest thanks, newest first."""
    stmt = (
        select(HelpRequest)
        .where(HelpRequest.helper_id == person_id, HelpRequest.thanked_at.is_not(None))
        .order_by(HelpRequest.thanked_at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class KindFigures:
    """One kind of help's figures over a period."""

    kind: HelpKind
    asked: int
    helped: int
    expired: int
    cancelled: int
    minutes: int


@dataclass(frozen=True)
class Figures:
    """How much neighbours helped each other over a period, for the coordinator."""

    since: datetime
    kinds: list[KindFigures]
    helpers: int
    thanks: int
    median_minutes_to_take: int | None

    @property
    def asked(self) -> int:
        return sum(k.asked for k in self.kinds)

    @property
    def helped(self) -> int:
        return sum(k.helped for k in self.kinds)

    @property
    def hours(self) -> float:
        return round(sum(k.minutes for k in self.kinds) / 60, 1)


def check_figures_reader(person: Person) -> None:
    """Only staff read the figures."""
    if not person.is_staff:
        raise Forbidden(_("Only the building's staff see the figures."))


def get_figures(person: Person, building_id: int, since: datetime) -> Figures:
    """How much neighbours helped each other since a date, for the coordinator."""
    check_figures_reader(person)
    people.access_building(person, building_id)
    rows = db.session.scalars(
        select(HelpRequest).where(
            HelpRequest.building_id == building_id, HelpRequest.created_at >= since
        )
    ).all()
    helped_states = (HelpStatus.DONE, HelpStatus.THANKED)
    kinds = [
        KindFigures(
            kind=kind,
            asked=sum(1 for r in rows if r.kind == kind),
            helped=sum(1 for r in rows if r.kind == kind and r.status in helped_states),
            expired=sum(1 for r in rows if r.kind == kind and r.status == HelpStatus.EXPIRED),
            cancelled=sum(1 for r in rows if r.kind == kind and r.status == HelpStatus.CANCELLED),
            minutes=sum(r.minutes_given or 0 for r in rows if r.kind == kind),
        )
        for kind in HelpKind
    ]
    waits = sorted(
        (r.taken_at - r.created_at).total_seconds() / 60
        for r in rows
        if r.taken_at is not None and r.status in (HelpStatus.TAKEN, *helped_states)
    )
    median = int(waits[len(waits) // 2]) if waits else None
    return Figures(
        since=since,
        kinds=kinds,
        median_minutes_to_take=median,
        helpers=len({r.helper_id for r in rows if r.status in helped_states and r.helper_id}),
        thanks=sum(1 for r in rows if r.thanked_at is not None),
    )


# Scheduled jobs -------------------------------------------------------------------------


def escalate_untaken(now: datetime) -> int:
    """An urgent request nobody took within two hours alerts the concierge and coordinator."""
    stmt = select(HelpRequest).where(
        HelpRequest.status == HelpStatus.OPEN,
        HelpRequest.urgency == Urgency.URGENT,
        HelpRequest.escalated_at.is_(None),
        HelpRequest.created_at <= now - ESCALATE_AFTER,
    )
    count = 0
    for request in db.session.scalars(stmt).all():
        request.escalated_at = now
        requester = _person(request.requester_id)
        name = requester.full_name if requester else ""

        def render(request: HelpRequest = request, name: str = name) -> str:
            return _(
                "Urgent and nobody has taken it for 2 hours: %(kind)s for %(name)s",
                kind=request.kind.label,
                name=name,
            )

        for staff in list_desk_staff(request.building_id):
            _tell(staff, "help.escalated", _url(request), render)
        _publish(request)
        count += 1
    return count


def alert_untaken_urgent(now: datetime) -> int:
    """An urgent request nobody took within ALERTS_URGENT_REQUEST_MINUTES raises an alert
    (once per request): whoever is on call is told, by email and SMS."""
    stmt = select(HelpRequest).where(
        HelpRequest.status == HelpStatus.OPEN,
        HelpRequest.urgency == Urgency.URGENT,
        HelpRequest.created_at <= now - alerts.urgent_request_after(),
    )
    untaken = db.session.scalars(stmt).all()
    done = alerts.existing_sources(f"urgent_request:{r.id}" for r in untaken)
    count = 0
    for request in untaken:
        key = f"urgent_request:{request.id}"
        if key not in done:
            alerts.do_raise(
                alerts.AlertKind.URGENT_REQUEST,
                request.building_id,
                key,
                person_id=request.requester_id,
                now=now,
            )
            count += 1
    return count


def list_desk_staff(building_id: int) -> list[Person]:
    """The concierge and coordinators of a building, who hear about urgent requests."""
    return people.list_staff(building_id, STAFF_POSTERS)


def expire_past_window(now: datetime) -> int:
    """Requests still open after their window are closed and the requester told."""
    stmt = select(HelpRequest).where(
        HelpRequest.status == HelpStatus.OPEN, HelpRequest.window_end <= now
    )
    count = 0
    for request in db.session.scalars(stmt).all():
        request.status, request.closed_at = HelpStatus.EXPIRED, now
        request.proposed_to_id = request.proposed_by_id = None

        def render(request: HelpRequest = request) -> str:
            return _(
                "Nobody could help in time with: %(kind)s. "
                "You can ask again or call the concierge desk.",
                kind=request.kind.label,
            )

        _tell(_person(request.requester_id), "help.expired", _url(request), render)
        _publish(request)
        count += 1
    return count


def purge_health(now: datetime) -> int:
    """Erase a pharmacy run's details 30 days after it ended, or 30 days after its window
    when it was left "taken" (never marked done); the audit log stays. One statement: the
    runs of a month are few."""
    limit = now - HEALTH_RETENTION
    ended = func.coalesce(HelpRequest.done_at, HelpRequest.closed_at)
    left_taken = and_(HelpRequest.status == HelpStatus.TAKEN, HelpRequest.window_end <= limit)
    stmt = (
        update(HelpRequest)
        .where(
            HelpRequest.kind == HelpKind.PHARMACY,
            HelpRequest.details.is_not(None),
            or_(and_(ended.is_not(None), ended <= limit), left_taken),
        )
        .values(details=None, details_erased_at=now)
        .execution_options(synchronize_session="fetch")
    )
    begin_write(db.session)
    return int(db.session.execute(stmt).rowcount or 0)


# Payloads for sockets -------------------------------------------------------------------


def request_payload(person: Person, request: HelpRequest) -> dict[str, Any]:
    """What a socket client may know of a request; details only for those entitled."""
    data: dict[str, Any] = {
        "id": request.id,
        "kind": request.kind.value,
        "kind_label": request.kind.label,
        "urgency": request.urgency.value,
        "status": request.status.value,
        "window_start": request.window_start.isoformat(),
        "window_end": request.window_end.isoformat(),
        "mine": request.requester_id == person.id,
        "helping": request.helper_id == person.id,
    }
    if not is_health(request):
        data["details"] = request.details
    return data


def count_for_badge(person: Person) -> int:
    """Open requests a neighbour could take, plus what the desk asked of this person."""
    stmt = select(func.count(HelpRequest.id)).where(
        HelpRequest.building_id.in_(people.building_ids_for(person)),
        HelpRequest.status == HelpStatus.OPEN,
        HelpRequest.requester_id != person.id,
    )
    return int(db.session.scalar(stmt) or 0)
