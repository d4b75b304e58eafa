"""Default-deny for confined roles: people from outside the building (relatives, partners)
reach only the endpoints and Socket.IO events registered for their role, nothing else.

A domain confines a role at import (`confine(Role.X, "family.*")`, `allow_event(Role.X,
"send_message")`); one before_request hook answers 404 to every other endpoint, and the
socket layer refuses every other event, so a page added later stays closed to them until
someone opens it on purpose."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import Any

from flask import Flask, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.people.models import Role

# What every confined person may reach: static files, leaving, their language, their health
# check and their data rights. Login pages are open to anyone not logged in anyway.
BASE_ENDPOINTS: tuple[str, ...] = (
    "static",
    "*.static",
    "home.vendor",
    "health.healthz",
    "auth.login",
    "auth.logout",
    "auth.account_link",
    "home.set_language",
    "datarights.export_mine",
    "datarights.ask_erasure",
)
# Events any connected confined person may send: the page's presence and reconnect check.
BASE_EVENTS: frozenset[str] = frozenset({"heartbeat", "whoami"})

_endpoints: dict[Role, list[str]] = {}
_events: dict[Role, set[str]] = {}
_homes: dict[Role, str] = {}
_send_home: dict[Role, set[str]] = {}


def confine(
    role: Role,
    *allowed_endpoint_patterns: str,
    home: str | None = None,
    send_home: Iterable[str] = ("home.index",),
) -> None:
    """Make `role` confined and allow it these endpoints (fnmatch patterns, "family.*");
    `home` is where the endpoints in `send_home` (the portal's home page) redirect it."""
    patterns = _endpoints.setdefault(role, [])
    for pattern in allowed_endpoint_patterns:
        if pattern not in patterns:
            patterns.append(pattern)
    _events.setdefault(role, set())
    if home is not None:
        _homes[role] = home
        _send_home.setdefault(role, set()).update(send_home)


def allow_event(role: Role, *event_names: str) -> None:
    """Allow a confined role these client-to-server Socket.IO events (exact names)."""
    _endpoints.setdefault(role, [])
    _events.setdefault(role, set()).update(event_names)


def is_confined(role: Any) -> bool:
    """Whether the role reaches only what was registered for it."""
    return role in _endpoints


def confined_roles() -> frozenset[Role]:
    return frozenset(_endpoints)


def endpoint_allowed(role: Any, endpoint: str | None) -> bool:
    """Whether a person of this role may reach the endpoint (unconfined roles: always)."""
    if role not in _endpoints:
        return True
    if endpoint is None:
        return True  # no route matched: the request ends in 404 anyway
    patterns: Iterable[str] = (*BASE_ENDPOINTS, *_endpoints[role])
    return any(fnmatchcase(endpoint, pattern) for pattern in patterns)


def event_allowed(role: Any, event_name: str | None) -> bool:
    """Whether a person of this role may send this Socket.IO event (unconfined: always)."""
    if role not in _endpoints:
        return True
    return event_name is not None and (event_name in BASE_EVENTS or event_name in _events[role])


def allowed_events(role: Role) -> frozenset[str]:
    return frozenset(BASE_EVENTS | _events.get(role, set()))


def home_endpoint(role: Any) -> str | None:
    return _homes.get(role)


def current_event_name() -> str | None:
    """The name of the Socket.IO event being handled (Flask-SocketIO sets it on request)."""
    event = getattr(request, "event", None)
    return event.get("message") if isinstance(event, dict) else None


def enforce() -> ResponseReturnValue | None:
    """Before every request: a confined person gets 404 outside their allowed endpoints;
    the portal's home page sends them to their own."""
    if not current_user.is_authenticated:
        return None
    role = current_user.role
    if endpoint_allowed(role, request.endpoint):
        return None
    home = _homes.get(role)
    if home is not None and request.endpoint in _send_home.get(role, ()):
        return redirect(url_for(home))
    abort(404)


def init_app(app: Flask) -> None:
    """Install the hook (after the one that forgets the person loaded for a reused context)."""
    app.before_request(enforce)
