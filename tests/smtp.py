"""A real SMTP server on 127.0.0.1 (aiosmtpd) whose received mails tests read."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.live import free_port


class Inbox:
    """aiosmtpd handler: keeps every mail the server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.messages.append(parsed)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The first `count` mails, once they arrived (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.messages)} mail(s) arrived, {count} expected"
                self._arrived.wait(left)
            return list(self.messages[:count])

    def to(self, address: str) -> list[EmailMessage]:
        with self._arrived:
            return [m for m in self.messages if address in str(m["To"])]

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()


class SMTPServer:
    """The running server, its URL for BV_SMTP_URL, and its inbox."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def body_of(message: EmailMessage) -> str:
    """The plain-text body of a received mail."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())
