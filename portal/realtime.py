"""Real-time events: publish() queues an event that is emitted only after the commit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import socketio as python_socketio
from flask import Flask
from flask.ctx import RequestContext
from flask_socketio import SocketIO
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import validation
from portal.db import is_ending_reads, utcnow

log = logging.getLogger(__name__)

PENDING_KEY = "bv_pending_events"
SESSION_ENDED_EVENT = "portal.session_ended"
RESYNC_EVENT = "portal.resync"
QUEUE_CHANNEL = "flask-socketio"

_socketio: SocketIO | None = None


@dataclass(frozen=True)
class Event:
    """One server-to-client event waiting for its transaction to commit."""

    name: str
    payload: dict[str, Any]
    to: str | list[str]
    skip_sid: str | None = None  # the socket that caused it, which has its acknowledgement


def user_room(person_id: int) -> str:
    return f"user:{person_id}"


def building_room(building_id: int) -> str:
    return f"building:{building_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def publish(name: str, payload: dict[str, Any], to: str, *, skip_origin: bool = False) -> None:
    """Queue an event for the room `to`; it leaves only when the current transaction commits.
    With `skip_origin`, the socket whose event caused it does not get it (its acknowledgement
    already carries the same thing); the person's other sockets still do."""
    from portal.extensions import db

    skip_sid = _origin_sid() if skip_origin else None
    db.session.info.setdefault(PENDING_KEY, []).append(Event(name, payload, to, skip_sid))


def _origin_sid() -> str | None:
    """The Socket.IO session id of the event being handled (None in an HTTP request or a job)."""
    from flask import has_request_context, request

    return getattr(request, "sid", None) if has_request_context() else None


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


DisconnectCallback = Callable[[str], None]
_disconnect_callbacks: list[DisconnectCallback] = []


def on_disconnect(callback: DisconnectCallback) -> DisconnectCallback:
    """Register a function called with a socket's id once that socket has disconnected; the
    disconnect handler (portal.auth.events) runs each in a transaction of its own."""
    if callback not in _disconnect_callbacks:
        _disconnect_callbacks.append(callback)
    return callback


def callbacks_on_disconnect() -> list[DisconnectCallback]:
    """The registered disconnect callbacks, in the order they were registered."""
    return list(_disconnect_callbacks)


def _emit(evt: Event) -> None:
    """Send one event to its room (through the message queue when one is configured)."""
    if _socketio is None or _socketio.server is None:
        log.warning("event %s dropped: Socket.IO is not initialised", evt.name)
        return
    _socketio.emit(evt.name, evt.payload, to=evt.to, skip_sid=evt.skip_sid)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction() or is_ending_reads(session):
        return  # a savepoint released, or reads ended: the writes are still to come
    for evt in _merge_rooms(session.info.pop(PENDING_KEY, [])):
        _emit(evt)


def _merge_rooms(events: list[Event]) -> list[Event]:
    """One emit for an event going to several rooms: its payload is encoded once."""
    merged: list[Event] = []
    for evt in events:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.name == evt.name
            and last.payload is evt.payload
            and last.skip_sid == evt.skip_sid
        ):
            rooms = last.to if isinstance(last.to, list) else [last.to]
            merged[-1] = Event(evt.name, evt.payload, [*rooms, evt.to], evt.skip_sid)
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


SessionEndedCallback = Callable[[int], None]
_session_ended_callbacks: list[SessionEndedCallback] = []


def on_session_ended(callback: SessionEndedCallback) -> SessionEndedCallback:
    """Register a function called with a person's id when this process delivers the end of
    their sessions (SESSION_ENDED_EVENT to their room, from this process or another)."""
    if callback not in _session_ended_callbacks:
        _session_ended_callbacks.append(callback)
    return callback


def _watch_for_session_end(event: str | None, room: Any) -> None:
    """Run the session-ended callbacks for each person's room an ending goes to."""
    if event != SESSION_ENDED_EVENT:
        return
    for name in room if isinstance(room, list) else [room]:
        prefix, _, person_id = str(name).partition(":")
        if prefix == "user" and person_id.isdigit():
            for callback in _session_ended_callbacks:
                callback(int(person_id))


class SessionEndWatch:
    """A client manager that sees the sessions that end: an emit of this process, or one
    from another process through the queue (_handle_emit)."""

    def emit(self, event: str, data: Any, namespace: str | None = None, **kwargs: Any) -> Any:
        _watch_for_session_end(event, kwargs.get("to") or kwargs.get("room"))
        return super().emit(event, data, namespace, **kwargs)  # type: ignore[misc]

    def _handle_emit(self, message: dict[str, Any]) -> Any:
        _watch_for_session_end(message.get("event"), message.get("room"))
        return super()._handle_emit(message)  # type: ignore[misc]


class LocalManager(SessionEndWatch, python_socketio.Manager):  # type: ignore[misc]
    """One process, no queue."""


