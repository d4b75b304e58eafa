"""Socket.IO handlers for messaging: validate, call the service, acknowledge."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from messaging import service
from portal import realtime
from portal.auth.decorators import socket_handler
from portal.errors import Invalid
from portal.extensions import socketio
from portal.people import service as people


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


def _int(payload: dict[str, Any], key: str) -> int:
    """An integer field of the payload (a boolean is not one)."""
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("The request could not be understood."), "bad_request")
    return value


@socketio.on("send_message")
@socket_handler
def send_message(payload: Any = None) -> dict[str, Any]:
    """Store and announce a message; a retry answers with the one already stored."""
    data = _dict(payload)
    result = service.do_send_message(
        current_user,
        _int(data, "conversation_id"),
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
    membership = service.do_mark_read(
        current_user, _int(data, "conversation_id"), _int(data, "message_id")
    )
    return {"last_read_message_id": membership.last_read_message_id}


@socketio.on("typing")
@socket_handler
def typing(payload: Any = None) -> dict[str, Any]:
    """Tell the others someone is writing."""
    service.send_typing(current_user, _int(_dict(payload), "conversation_id"))
    return {}


@socketio.on("catch_up")
@socket_handler
def catch_up(payload: Any = None) -> dict[str, Any]:
    """What the client missed while away, and the unread total."""
    data = _dict(payload)
    after = data.get("conversations") or {}
    if not isinstance(after, dict):
        raise Invalid(_("The request could not be understood."), "bad_request")
    messages = service.catch_up(current_user, after)
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
        current_user, _int(data, "message_id"), str(data.get("emoji") or "")
    )
    return {"reactions": reactions}
