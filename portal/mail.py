"""Email to staff and contacts (invitations, password resets, alerts) over SMTP.

Flask-Mailman does the sending. `BV_SMTP_URL` names the server
(`smtp://user:password@host:587?starttls=1`, or `smtps://…` for TLS from the start). Without
it, development writes each mail to the log and tests keep them in memory; production refuses
to start without it unless `BV_MAIL_TO_LOG=1` says the log is what the operator wants.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app
from flask_mailman import EmailMessage
from flask_mailman.backends.base import BaseEmailBackend

from portal.extensions import mailer
from portal.transaction import after_commit

log = logging.getLogger(__name__)

TRUE_WORDS = {"1", "true", "yes", "on"}


class MailError(RuntimeError):
    """The mail could not be handed to the SMTP server."""


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to send: plain text, in the recipient's language already."""

    to: str
    subject: str
    body: str


class LogBackend(BaseEmailBackend):
    """Development: each mail is written to the log instead of being sent."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            log.info(
                "mail (not sent: no BV_SMTP_URL) to %s: %s\n%s",
                ", ".join(message.to),
                message.subject,
                message.body,
            )
        return len(email_messages)


def smtp_settings(url: str) -> dict[str, Any]:
    """Flask-Mailman's settings for an `smtp://` or `smtps://` URL."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("BV_SMTP_URL must look like smtp://user:password@host:port")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    ssl = parts.scheme == "smtps"
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": parts.hostname,
        "MAIL_PORT": parts.port or (465 if ssl else 25),
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
        "MAIL_USE_SSL": ssl,
        "MAIL_USE_TLS": query.get("starttls", "").lower() in TRUE_WORDS,
        "MAIL_TIMEOUT": float(query.get("timeout", 10)),
    }


def configure(config: Mapping[str, Any]) -> dict[str, Any]:
    """The mail settings the application's configuration asks for."""
    url = config.get("PORTAL_SMTP_URL")
    settings: dict[str, Any] = {"MAIL_DEFAULT_SENDER": config["PORTAL_MAIL_FROM"]}
    if url:
        settings.update(smtp_settings(url))
    elif config.get("TESTING") and not config.get("PORTAL_MAIL_TO_LOG"):
        settings["MAIL_BACKEND"] = "locmem"
    else:
        settings["MAIL_BACKEND"] = LogBackend
    return settings


def init_app(app: Flask) -> None:
    app.config.update(configure(app.config))
    mailer.init_app(app)


def deliver(messages: Iterable[OutgoingMail]) -> int:
    """Hand the mails to the server now; raise MailError if it refuses or is away."""
    emails = [
        EmailMessage(subject=m.subject, body=m.body, to=[m.to], connection=None) for m in messages
    ]
    if not emails:
        return 0
    try:
        connection = mailer.get_connection()
        return int(connection.send_messages(emails) or 0)
    except Exception as exc:  # smtplib and socket errors alike
        raise MailError(str(exc)) from exc


def send_after_commit(*messages: OutgoingMail, in_background: bool = False) -> None:
    """Send once the current transaction commits (the link in it then works); a rollback
    sends nothing. A server that refuses is logged: what was saved stays saved. In the
    background, the answer does not wait for the server (nor tells by its delay that a mail
    left, as a password reset must not)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def send() -> None:
        with app.app_context():
            try:
                deliver(messages)
            except MailError:
                log.exception("mail to %s not sent", ", ".join(m.to for m in messages))

    if in_background:
        after_commit(lambda: threading.Thread(target=send, name="mail", daemon=True).start())
    else:
        after_commit(send)


def outbox() -> list[EmailMessage]:
    """Tests with the in-memory backend: the mails sent so far."""
    return list(getattr(current_app.extensions["mailman"], "outbox", []))
