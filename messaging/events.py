"""Socket.IO handlers for messaging: validate, call the service, acknowledge."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from messaging import service
from portal import realtime
from portal.auth.decorators import socket_handler
from portal.errors import Invalid, NotFound
from portal.extensions import socketio
from portal.people import service as people
from portal.validation import MAX_BIG_ID, as_cursor, as_id, payload_id


@realtime.on_connect
def desk_rooms(person: Any) -> list[str]:
    """Concierges and coordinators hear their buildings' desk conversations."""
    if person.role not in service.DESK_ROLES:
        return []
    return [service.desk_room(b) for b in sorted(people.building_ids_for(person))]


def _dict(payload: Any) -> dict[str, Any]:
    """The event's payload, which must be an object."""
    if not isinstance(payload, dict):
        raise Invalid(_("The request could not be understood."), "bad_request")
    return payload


def _conversation_id(payload: dict[str, Any]) -> int:
    """The conversation the event names: a whole number (else bad_request) that can be an
    id (else not_found, before any query)."""
    return payload_id(payload, "conversation_id", message=_l("This conversation does not exist."))


def _message_id(payload: dict[str, Any]) -> int:
    """The message the event names (message ids are bigint), checked the same way."""
    return payload_id(payload, "message_id", MAX_BIG_ID, _l("This message does not exist."))


def _read_up_to(payload: dict[str, Any]) -> int:
    """mark_read's message id: a whole number (else bad_request), 0 or a message id (else
    not_found)."""
    value = payload.get("message_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("The request could not be understood."), "bad_request")
    found = as_cursor(value)
    if found is None:
        raise NotFound(_("This message does not exist."))
    return found


def _last_ids(value: Any) -> dict[int, int]:
    """catch_up's `{"<conversation id>": <last id seen>}`: every key an id and every last id 0
    or a message id, else the whole request is refused (a client never sends anything
    else; the service then asks the database only about numbers it can hold)."""
    if not isinstance(value, dict):
        raise Invalid(_("The request could not be understood."), "bad_request")
    last_ids: dict[int, int] = {}
    for raw_id, raw_last in value.items():
        conversation_id = as_id(raw_id)
        last_id = 0 if raw_last is None else as_cursor(raw_last)
        if conversation_id is None or last_id is None:
            raise Invalid(_("The request could not be understood."), "bad_request")
        last_ids[conversation_id] = last_id
    return last_ids


@socketio.on("send_message")
@socket_handler
def send_message(payload: Any = None) -> dict[str, Any]:
    """Store and announce a message; a retry answers with the one already stored."""
    data = _dict(payload)
    result = service.do_send_message(
        current_user,
        _conversation_id(data),
        client_id=data.get("client_id"),
        kind=str(data.get("kind") or "text"),
        body=data.get("body", ""),
        attachment_id=data.get("attachment_id"),
    )
    return {"message": result.payload, "duplicate": not result.created}


@socketio.on("mark_read")
@socket_handler
def mark_read(payload: Any = None) -> dict[str, Any]:
    """Move the person's read pointer in one conversation."""
    data = _dict(payload)
    membership = service.do_mark_read(current_user, _conversation_id(data), _read_up_to(data))
    return {"last_read_message_id": membership.last_read_message_id}


@socketio.on("typing")
@socket_handler
def typing(payload: Any = None) -> dict[str, Any]:
    """Tell the others someone is writing."""
    service.send_typing(current_user, _conversation_id(_dict(payload)))
    return {}


@socketio.on("catch_up")
@socket_handler
def catch_up(payload: Any = None) -> dict[str, Any]:
    """What the client missed while away, and the unread total."""
    data = _dict(payload)
    messages = service.catch_up(current_user, _last_ids(data.get("conversations") or {}))
    return {
        "messages": {str(cid): items for cid, items in messages.items()},
        "unread_total": service.total_unread(current_user),
    }


@socketio.on("toggle_reaction")
@socket_handler
def toggle_reaction(payload: Any = None) -> dict[str, Any]:
    """Add or take back a reaction to an announcement."""
    data = _dict(payload)
    reactions = service.do_toggle_reaction(
        current_user, _message_id(data), str(data.get("emoji") or "")
    )
    return {"reactions": reactions}