class CatchUpRedisManager(SessionEndWatch, python_socketio.RedisManager):  # type: ignore[misc]
    """Redis between processes; after losing Redis, this process's clients catch up.

    While Redis is away, events published by any process are lost. Once this process's
    subscription is back, it tells its own sockets (without Redis) to ask for what they
    missed, as they do after reconnecting. Retries back off up to RETRY_MAX seconds.
    """

    RETRY_MAX = 8.0

    def __init__(self, *args: Any, resync_per_second: float = 30.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resync_per_second = resync_per_second
        self.lost_at: datetime | None = None

    def _redis_listen_with_retries(self) -> Iterator[Any]:
        delay, lost = 0.5, False
        while True:
            try:
                self._redis_connect()
                self.pubsub.subscribe(self.channel)
                if lost:
                    window = resync_window(self.socket_count(), self.resync_per_second)
                    # Until every socket has caught up, catch-ups reach back to the loss,
                    # whatever newer live event a client got while waiting for its moment.
                    _note_gap(self.lost_at or utcnow(), window + RESYNC_SLACK_S)
                    self.lost_at = None
                    log.warning(
                        "Redis is back: this process's %d sockets catch up within %d s",
                        self.socket_count(),
                        window,
                    )
                    self.server.emit(
                        RESYNC_EVENT, {"window_s": window}, namespace="/", ignore_queue=True
                    )
                delay, lost = 0.5, False
                yield from self.pubsub.listen()
            except Exception as exc:  # redis raises its own and socket errors alike
                log.error("Redis subscription lost (%s); retrying in %.1f s", exc, delay)
                if not lost:
                    self.lost_at = utcnow()
                lost = True
                time.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX)

    def socket_count(self) -> int:
        """The sockets this process holds (python-socketio keeps every one in room None)."""
        return len(self.rooms.get("/", {}).get(None, {}))


RESYNC_WINDOW_MAX = 60  # seconds: every socket has caught up within this after a resync
RESYNC_SLACK_S = 60  # catch-ups refused and retried after the window still reach back
_gap: tuple[datetime, float] | None = None  # (events lost since, until this monotonic time)


def _note_gap(since: datetime, seconds: float) -> None:
    """Remember that this process's sockets may have missed events since `since`."""
    global _gap
    _gap = (since, time.monotonic() + seconds)


def missed_since() -> datetime | None:
    """While this process's sockets are catching up after a Redis loss: when the loss
    began (a catch-up then returns everything since, not only what follows the client's
    newest id); None otherwise."""
    if _gap is None or time.monotonic() > _gap[1]:
        return None
    return _gap[0]


def resync_window(sockets: int, per_second: float) -> int:
    """Seconds over which a process's sockets spread their catch-ups after a resync, so
    that the process serves about `per_second` of them a second (at least 1 s, at most
    RESYNC_WINDOW_MAX): it grows with the number of sockets the process holds."""
    return int(min(RESYNC_WINDOW_MAX, max(1, -(-sockets // max(1, int(per_second))))))


class SocketEventContext(RequestContext):
    """The request context of an event on a connected socket. Its address is Socket.IO's,
    which no route serves: nothing to match (a route lookup that fails makes and keeps a
    NotFound on every event). Its session is the socket's own copy, which Flask-SocketIO
    puts in place of the cookie's: the cookie is not read and verified again."""

    def match_request(self) -> None:
        """No route: request.url_rule and request.endpoint stay None."""


SAVED_SESSION = "saved_session"  # Flask-SocketIO's copy of the session, in the socket's environ


def socket_event_context(app: Flask, environ: dict[str, Any]) -> RequestContext | None:
    """The context for an event of a connected socket (None for anything else: a page, a
    socket's connection, which reads the cookie)."""
    saved = environ.get(SAVED_SESSION)
    return None if saved is None else SocketEventContext(app, environ, session=saved)


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Bind Socket.IO with an explicit async mode and the Redis queue when configured."""
    global _socketio
    options: dict[str, Any] = {
        "async_mode": app.config["SOCKETIO_ASYNC_MODE"],
        "cors_allowed_origins": app.config["SOCKETIO_CORS_ORIGINS"],
        "manage_session": True,
        "max_http_buffer_size": app.config["SOCKETIO_MAX_PAYLOAD"],
        **validation.socketio_options(),
    }
    # The extension object keeps its options between init_app() calls (one per app).
    socketio.server_options.pop("client_manager", None)
    socketio.server_options.pop("message_queue", None)
    if app.config.get("REDIS_URL"):
        options["client_manager"] = CatchUpRedisManager(
            app.config["REDIS_URL"],
            channel=QUEUE_CHANNEL,
            resync_per_second=app.config["SOCKETIO_RESYNC_PER_SECOND"],
        )
    else:
        options["client_manager"] = LocalManager()
    socketio.init_app(app, **options)
    _socketio = socketio
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback_soft)


def _after_rollback_soft(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _after_rollback(session)
