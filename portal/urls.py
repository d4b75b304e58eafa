"""Site-relative URLs that can be built with or without a request (jobs, other processes)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for


def path_for(endpoint: str, **values: Any) -> str:
    """The path of an endpoint, e.g. for event payloads built outside a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)


def public_base_url() -> str:
    """Where the portal answers, without a trailing slash, for links in mails, texts and
    printed logins: BV_BASE_URL when set, else the request's host, else the server's own
    address (a command or a job has no request)."""
    configured = current_app.config.get("PORTAL_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return f"http://{current_app.config['SERVER_HOST']}:{current_app.config['SERVER_PORT']}"


def is_local_path(target: str | None) -> bool:
    """True for a path on this site ("/…"), never for another host or scheme."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target
