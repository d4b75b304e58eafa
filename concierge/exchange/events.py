"""Socket.IO handlers of the service exchange: validate, call the service, acknowledge."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from concierge.exchange import service as helping
from portal.auth.decorators import socket_handler
from portal.extensions import socketio
from portal.validation import payload_id


def _request_id(payload: Any) -> int:
    """The request's id the client sent: a whole number (else bad_request) that can be an id
    (else not_found, before any query)."""
    return payload_id(payload, "request_id", message=_l("This request does not exist."))


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
