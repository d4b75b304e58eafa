"""Real-time events: publish() queues an event that is emitted only after the commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_socketio import SocketIO
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

PENDING_KEY = "bv_pending_events"
SESSION_ENDED_EVENT = "portal.session_ended"

_socketio: SocketIO | None = None


@dataclass(frozen=True)
class Event:
    """One server-to-client event waiting for its transaction to commit."""

    name: str
    payload: dict[str, Any]
    to: str | list[str]


def user_room(person_id: int) -> str:
    return f"user:{person_id}"


def building_room(building_id: int) -> str:
    return f"building:{building_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def publish(name: str, payload: dict[str, Any], to: str) -> None:
    """Queue an event for the room `to`; it leaves only when the current transaction commits."""
    from portal.extensions import db

    db.session.info.setdefault(PENDING_KEY, []).append(Event(name, payload, to))


def emit_now(name: str, payload: dict[str, Any], to: str) -> None:
    """Send an ephemeral event (typing…) that has no database state to wait for."""
    _emit(Event(name, payload, to))


ConnectHook = Callable[[Any], Iterable[str]]
_connect_hooks: list[ConnectHook] = []


def on_connect(hook: ConnectHook) -> ConnectHook:
    """Register a function run when a person's socket connects; it returns rooms to join."""
    if hook not in _connect_hooks:
        _connect_hooks.append(hook)
    return hook


def rooms_on_connect(person: Any) -> list[str]:
    rooms: list[str] = []
    for hook in _connect_hooks:
        rooms.extend(hook(person))
    return rooms


def _emit(evt: Event) -> None:
    """Send one event to its room (through the message queue when one is configured)."""
    if _socketio is None or _socketio.server is None:
        log.warning("event %s dropped: Socket.IO is not initialised", evt.name)
        return
    _socketio.emit(evt.name, evt.payload, to=evt.to)


def _after_commit(session: Session) -> None:
    for evt in _merge_rooms(session.info.pop(PENDING_KEY, [])):
        _emit(evt)


def _merge_rooms(events: list[Event]) -> list[Event]:
    """One emit for an event going to several rooms: its payload is encoded once."""
    merged: list[Event] = []
    for evt in events:
        last = merged[-1] if merged else None
        if last is not None and last.name == evt.name and last.payload is evt.payload:
            rooms = last.to if isinstance(last.to, list) else [last.to]
            merged[-1] = Event(evt.name, evt.payload, [*rooms, evt.to])
        else:
            merged.append(evt)
    return merged


def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


def disconnect_room(room: str) -> None:
    """Disconnect this process's sockets in a room; other processes act on session_ended."""
    if _socketio is None or _socketio.server is None:
        return
    server = _socketio.server
    participants = list(server.manager.get_participants("/", room))
    for sid, _eio_sid in participants:
        server.disconnect(sid, namespace="/")


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Bind Socket.IO with an explicit async mode and the Redis queue when configured."""
    global _socketio
    options: dict[str, Any] = {
        "async_mode": app.config["SOCKETIO_ASYNC_MODE"],
        "cors_allowed_origins": app.config["SOCKETIO_CORS_ORIGINS"],
        "manage_session": True,
        "max_http_buffer_size": app.config["SOCKETIO_MAX_PAYLOAD"],
        "message_queue": app.config.get("REDIS_URL"),
    }
    # The extension object keeps its options between init_app() calls (one per app).
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(app, **options)
    _socketio = socketio
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback_soft)


def _after_rollback_soft(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _after_rollback(session)
