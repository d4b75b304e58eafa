"""A stand-in SMS gateway: an HTTP server on 127.0.0.1 that keeps the JSON it is posted
(what Apprise's json:// sends), and can be told to refuse."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from tests.live import free_port


class SMSGateway:
    """The running gateway: its Apprise URL template, the texts it received."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[dict[str, Any]] = []
        self.refuse = False
        self._arrived = threading.Condition()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if gateway.refuse:
                    self.send_response(503)
                    self.end_headers()
                    return
                with gateway._arrived:
                    gateway.posts.append({"path": self.path, **body})
                    gateway._arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """ALERTS_SMS_URL for this gateway: `{phone}` becomes the JSON field "to"."""
        return f"json://127.0.0.1:{self.port}/send?:to={{phone}}"

    def to(self, phone: str) -> list[dict[str, Any]]:
        with self._arrived:
            return [p for p in self.posts if p.get("to") == phone]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.posts) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.posts)} text(s) arrived, {count} expected"
                self._arrived.wait(left)
            return list(self.posts)

    def start(self) -> SMSGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def sms_server() -> Iterator[SMSGateway]:
    server = SMSGateway().start()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway(app: Flask, sms_server: SMSGateway) -> SMSGateway:
    """The test app sending its texts to the stand-in gateway, emptied for this test."""
    sms_server.posts.clear()
    sms_server.refuse = False
    app.config["ALERTS_SMS_URL"] = sms_server.url
    return sms_server
