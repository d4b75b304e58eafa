"""Structured logs: one JSON object per line with the request id; never bodies or secrets."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import IO

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from werkzeug.wrappers import Response

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"

log = logging.getLogger("portal.request")


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request it was written in ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Tag the record; never drops one."""
        record.request_id = getattr(g, "request_id", "-") if has_request_context() else "-"
        return True


def configure(json_lines: bool, level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """Send the root logger's records to stderr, as JSON lines or as plain text."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    if json_lines:
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def _start_request() -> None:
    """Take the caller's request id when it looks like one, else make one; start the clock."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _tag_response(response: Response) -> Response:
    """Give the request id back, so a report can name the request."""
    response.headers[REQUEST_ID_HEADER] = getattr(g, "request_id", "")
    return response


def _log_request(response: Response) -> Response:
    """One line per request: the route's pattern, not the path (a card link holds a token)."""
    started = getattr(g, "request_started", None)
    duration = round((time.perf_counter() - started) * 1000, 1) if started else None
    rule = request.url_rule.rule if request.url_rule else "(no route)"
    fields = {
        "method": request.method,
        "route": rule,
        "status": response.status_code,
        "duration_ms": duration,
    }
    log.info("request", extra=fields)
    return response


def init_app(app: Flask) -> None:
    """Request ids on every request; one log line per request when LOG_REQUESTS is on."""
    app.before_request(_start_request)
    app.after_request(_tag_response)
    if app.config["LOG_REQUESTS"]:
        app.after_request(_log_request)
