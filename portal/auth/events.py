"""Socket.IO connection: only logged-in people, joined to rooms from the database."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_socketio import join_room

from portal import realtime
from portal.auth import confined, forget_loaded_person
from portal.auth.decorators import refuse_when_unavailable, socket_handler
from portal.extensions import socketio
from portal.people import service as people
from portal.transaction import owns_transaction


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
