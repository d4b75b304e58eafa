"""Video calls: the only code that writes calls and sends their events.

A call rings (`calls.call_ringing` to the callee), is answered (`calls.call_answered` to
both) and ends (`calls.call_ended` to both); in between, the two screens exchange WebRTC
offers, answers and ICE candidates (`calls.call_signal`), relayed only between the two
connections in the call. The media flows between the two browsers and is never recorded;
what is kept is the log (who, when, how long, how it ended). A call nobody answered, one
the callee put off ("Not now") or one the caller gave up on leaves "Missed call from …" in
the two people's conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, or_, select

from messaging import service as messaging
from messaging.calls.models import LIVE_STATUSES, Call, CallOutcome, CallStatus
from messaging.calls.rules import may_call
from messaging.models import Conversation
from portal import ratelimits, realtime
from portal.db import begin_write, utcnow
from portal.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.people.models import Person
from portal.retention import cutoff
from portal.urls import path_for

log = logging.getLogger(__name__)

EVENT_RINGING = "calls.call_ringing"
EVENT_ANSWERED = "calls.call_answered"
EVENT_SIGNAL = "calls.call_signal"
EVENT_ENDED = "calls.call_ended"

START_LIMIT = "10/minute"  # calls one person starts
SIGNAL_LIMIT = "300/minute"  # offers, answers and ICE candidates one person sends
MAX_SDP = 20_000  # characters of an offer or answer (a camera and a microphone: ~6,000)
MAX_CANDIDATE = 1_000  # characters of one ICE candidate line
MAX_MID = 64
# A ringing call is left to its caller's screen to give up first; the server settles it
# this much later (a screen that went away), and the job once a minute.
RING_GRACE = timedelta(seconds=15)


# Payloads --------------------------------------------------------------------------------


def person_payload(person: Person | None) -> dict[str, Any]:
    """One side of a call as screens show it: name and photo."""
    if person is None:
        return {"id": None, "name": _("Former resident"), "first_name": "", "avatar_url": None}
    return {
        "id": person.id,
        "name": person.full_name,
        "first_name": person.first_name,
        "avatar_url": path_for("people.avatar", person_id=person.id),
    }


def call_payload(call: Call) -> dict[str, Any]:
    """A call as clients receive it, in acknowledgements and events."""
    return {
        "id": call.id,
        "status": call.status.value,
        "outcome": call.outcome.value if call.outcome else None,
        "caller": person_payload(call.caller),
        "callee": person_payload(call.callee),
        "conversation_id": call.conversation_id,
        "created_at": call.created_at.isoformat(),
        "answered_at": call.answered_at.isoformat() if call.answered_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "duration_seconds": call.duration_seconds,
    }


def ring_seconds() -> int:
    """How long a call rings before it counts as missed (CALLS_RING_SECONDS)."""
    return int(current_app.config["CALLS_RING_SECONDS"])


def _publish_to_both(call: Call, event: str, payload: dict[str, Any]) -> None:
    """Queue an event for both people's rooms (every screen of theirs), sent after commit."""
    for person_id in (call.caller_id, call.callee_id):
        if person_id is not None:
            realtime.publish(event, payload, realtime.user_room(person_id))


# Access ----------------------------------------------------------------------------------


def access_call(person: Person, call_id: int) -> Call:
    """Load a call the person is one side of, or raise not_found (never say whose it is)."""
    call = db.session.get(Call, call_id)
    if call is None or person.id not in (call.caller_id, call.callee_id):
        raise NotFound(_("This call does not exist."))
    return call


def check_may_call(caller: Person, callee: Person | None) -> Person:
    """The callee, when these two may call each other; else forbidden (the same answer for
    someone who does not exist, so that ids reveal nobody)."""
    if callee is None or not may_call(caller, callee):
        raise Forbidden(_("You cannot call this person."))
    return callee


def check_still_allowed(call: Call) -> None:
    """The two of a call may still call each other (a relative removed from the circle, an
    account closed or a resident moved meanwhile stops the call's every next step)."""
    if not may_call(call.caller, call.callee):
        raise Forbidden(_("You cannot call this person."))


def _lock_people(*person_ids: int) -> None:
    """Take the two people's rows in id order: two calls to or from the same person are
    checked one after the other (PostgreSQL; SQLite's write lock already serialises)."""
    stmt = select(Person.id).where(Person.id.in_(person_ids)).order_by(Person.id)
    db.session.execute(stmt.with_for_update()).all()


