"""Socket.IO connection: only logged-in people, joined to rooms from the database."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import join_room

from portal import realtime
from portal.auth import confined, forget_loaded_person
from portal.auth.decorators import refuse_when_unavailable, socket_handler
from portal.extensions import socketio
from portal.people import service as people
from portal.transaction import owns_transaction, running_after_commit

log = logging.getLogger(__name__)


@socketio.on("connect")
@refuse_when_unavailable
@owns_transaction
def on_connect(auth: Any = None) -> bool:
    """Refuse anonymous sockets; join the person's own room and their buildings' rooms.
    The connection owns its transaction, like an event: it saves the person's presence."""
    forget_loaded_person()
    if not current_user.is_authenticated:
        return False
    join_room(realtime.user_room(current_user.id))
    if not confined.is_confined(current_user.role):
        # People from outside (relatives, partners) hear nothing of a building.
        for building_id in people.building_ids_for(current_user):
            join_room(realtime.building_room(building_id))
    for room in realtime.rooms_on_connect(current_user):
        join_room(room)
    people.do_touch_presence(current_user)
    return True


@socketio.on("disconnect")
def on_disconnect(_reason: Any = None) -> None:
    """A socket left: run what each package registered for it, each in its own transaction.

    A server-side disconnect (at logout) reaches this handler from inside the request that
    is committing, whose session it must not use: then the callbacks run apart, in an app
    context (and a session) of their own."""
    sid = getattr(request, "sid", None)
    if not sid or not realtime.callbacks_on_disconnect():
        return
    if running_after_commit():
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        socketio.start_background_task(_run_disconnect_callbacks_apart, app, sid)
    else:
        _run_disconnect_callbacks(sid)


def _run_disconnect_callbacks_apart(app: Flask, sid: str) -> None:
    """Run the disconnect callbacks of a socket in an app context of their own."""
    with app.app_context():
        _run_disconnect_callbacks(sid)


def _run_disconnect_callbacks(sid: str) -> None:
    """Run each disconnect callback in order; one that fails is logged, its writes undone,
    and the next ones still run."""
    for callback in realtime.callbacks_on_disconnect():
        try:
            owns_transaction(callback)(sid)
        except Exception:
            log.exception("disconnect callback %s failed", _name(callback))


def _name(callback: realtime.DisconnectCallback) -> str:
    return f"{callback.__module__}.{getattr(callback, '__qualname__', repr(callback))}"


@socketio.on("heartbeat")
@socket_handler
def heartbeat(_payload: Any = None) -> dict[str, Any]:
    """Sent every minute by an open page: the person is online."""
    people.do_touch_presence(current_user)
    return {}


@socketio.on("whoami")
@socket_handler
def whoami(_payload: Any = None) -> dict[str, Any]:
    """Tell the client who the server thinks it is talking to (used after reconnects)."""
    return {
        "person_id": current_user.id,
        "buildings": sorted(people.building_ids_for(current_user)),
    }
