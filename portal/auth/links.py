"""One-time account links by email: a staff member's invitation (set up the account) and a
forgotten password (choose a new one). Single use; 48 hours for an invitation, 1 hour for a
reset; only the token's hash is stored."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal import mail
from portal.auth.models import AccountLink, LinkPurpose
from portal.auth.service import do_end_sessions, do_set_password, hash_card_token
from portal.db import utcnow
from portal.errors import Invalid
from portal.extensions import db
from portal.people import service as people
from portal.people.models import PASSWORD_ROLES, Person

log = logging.getLogger(__name__)

LIFETIMES = {
    LinkPurpose.SETUP: timedelta(hours=48),
    LinkPurpose.RESET: timedelta(hours=1),
    # A relative's invitation may wait a week; a relative's login link, an hour.
    LinkPurpose.FAMILY: timedelta(days=7),
    LinkPurpose.LOGIN: timedelta(hours=1),
    # A partner's invitation (portal.referrals) may wait a week too.
    LinkPurpose.PARTNER: timedelta(days=7),
}
LINK_GONE = _l(
    "This link no longer works: it was already used, or it is too old. "
    "Ask for a new one from the login page."
)
PASSWORDS_DIFFER = _l("The two passwords are different. Type the same password twice.")


def hash_token(token: str) -> str:
    return hash_card_token(token)


def link_url(token: str) -> str:
    """The link's address, from BV_BASE_URL when set (a command has no request to read)."""
    path = url_for("auth.account_link", token=token)
    base = current_app.config.get("PORTAL_BASE_URL")
    if base:
        return base.rstrip("/") + path
    return url_for("auth.account_link", token=token, _external=True)


def do_issue_link(person: Person, purpose: LinkPurpose, sent_by: Person | None = None) -> str:
    """A new link for the person; earlier unused links of the same purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(AccountLink)
        .where(
            AccountLink.person_id == person.id,
            AccountLink.purpose == purpose,
            AccountLink.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountLink(
            person_id=person.id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=now + LIFETIMES[purpose],
            sent_by_id=sent_by.id if sent_by else None,
        )
    )
    db.session.flush()
    return token


def find_link(token: str) -> AccountLink | None:
    return db.session.scalar(select(AccountLink).where(AccountLink.token_hash == hash_token(token)))


def check_link(token: str, now: datetime | None = None) -> AccountLink:
    """The link, if it was never used, has not expired and its person is still active."""
    link = find_link(token)
    now = now or utcnow()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise Invalid(str(LINK_GONE), "link_gone")
    if not link.person.active or link.person.role not in PASSWORD_ROLES:
        raise Invalid(str(LINK_GONE), "link_gone")
    return link


def do_use_link(
    token: str, password: str, confirm: str, *, first_name: str = "", last_name: str = ""
) -> Person:
    """Set the password the link was sent for (and, for an invitation, the person's name);
    the link dies and every other session of the person ends."""
    link = check_link(token)
    if password != confirm:
        raise Invalid(str(PASSWORDS_DIFFER), "passwords_differ")
    person = link.person
    do_set_password(person, password)
    named = link.purpose in (LinkPurpose.SETUP, LinkPurpose.PARTNER)
    if named and first_name.strip() and last_name.strip():
        person.first_name, person.last_name = first_name.strip(), last_name.strip()
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(AccountLink.id)
    ).first()
    if claimed is None:  # used by another request meanwhile
        raise Invalid(str(LINK_GONE), "link_gone")
    do_end_sessions(person)
    log.info("person %d chose a password from a %s link", person.id, link.purpose.value)
    return person


# Mails ----------------------------------------------------------------------------------


def mail_invitation(person: Person, token: str, invited_by: Person | None) -> mail.OutgoingMail:
    """The invitation, in the person's language."""
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        organisation = person.organisation.name
        subject = _("Your Bon Voisin account at %(organisation)s", organisation=organisation)
        lines = [
            _("Hello,"),
            "",
            _(
                "%(who)s invites you to Bon Voisin, the residents' portal of %(organisation)s, "
                "as %(role)s.",
                who=invited_by.full_name if invited_by else organisation,
                organisation=organisation,
                role=person.role.label,
            ),
            _("Open this link to choose your password (it works once, for 48 hours):"),
            link_url(token),
            "",
            _("Your login is this email address: %(email)s", email=person.email or ""),
        ]
    return mail.OutgoingMail(person.email or "", subject, "\n".join(lines))


def mail_reset(person: Person, token: str) -> mail.OutgoingMail:
    """The password reset, in the person's language."""
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Choose a new Bon Voisin password")
        lines = [
            _("Hello %(name)s,", name=person.first_name),
            "",
            _("Someone asked to change the password of your Bon Voisin account."),
            _("Open this link to choose a new password (it works once, for one hour):"),
            link_url(token),
            "",
            _("If you did not ask for it, ignore this mail: your password stays the same."),
        ]
    return mail.OutgoingMail(person.email or "", subject, "\n".join(lines))


def mail_partner_invitation(person: Person, token: str, invited_by: Person) -> mail.OutgoingMail:
    """A partner's invitation (portal.referrals), in the person's language."""
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        organisation = person.organisation.name
        subject = _(
            "Your partner account on Bon Voisin at %(organisation)s", organisation=organisation
        )
        lines = [
            _("Hello,"),
            "",
            _(
                "%(who)s invites you to send referrals to the coordinator of %(organisation)s "
                "on Bon Voisin, when you notice that a resident or a building needs attention.",
                who=invited_by.full_name,
                organisation=organisation,
            ),
            _("Open this link to choose your password (it works once, for 7 days):"),
            link_url(token),
            "",
            _("Your login is this email address: %(email)s", email=person.email or ""),
        ]
    return mail.OutgoingMail(person.email or "", subject, "\n".join(lines))


def do_send_partner_invitation(person: Person, invited_by: Person) -> str:
    """Issue a partner's set-up link and mail it once the transaction commits."""
    token = do_issue_link(person, LinkPurpose.PARTNER, invited_by)
    mail.send_after_commit(mail_partner_invitation(person, token, invited_by))
    return token


def do_send_invitation(person: Person, invited_by: Person | None) -> str:
    """Issue a set-up link and mail it once the transaction commits; return the token."""
    token = do_issue_link(person, LinkPurpose.SETUP, invited_by)
    mail.send_after_commit(mail_invitation(person, token, invited_by))
    return token


def do_request_reset(email: str) -> None:
    """Mail a reset link to an active staff member with that address. The caller answers
    the same whether or not one exists, so the page tells nobody who has an account."""
    person = people.find_staff_by_email(email)
    if person is None or not person.active:
        return
    token = do_issue_link(person, LinkPurpose.RESET)
    mail.send_after_commit(mail_reset(person, token), in_background=True)
