"""Logging in by card, photo + PIN or staff password; ending sessions everywhere."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import datetime, timedelta
from functools import partial

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_request_context, request
from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.util import identity_key

from portal import realtime
from portal.auth.models import LoginCard
from portal.db import utcnow
from portal.errors import Invalid
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Person, Role
from portal.transaction import after_commit

_hashers: dict[tuple[tuple[str, int], ...], PasswordHasher] = {}


def _hasher() -> PasswordHasher:
    """argon2id; the library's recommended parameters unless AUTH_ARGON2 overrides them."""
    params = tuple(sorted((current_app.config.get("AUTH_ARGON2") or {}).items()))
    if params not in _hashers:
        _hashers[params] = PasswordHasher(**dict(params))
    return _hashers[params]


PIN_PATTERN = re.compile(r"^[0-9]{4}$")
MIN_PASSWORD_LENGTH = 12


class LoginError(Invalid):
    """A login attempt failed; the message is safe to show. The PIN page answers it itself
    and returns normally, so the wrong code it counted is saved with the request."""

    def __init__(self, message: str, code: str = "login_failed") -> None:
        super().__init__(message, code)


# Hashing -------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    if not stored_hash:
        # Spend the same time as a real check so unknown accounts are not revealed.
        _hasher().hash(secret)
        return False
    try:
        return _hasher().verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def hash_card_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Session loading -----------------------------------------------------------------------


def load_session_person(session_id: str) -> Person | None:
    """Flask-Login loader: the id must carry the person's current session version. A
    socket's events reuse the person read in the last few seconds (_kept_person)."""
    if _socket_event():
        return _kept_person(session_id)
    return _read_session_person(session_id)


def _read_session_person(session_id: str) -> Person | None:
    """The person of this session id, read from the database; None if it is not current."""
    person_id, _, version = session_id.partition(":")
    if not person_id.isdigit() or not version.isdigit():
        return None
    # The buildings come with the person: nearly every page asks which ones they see.
    eager = [joinedload(Person.building), joinedload(Person.staff_buildings)]
    person = db.session.get(Person, int(person_id), options=eager)
    if person is None or not person.active or person.session_version != int(version):
        return None
    return person


# A socket's person, kept between its events -------------------------------------------
#
# Reading the person is the largest cost of a socket event. A socket's events reuse, for a
# few seconds, a detached copy of the person read for the session id. Ending the sessions
# (a logout everywhere, a closed account, a new role) drops the person's copies in every
# process as the end reaches it (realtime.on_session_ended), and changes the session id
# anyway: the next reading refuses the old one. Other changes (a move, a new language)
# reach the events within KEEP_SECONDS. Pages and connections always read the person anew.

KEEP_SECONDS = 5.0
_kept: dict[str, tuple[float, Person]] = {}  # session id -> (kept until, detached copy)
_next_sweep = 0.0


def _socket_event() -> bool:
    """Whether the current request context is an event of a connected socket (not its
    connection)."""
    if not has_request_context() or getattr(request, "sid", None) is None:
        return False
    return getattr(request, "event", {}).get("message") != "connect"


def _kept_person(session_id: str) -> Person | None:
    """The person of a socket event: the kept copy, merged into this event's session
    without a statement, or read and kept for the next events."""
    now = time.monotonic()
    kept = _kept.get(session_id)
    if kept is not None and kept[0] > now and not _in_session(kept[1]):
        return db.session.merge(kept[1], load=False)
    person = _read_session_person(session_id)
    if person is not None:
        _keep(session_id, person, now)
    return person


def _in_session(person: Person) -> bool:
    """Whether this session holds the person already (as fresh as the copy, or fresher: the
    copy must not be merged over it)."""
    return identity_key(Person, person.id) in db.session.identity_map


