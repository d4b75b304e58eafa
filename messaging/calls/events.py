"""Socket.IO handlers of video calls: validate, call the service, acknowledge.

Every event is checked by the service against the one rule of who may call whom
(messaging.calls.rules.may_call) and against the call's own state and sides."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from messaging.calls import ice, service
from portal import realtime
from portal.auth.confined import allow_event, confine
from portal.auth.decorators import socket_handler
from portal.errors import Invalid
from portal.extensions import socketio
from portal.people.models import Role
from portal.validation import payload_id

# The client-to-server events of calls (a confined role that may call is allowed these).
CALL_EVENTS = (
    "call_start",
    "call_answer",
    "call_decline",
    "call_hangup",
    "call_signal",
    "call_catch_up",
)

# Relatives reach the call log page and the call events; the service still checks, for
# every call and every signal, that the two may call each other.
confine(Role.RELATIVE, "calls.*")
allow_event(Role.RELATIVE, *CALL_EVENTS)


def _dict(payload: Any) -> dict[str, Any]:
    """The event's payload, which must be an object."""
    if not isinstance(payload, dict):
        raise Invalid(_("The request could not be understood."), "bad_request")
    return payload


def _call_id(payload: dict[str, Any]) -> int:
    """The call the event names: a whole number (else bad_request) that can be an id."""
    return payload_id(payload, "call_id", message=_l("This call does not exist."))


# This process's screens that started or answered a call (a disconnect of any other screen
# has no call to end, and costs no statement).
_screens_in_calls: set[str] = set()


def _sid() -> str | None:
    """This connection's id: the screen a call is on."""
    return getattr(request, "sid", None)


def _note_screen_in_call() -> None:
    """Remember that this screen is in a call: its disconnect has a call to end."""
    sid = _sid()
    if sid:
        _screens_in_calls.add(sid)


@socketio.on("call_start")
@socket_handler
def call_start(payload: Any = None) -> dict[str, Any]:
    """Ring someone one may call; answers with the call, the ICE servers and the ring time."""
    data = _dict(payload)
    callee_id = payload_id(data, "callee_id", message=_l("You cannot call this person."))
    conversation_id = None
    if data.get("conversation_id") is not None:
        conversation_id = payload_id(
            data, "conversation_id", message=_l("This conversation does not exist.")
        )
    call = service.do_start_call(
        current_user, callee_id, sid=_sid(), conversation_id=conversation_id
    )
    _note_screen_in_call()
    return {
        "call": service.call_payload(call),
        "ice_servers": ice.ice_servers(current_user),
        "ring_seconds": service.ring_seconds(),
    }


@socketio.on("call_answer")
@socket_handler
def call_answer(payload: Any = None) -> dict[str, Any]:
    """Answer a call ringing for oneself, on this screen."""
    call = service.do_answer_call(current_user, _call_id(_dict(payload)), sid=_sid())
    _note_screen_in_call()
    return {"call": service.call_payload(call), "ice_servers": ice.ice_servers(current_user)}


@socketio.on("call_decline")
@socket_handler
def call_decline(payload: Any = None) -> dict[str, Any]:
    """ "Not now": the call ends and leaves a missed call in the conversation."""
    call = service.do_decline_call(current_user, _call_id(_dict(payload)))
    return {"call": service.call_payload(call)}


@socketio.on("call_hangup")
@socket_handler
def call_hangup(payload: Any = None) -> dict[str, Any]:
    """End a call one is in (or give up ringing)."""
    call = service.do_hang_up(current_user, _call_id(_dict(payload)))
    return {"call": service.call_payload(call)}


@socketio.on("call_signal")
@socket_handler
def call_signal(payload: Any = None) -> dict[str, Any]:
    """Pass an offer, answer or ICE candidate to the other screen of the call."""
    data = _dict(payload)
    service.send_signal(current_user, _call_id(data), data.get("signal"), sid=_sid())
    return {}


@socketio.on("call_catch_up")
@socket_handler
def call_catch_up(_payload: Any = None) -> dict[str, Any]:
    """After a (re)connect: the calls ringing for this person now."""
    ringing = service.list_ringing_for(current_user)
    return {
        "ringing": [
            {**service.call_payload(c), "ring_seconds": service.ring_seconds()} for c in ringing
        ]
    }


@realtime.on_disconnect
def call_screen_left(sid: str) -> None:
    """A screen in a call closed or lost its connection: its call ends for both sides.
    Only screens of this process that took part in a call are looked up."""
    if sid not in _screens_in_calls:
        return
    _screens_in_calls.discard(sid)
    service.do_end_for_connection(sid)