def live_calls_of(person_id: int) -> list[Call]:
    """The person's calls that are ringing or under way."""
    stmt = (
        select(Call)
        .where(
            Call.status.in_(LIVE_STATUSES),
            or_(Call.caller_id == person_id, Call.callee_id == person_id),
        )
        .order_by(Call.id)
    )
    return list(db.session.scalars(stmt))


def _ring_expired(call: Call, now: datetime) -> bool:
    """A ringing call that has rung past its time and the grace after it."""
    limit = timedelta(seconds=ring_seconds()) + RING_GRACE
    return call.status == CallStatus.RINGING and call.created_at + limit <= now


# The conversation of a call -------------------------------------------------------------


def _conversation_of(caller: Person, callee: Person, conversation_id: int | None) -> int | None:
    """Where the call's "Missed call" goes: the conversation it was started from, checked to
    be these two's (a one-to-one of the two, or the resident's desk conversation); else
    their one-to-one conversation, or the resident's desk conversation."""
    if conversation_id is not None:
        conversation = messaging.access_conversation(caller, conversation_id)
        if not _belongs_to_pair(conversation, caller, callee):
            raise Invalid(_("This call cannot start from this conversation."), "bad_conversation")
        return conversation.id
    low, high = sorted((caller.id, callee.id))
    existing = db.session.scalars(
        select(Conversation.id).where(Conversation.direct_key == f"{low}:{high}")
    ).first()
    if existing is not None:
        return existing
    try:
        return messaging.get_or_create_direct(caller, callee.id).id
    except DomainError:
        pass
    resident = caller if caller.is_resident else callee
    other = callee if resident is caller else caller
    if other.is_staff:
        return messaging.get_or_create_desk(resident).id
    return None


def _belongs_to_pair(conversation: Any, caller: Person, callee: Person) -> bool:
    """The conversation is one of the two people's: their one-to-one, or the resident's
    desk conversation read by the other as desk staff."""
    partner = messaging.direct_partner_id(conversation, caller.id)
    if partner is not None:
        return partner == callee.id
    resident_id = conversation.desk_resident_id
    if resident_id is None:
        return False
    if resident_id == caller.id:
        return messaging.is_desk_staff(callee, conversation.building_id)
    if resident_id == callee.id:
        return messaging.is_desk_staff(caller, conversation.building_id)
    return False


def call_target(person: Person, conversation: Any) -> Person | None:
    """The person one may call from a conversation page (its other person, or the resident
    of a desk conversation for the desk's staff), or None."""
    partner_id = messaging.direct_partner_id(conversation, person.id)
    if partner_id is None and conversation.desk_resident_id not in (None, person.id):
        partner_id = conversation.desk_resident_id
    if partner_id is None:
        return None
    partner = db.session.get(Person, partner_id)
    return partner if partner is not None and may_call(person, partner) else None


# Starting, answering, ending ------------------------------------------------------------


def do_start_call(
    caller: Person, callee_id: int, *, sid: str | None = None, conversation_id: int | None = None
) -> Call:
    """Ring the callee's screens; refused when the two may not call each other or the
    callee is already in a call. A call of the caller's still ringing or under way ends
    first: a screen that starts a call has left the one before."""
    callee = check_may_call(caller, db.session.get(Person, callee_id))
    if not ratelimits.hit(START_LIMIT, "calls.start", caller.id):
        raise Invalid(_("Too many calls at once. Please wait a minute."), "rate_limited")
    begin_write(db.session)
    _lock_people(caller.id, callee.id)
    now = utcnow()
    for call in live_calls_of(caller.id):
        _end(call, _outcome_when_left(call, caller), now)
    for call in live_calls_of(callee.id):
        if _ring_expired(call, now):
            _end(call, CallOutcome.MISSED, now)
        else:
            raise Conflict(
                _("%(name)s is already on a call. Please try again later.", name=callee.first_name),
                "busy",
            )
    call = Call(
        caller=caller,
        callee=callee,
        conversation_id=_conversation_of(caller, callee, conversation_id),
        status=CallStatus.RINGING,
        created_at=now,
        caller_sid=sid,
    )
    db.session.add(call)
    db.session.flush()
    payload = call_payload(call)
    realtime.publish(EVENT_RINGING, {**payload, "ring_seconds": ring_seconds()}, _room(callee))
    return call


def _room(person: Person) -> str:
    return realtime.user_room(person.id)