def _keep(session_id: str, person: Person, now: float) -> None:
    """Keep a detached copy of a person just read (clean: nothing changed yet), with its
    buildings; the expired copies go every KEEP_SECONDS."""
    global _kept, _next_sweep
    scratch = Session()
    _kept[session_id] = (now + KEEP_SECONDS, scratch.merge(person, load=False))
    scratch.expunge_all()
    if now >= _next_sweep:
        _kept = {key: kept for key, kept in _kept.items() if kept[0] > now}
        _next_sweep = now + KEEP_SECONDS


@realtime.on_session_ended
def forget_kept_person(person_id: int) -> None:
    """Drop the kept copies of a person whose sessions ended."""
    prefix = f"{person_id}:"
    for session_id in [key for key in _kept if key.startswith(prefix)]:
        _kept.pop(session_id, None)


# Login cards ---------------------------------------------------------------------------


def get_active_card(person: Person) -> LoginCard | None:
    stmt = select(LoginCard).where(LoginCard.person_id == person.id, LoginCard.revoked_at.is_(None))
    return db.session.scalars(stmt).first()


def do_issue_card(person: Person, issued_by: Person | None) -> str:
    """Revoke any card the person holds and issue a new one; returns the token to print."""
    (token,) = issue_cards([person], issued_by)
    return token


