"""Site-relative URLs that can be built with or without a request (jobs, other processes)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values: Any) -> str:
    """The path of an endpoint, e.g. for event payloads built outside a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)