def do_answer_call(callee: Person, call_id: int, *, sid: str | None = None) -> Call:
    """The callee answers on one screen: both sides are told (the callee's other screens
    stop ringing, the caller's screen starts the connection)."""
    begin_write(db.session)
    call = access_call(callee, call_id)
    if call.callee_id != callee.id:
        raise NotFound(_("This call does not exist."))
    now = utcnow()
    if call.status == CallStatus.RINGING and _ring_expired(call, now):
        _end(call, CallOutcome.MISSED, now)
        db.session.flush()
    if call.status != CallStatus.RINGING:
        raise Conflict(_("This call has ended."), "ended")
    check_still_allowed(call)
    call.status = CallStatus.ACTIVE
    call.answered_at = now
    call.callee_sid = sid
    _publish_to_both(call, EVENT_ANSWERED, call_payload(call))
    return call


def do_decline_call(callee: Person, call_id: int) -> Call:
    """The callee taps "Not now": the call ends for both, and the conversation keeps a
    "Missed call"."""
    begin_write(db.session)
    call = access_call(callee, call_id)
    if call.callee_id != callee.id:
        raise NotFound(_("This call does not exist."))
    if call.status == CallStatus.RINGING:
        _end(call, CallOutcome.DECLINED, utcnow())
    elif call.status == CallStatus.ACTIVE:
        raise Conflict(_("This call has already been answered."), "answered")
    return call


def do_hang_up(person: Person, call_id: int) -> Call:
    """Either side ends the call (a caller giving up while it rings makes it a missed call);
    ending a call that has already ended changes nothing."""
    begin_write(db.session)
    call = access_call(person, call_id)
    if call.live:
        _end(call, _outcome_when_left(call, person), utcnow())
    return call


def do_end_for_connection(sid: str) -> int:
    """A screen in a call lost its connection (closed, reloaded, went away): its calls end,
    as if that side had hung up. Returns how many ended."""
    stmt = select(Call).where(
        Call.status.in_(LIVE_STATUSES), or_(Call.caller_sid == sid, Call.callee_sid == sid)
    )
    calls = list(db.session.scalars(stmt))
    if not calls:
        return 0
    begin_write(db.session)
    now = utcnow()
    for call in calls:
        db.session.refresh(call)
        if not call.live:
            continue
        side = call.caller if call.caller_sid == sid else call.callee
        _end(call, _outcome_when_left(call, side), now)
    return len(calls)


def _outcome_when_left(call: Call, person: Person | None) -> CallOutcome:
    """How a call ends when this side leaves it: answered once under way; while it rings, a
    decline from the callee, a missed call when the caller gives up."""
    if call.status == CallStatus.ACTIVE:
        return CallOutcome.ANSWERED
    if person is not None and person.id == call.callee_id:
        return CallOutcome.DECLINED
    return CallOutcome.MISSED


def _end(call: Call, outcome: CallOutcome, now: datetime) -> None:
    """End a live call with its outcome, tell both sides, and leave "Missed call from …"
    when it was never answered."""
    call.status = CallStatus.ENDED
    call.outcome = outcome
    call.ended_at = now
    call.caller_sid = None
    call.callee_sid = None
    _publish_to_both(call, EVENT_ENDED, call_payload(call))
    if outcome != CallOutcome.ANSWERED:
        _leave_missed_message(call)


def missed_call_text(caller: Person, callee: Person) -> str:
    """ "Missed call from …", in the language of the one who missed it."""
    locale = callee.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        return _("Missed video call from %(name)s", name=caller.full_name)


def _leave_missed_message(call: Call) -> None:
    """Write the missed call into the two people's conversation, from the caller (skipped,
    and logged, if the conversation no longer takes it: the call log keeps it anyway)."""
    caller, callee = call.caller, call.callee
    if call.conversation_id is None or caller is None or callee is None:
        return
    try:
        messaging.add_message(
            caller,
            call.conversation_id,
            client_id=f"call-{call.id}-missed",
            body=missed_call_text(caller, callee),
        )
    except DomainError as error:
        log.info("missed call %s left no message: %s", call.id, error.code)


# Signalling -------------------------------------------------------------------------------


def check_signal(signal: Any) -> dict[str, Any]:
    """An offer, an answer or an ICE candidate, rebuilt from its checked fields only (nothing
    else a client sends is passed on)."""
    if not isinstance(signal, dict):
        raise Invalid(_("The request could not be understood."), "bad_request")
    kind = signal.get("type")
    if kind in ("offer", "answer"):
        sdp = signal.get("sdp")
        if not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
            raise Invalid(_("The request could not be understood."), "bad_signal")
        return {"type": kind, "sdp": sdp}
    if kind == "candidate":
        candidate = signal.get("candidate")
        if not isinstance(candidate, dict):
            raise Invalid(_("The request could not be understood."), "bad_signal")
        line = candidate.get("candidate")
        mid = candidate.get("sdpMid")
        index = candidate.get("sdpMLineIndex")
        fragment = candidate.get("usernameFragment")
        if (
            not isinstance(line, str)
            or len(line) > MAX_CANDIDATE
            or (mid is not None and (not isinstance(mid, str) or len(mid) > MAX_MID))
            or (
                index is not None
                and (isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64)
            )
            or (fragment is not None and (not isinstance(fragment, str) or len(fragment) > 256))
        ):
            raise Invalid(_("The request could not be understood."), "bad_signal")
        return {
            "type": "candidate",
            "candidate": {
                "candidate": line,
                "sdpMid": mid,
                "sdpMLineIndex": index,
                "usernameFragment": fragment,
            },
        }
    raise Invalid(_("The request could not be understood."), "bad_signal")


