"""Socket.IO handlers of the service exchange: validate, call the service, acknowledge."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from concierge.exchange import service as helping
from portal.auth.decorators import socket_handler
from portal.errors import Invalid
from portal.extensions import socketio


def _request_id(payload: Any) -> int:
    """The request's id the client sent, or a refusal it can read."""
    value = payload.get("request_id") if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(_("The request could not be understood."), "bad_request")
    return value


@socketio.on("get_help_request")
@socket_handler
def get_help_request(payload: Any = None) -> dict[str, Any]:
    """A request as the board shows it: a pharmacy run's details never travel here."""
    found = helping.access_request(current_user, _request_id(payload))
    return {"request": helping.request_payload(current_user, found)}


@socketio.on("get_help_details")
@socket_handler
def get_help_details(payload: Any = None) -> dict[str, Any]:
    """The details, for those entitled; a pharmacy run's reading is audited."""
    found = helping.access_request(current_user, _request_id(payload))
    return {"details": helping.get_details(current_user, found, "socket")}


@socketio.on("take_help_request")
@socket_handler
def take_help_request(payload: Any = None) -> dict[str, Any]:
    """Take a request from a live board; the take and its conversation commit together."""
    taken = helping.do_take(current_user, _request_id(payload))
    return {"request": helping.request_payload(current_user, taken)}
