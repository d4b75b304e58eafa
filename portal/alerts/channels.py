"""How an alert leaves the portal: email through portal.mail, SMS through Apprise.

`ALERTS_SMS_URL` (env `BV_SMS_URL`) is an Apprise URL whose `{phone}` is replaced by the
recipient's E.164 number, quoted for the URL (Apprise unquotes it): with
`json://sms.example:8080/send?:to={phone}` Apprise posts `{"to": "+336…", "message": …}`
(the `:key=value` query items are extra JSON fields). Apprise answers False when the
gateway refused the message (an HTTP status outside 2xx) or could not be reached.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from urllib.parse import quote

import apprise
from flask import current_app

from portal.mail import MailError, OutgoingMail, deliver

log = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class Delivery:
    """What became of one message: handed over, or why not."""

    ok: bool
    error: str = ""


def to_e164(phone: str | None, country_code: str | None = None) -> str | None:
    """A phone number as E.164 (+33612345678), from how people write it; None if it is not
    one. A national number (06 12 34 56 78) takes ALERTS_DEFAULT_COUNTRY_CODE."""
    if not phone:
        return None
    digits = re.sub(r"[\s.\-()/]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        code = country_code or current_app.config["ALERTS_DEFAULT_COUNTRY_CODE"]
        digits = code + digits[1:]
    return digits if E164.match(digits) else None


def send_email(to: str, subject: str, body: str) -> Delivery:
    """Hand one mail to the SMTP server now."""
    try:
        deliver([OutgoingMail(to, subject, body)])
    except MailError as error:
        log.warning("alert mail not delivered: %s", type(error.__cause__).__name__)
        return Delivery(False, "mail_refused")
    return Delivery(True)


def sms_url(phone: str) -> str | None:
    """The Apprise URL for this number, or None when no SMS gateway is configured."""
    template = current_app.config.get("ALERTS_SMS_URL")
    if not template:
        return None
    return str(template).replace("{phone}", quote(phone, safe=""))


def sms_enabled() -> bool:
    """Whether an SMS gateway is configured (without one, alerts go by email only)."""
    return bool(current_app.config.get("ALERTS_SMS_URL"))


def send_sms(phone: str, text: str) -> Delivery:
    """Send one text message through the configured gateway."""
    url = sms_url(phone)
    if url is None:
        return Delivery(False, "no_gateway")
    # Sequential (no thread pool, no event loop) and nothing written to disk.
    asset = apprise.AppriseAsset(async_mode=False, storage_mode="memory")
    sender = apprise.Apprise(asset=asset)
    with warnings.catch_warnings():
        # Apprise loads its plugins on first use; one of them imports the deprecated imghdr.
        warnings.simplefilter("ignore", DeprecationWarning)
        added = sender.add(url)
    if not added:
        log.warning("ALERTS_SMS_URL is not an Apprise URL this server can use")
        return Delivery(False, "bad_gateway_url")
    if not sender.notify(body=text, title=""):
        log.warning("alert text message not delivered")
        return Delivery(False, "sms_refused")
    return Delivery(True)