def send_signal(person: Person, call_id: int, signal: Any, *, sid: str | None = None) -> None:
    """Pass an offer, answer or candidate to the other screen of a call under way; only
    from the screen that is in the call, only while the two may still call each other
    (the caller offers, the callee answers). Nothing is stored: it leaves at once."""
    call = access_call(person, call_id)
    if call.status != CallStatus.ACTIVE:
        raise Conflict(_("This call has ended."), "ended")
    mine = call.caller_sid if person.id == call.caller_id else call.callee_sid
    if sid is not None and mine is not None and mine != sid:
        raise Conflict(_("This call is on another screen."), "other_screen")
    check_still_allowed(call)
    checked = check_signal(signal)
    is_caller = person.id == call.caller_id
    if (checked["type"] == "offer" and not is_caller) or (
        checked["type"] == "answer" and is_caller
    ):
        raise Invalid(_("The request could not be understood."), "bad_signal")
    if not ratelimits.hit(SIGNAL_LIMIT, "calls.signal", person.id):
        raise Invalid(_("Too many requests. Please wait a few seconds."), "rate_limited")
    target = call.callee_sid if is_caller else call.caller_sid
    other_id = call.other_id(person.id)
    room = target or realtime.user_room(other_id or 0)
    realtime.emit_now(EVENT_SIGNAL, {"call_id": call.id, "signal": checked}, to=room)


# Reading ----------------------------------------------------------------------------------


def list_ringing_for(person: Person) -> list[Call]:
    """Calls ringing for the person now (a screen that reconnects rings again)."""
    now = utcnow()
    stmt = (
        select(Call)
        .where(Call.callee_id == person.id, Call.status == CallStatus.RINGING)
        .order_by(Call.id)
    )
    return [c for c in db.session.scalars(stmt) if not _ring_expired(c, now)]


def list_calls(person: Person, limit: int = 30) -> list[Call]:
    """The person's call log, newest first."""
    stmt = (
        select(Call)
        .where(or_(Call.caller_id == person.id, Call.callee_id == person.id))
        .order_by(Call.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def list_callable(person: Person, candidates: Sequence[Person]) -> list[Person]:
    """Those of `candidates` the person may call."""
    return [c for c in candidates if may_call(person, c)]


# Jobs -------------------------------------------------------------------------------------


def end_stale_calls(now: datetime) -> int:
    """Calls that rang past their time without an answer become missed calls (the caller's
    screen went away); calls under way longer than CALLS_MAX_MINUTES end (two screens left
    open). Returns how many ended."""
    ring_limit = now - timedelta(seconds=ring_seconds()) - RING_GRACE
    talk_limit = now - timedelta(minutes=int(current_app.config["CALLS_MAX_MINUTES"]))
    stmt = select(Call).where(
        or_(
            (Call.status == CallStatus.RINGING) & (Call.created_at <= ring_limit),
            (Call.status == CallStatus.ACTIVE) & (Call.answered_at <= talk_limit),
        )
    )
    calls = list(db.session.scalars(stmt))
    if calls:
        begin_write(db.session)
    for call in calls:
        outcome = CallOutcome.ANSWERED if call.status == CallStatus.ACTIVE else CallOutcome.MISSED
        _end(call, outcome, now)
    return len(calls)


def purge_expired(now: datetime, batch: int) -> int:
    """Delete one batch of ended calls older than MESSAGING_RETENTION_DAYS (the log is kept
    like the messages); returns how many went."""
    limit = cutoff("MESSAGING_RETENTION_DAYS", now)
    begin_write(db.session)
    ids = list(
        db.session.scalars(
            select(Call.id)
            .where(Call.created_at < limit, Call.status == CallStatus.ENDED)
            .limit(batch)
        )
    )
    if ids:
        stmt = delete(Call).where(Call.id.in_(ids))
        db.session.execute(stmt.execution_options(synchronize_session=False))
    return len(ids)
