"""Permission decorators for routes and Socket.IO handlers."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import abort, current_app
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_socketio import ConnectionRefusedError

from portal import admission, easyread, ratelimits
from portal.auth import confined, forget_loaded_person
from portal.errors import (
    DATABASE_UNAVAILABLE,
    DomainError,
    error_body,
    unavailable_body,
    unavailable_retry_after,
)
from portal.extensions import db
from portal.people.models import Role
from portal.transaction import owns_transaction

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def roles_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Only logged-in people with one of these roles; others get 404 (pages stay hidden)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(Role.COORDINATOR, Role.CONCIERGE, Role.MANAGER)


def ack_error(code: str, message: str) -> dict[str, Any]:
    return error_body(code, message)


def socket_handler(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Check the person on every event, own the event's transaction (commit once when the
    handler returns, undo everything when it refuses or fails) and turn domain errors into
    acknowledgements."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            # Past the worker's bound, refused before anything touches the pool (after a
            # short wait for a place: see admission.event_wait).
            with admission.admitted(wait=admission.event_wait()):
                return _run_checked(handler, *args, **kwargs)
        except DATABASE_UNAVAILABLE as error:
            # The client keeps what it sent (the tablet's outbox) and tries again later.
            db.session.rollback()
            log.debug(
                "socket event %s: unavailable: %s: %s",
                handler.__name__,
                type(error).__name__,
                _first_line(error),
            )
            return unavailable_body(unavailable_retry_after(error))

    return wrapped


def refuse_when_unavailable(handler: Callable[..., bool]) -> Callable[..., bool]:
    """For the connect handler: a connection this worker cannot serve now (past its
    admission bound, no database connection within the wait, the database away) is refused
    with the `unavailable` body and its retry_after (the client's connect_error), not a
    traceback; the tablet reconnects later with its back-off. Its handshake is paid for:
    past the bound it first waits for a place (admission.connection_wait)."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> bool:
        try:
            wait, queue = admission.connection_wait()
            with admission.admitted(wait, queue):
                return handler(*args, **kwargs)
        except DATABASE_UNAVAILABLE as error:
            db.session.rollback()
            body = unavailable_body(unavailable_retry_after(error))
            raise ConnectionRefusedError(body) from None

    return wrapped


def _run_checked(
    handler: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    forget_loaded_person()
    if not current_user.is_authenticated:
        return ack_error("unauthenticated", _("Your session has ended. Please log in again."))
    # No before_request runs for an event: its answers take the sender's wording here.
    with easyread.wording_of(current_user):
        return _run_for_sender(handler, *args, **kwargs)


def _run_for_sender(
    handler: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """The event's checks, its handler and its refusals, in the words its sender reads."""
    if not confined.event_allowed(current_user.role, confined.current_event_name()):
        # A confined role (a relative, a partner) sends only the events opened to it.
        return ack_error("not_found", _("The request could not be understood."))
    if len(args) > 1 or kwargs:
        # Every event takes one payload at most; more is not something a tablet sends.
        return ack_error("bad_request", _("The request could not be understood."))
    limit = current_app.config["SOCKETIO_EVENT_LIMIT"]
    if not ratelimits.hit(limit, "socket.event", current_user.id):
        return ack_error("rate_limited", _("Too many requests. Please wait a few seconds."))
    try:
        result = owns_transaction(handler)(*args, **kwargs)
    except DomainError as error:
        db.session.rollback()
        return ack_error(error.code, error.message)
    except DATABASE_UNAVAILABLE:
        raise
    except Exception:
        db.session.rollback()
        log.exception("socket event %s failed", getattr(handler, "__name__", "?"))
        return ack_error("server_error", _("Something went wrong. Please try again."))
    return {"ok": True, **(result or {})}


def _first_line(error: BaseException) -> str:
    """The driver's own words (no SQL parameters, so no message text), one line."""
    cause = getattr(error, "orig", None) or error
    return str(cause).strip().splitlines()[0][:200] if str(cause).strip() else ""