def issue_cards(residents: list[Person], issued_by: Person | None) -> list[str]:
    """New cards for these residents, their old ones revoked, in the current transaction
    (the caller commits): one UPDATE however many there are. Returns the tokens, in order."""
    if any(person.role != Role.RESIDENT for person in residents):
        raise Invalid(str(_l("Login cards are for residents.")))
    if issued_by is not None:
        people.check_staff_may_manage(issued_by, *residents)
    db.session.execute(
        update(LoginCard)
        .where(LoginCard.person_id.in_([p.id for p in residents]), LoginCard.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    tokens = [secrets.token_urlsafe(32) for _ in residents]
    db.session.add_all(
        LoginCard(person=person, token_hash=hash_card_token(token), issued_by_id=_id(issued_by))
        for person, token in zip(residents, tokens, strict=True)
    )
    return tokens


def do_revoke_card(person: Person, revoked_by: Person) -> None:
    """Revoke the person's card and end every session opened with it or otherwise."""
    people.check_staff_may_manage(revoked_by, person)
    cards = _active_cards(person)
    if not cards:
        raise Invalid(str(_l("This person has no active login card.")), "no_card")
    now = utcnow()
    for card in cards:
        card.revoked_at = now
    _bump_session_version(person)
    _disconnect_after_commit(person)


def find_card(token: str) -> LoginCard | None:
    stmt = select(LoginCard).where(LoginCard.token_hash == hash_card_token(token))
    return db.session.scalars(stmt).first()


def check_card(token: str) -> LoginCard:
    """The card behind a token, if it may still be used."""
    card = find_card(token) if token else None
    if card is None:
        raise LoginError(
            str(_l("This login card is not known. Ask the concierge desk for a new card."))
        )
    if not card.is_active:
        raise LoginError(
            _(
                "This login card has been replaced or cancelled. "
                "Ask the concierge desk for a new one."
            ),
            "card_revoked",
        )
    if not card.person.active:
        raise LoginError(
            str(_l("This account is closed. Please call the concierge desk.")), "inactive"
        )
    return card


def do_login_with_card(token: str) -> Person:
    card = check_card(token)
    card.last_used_at = utcnow()
    card.person.last_login_at = card.last_used_at
    return card.person


# Photo + PIN ---------------------------------------------------------------------------


def access_pin_person(person_id: int, device_building_id: int | None) -> Person:
    """A resident who may be picked on this tablet: an active resident with a code, of the
    building the tablet belongs to; anyone else is not found."""
    person = db.session.get(Person, person_id)
    if (
        device_building_id is None
        or person is None
        or person.role != Role.RESIDENT
        or person.building_id != device_building_id
        or not person.active
        or person.pin_hash is None
    ):
        raise people.not_found()
    return person


def check_pin_format(pin: str) -> str:
    pin = (pin or "").strip()
    if not PIN_PATTERN.match(pin):
        raise Invalid(str(_l("The code has exactly 4 digits.")), "pin_format")
    return pin


def is_pin_locked(person: Person, now: datetime | None = None) -> bool:
    return person.pin_locked_until is not None and person.pin_locked_until > (now or utcnow())


def pin_locked_message(person: Person) -> str:
    until = format_time(person.pin_locked_until, format="short") if person.pin_locked_until else ""
    return str(
        _l(
            "Too many wrong codes. Logging in with your photo is paused until %(time)s. "
            "Your login card still works.",
            time=until,
        )
    )


def do_login_with_pin(person: Person, pin: str) -> Person:
    """Check a resident's PIN; 5 wrong codes lock this way in for 15 minutes.

    A wrong code is counted on the person before LoginError is raised: the caller keeps
    that count by committing (the PIN page answers the error and returns normally)."""
    config = current_app.config
    now = utcnow()
    if is_pin_locked(person, now):
        raise LoginError(pin_locked_message(person), "pin_locked")
    pin = check_pin_format(pin)
    if person.pin_hash and verify_secret(person.pin_hash, pin):
        person.pin_failures = 0
        person.pin_locked_until = None
        person.last_login_at = now
        return person
    person.pin_failures += 1
    if person.pin_failures >= config["AUTH_PIN_MAX_FAILURES"]:
        person.pin_failures = 0
        person.pin_locked_until = now + timedelta(minutes=config["AUTH_PIN_LOCK_MINUTES"])
        raise LoginError(pin_locked_message(person), "pin_locked")
    remaining = config["AUTH_PIN_MAX_FAILURES"] - person.pin_failures
    raise LoginError(
        ngettext(
            "That code is not right. %(num)d try left.",
            "That code is not right. %(num)d tries left.",
            remaining,
        ),
        "pin_wrong",
    )


def do_set_pin(person: Person, pin: str, confirm: str, set_by: Person | None = None) -> None:
    """Set a resident's 4-digit code, by the resident or by staff of their building."""
    if set_by is not None and set_by.id != person.id:
        people.check_staff_may_manage(set_by, person)
    pin = check_pin_format(pin)
    if pin != (confirm or "").strip():
        raise Invalid(str(_l("The two codes are not the same.")), "pin_mismatch")
    person.pin_hash = hash_secret(pin)
    person.pin_failures = 0
    person.pin_locked_until = None


# Staff password ------------------------------------------------------------------------


def do_login_staff(email: str, password: str) -> Person:
    """Check a staff member's email and password (argon2id, rehashed when outdated)."""
    person = people.find_staff_by_email(email or "")
    if person is None or not verify_secret(person.password_hash, password or ""):
        raise LoginError(str(_l("The email or password is not right.")))
    if not person.active:
        raise LoginError(str(_l("This account is closed.")), "inactive")
    if _hasher().check_needs_rehash(person.password_hash or ""):
        person.password_hash = hash_secret(password)
    person.last_login_at = utcnow()
    return person


def do_set_password(person: Person, password: str) -> None:
    """Set a staff member's password (hashed with argon2id), 12 characters at least."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            str(_l("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)),
            "password_too_short",
        )
    person.password_hash = hash_secret(password)


# Ending sessions -----------------------------------------------------------------------


def do_end_sessions(person: Person) -> None:
    """Log the person out everywhere: every session and every open socket."""
    _bump_session_version(person)
    _disconnect_after_commit(person)


def _bump_session_version(person: Person) -> None:
    person.session_version += 1
    realtime.publish(realtime.SESSION_ENDED_EVENT, {}, to=realtime.user_room(person.id))


def _disconnect_after_commit(person: Person) -> None:
    """Close the person's open sockets once the new session version is saved (a socket
    closed before would reconnect with the old version still valid)."""
    after_commit(partial(realtime.disconnect_room, realtime.user_room(person.id)))


def _active_cards(person: Person) -> list[LoginCard]:
    stmt = select(LoginCard).where(LoginCard.person_id == person.id, LoginCard.revoked_at.is_(None))
    return list(db.session.scalars(stmt))


def _id(person: Person | None) -> int | None:
    return person.id if person is not None else None
