"""A resident's emergency contacts: up to three people (a relative, a neighbour) the resident
agreed we tell when they need help and nobody from the building answers.

The resident names them on their own check-in page, or their coordinator does after the
resident agreed; who recorded the agreement and when are kept. Escalation reads them
through portal.alerts.contacts (the source registered at the bottom of this module).
Like every service, this module adds and flushes; the request commits.

Data rights: the contacts are in the "wellbeing" section of the export; erasing the
resident deletes them (person_id ON DELETE CASCADE), erasing the member of staff who
recorded an agreement keeps the contact without them (SET NULL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.alerts.contacts import EmergencyAddress, register_contacts_source
from portal.audit import service as audit
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.people.models import Person, Role
from portal.validation import clean_text
from portal.wellbeing import service
from portal.wellbeing.models import ContactRelation, EmergencyContact

MAX_CONTACTS = 3
MAX_NAME = 80
MAX_PHONE_INPUT = 30  # what a person may type, spaces and dots included
CONTACT_LOCALES = ("fr", "en", "ar")


# Phone numbers --------------------------------------------------------------------------

# French overseas departments dial as their own country codes, not +33.
_OVERSEAS = {
    "0262": "262",  # La Réunion
    "0263": "262",
    "0692": "262",
    "0693": "262",
    "0269": "262",  # Mayotte
    "0639": "262",
    "0590": "590",  # Guadeloupe, Saint-Martin, Saint-Barthélemy
    "0690": "590",
    "0691": "590",
    "0594": "594",  # French Guiana
    "0694": "594",
    "0596": "596",  # Martinique
    "0696": "596",
    "0697": "596",
}
_SEPARATORS = re.compile(r"[ \u00a0.\-/()]")
_DIGITS = re.compile(r"[0-9]+")


def normalise_phone(value: str) -> str | None:
    """A phone number as E.164 (+33612345678), or None when it is not one.

    Accepted: a French number of ten digits starting 01-07 or 09 (06 12 34 56 78, with
    spaces, dots or dashes), overseas French numbers (0692…), and an international number
    written +<country><number> or 00<country><number> (8 to 15 digits). Strict on purpose:
    no letters, no extension, no short or premium numbers."""
    text = value.strip()
    if not text or len(text) > MAX_PHONE_INPUT:
        return None
    if text.startswith("+"):
        text = "00" + text[1:]  # one way to write the international prefix
    if text.startswith("00"):
        text = text.replace("(0)", "", 1)  # +44 (0)20 …: the 0 is not dialled from abroad
    digits = _SEPARATORS.sub("", text)
    if not _DIGITS.fullmatch(digits):
        return None
    if digits.startswith("00"):
        digits = digits[2:]
        if digits.startswith("330") and len(digits) == 12:
            digits = "33" + digits[3:]  # +33 0 6 12 …: nor is this one
        return _e164(digits)
    if len(digits) != 10 or digits[0] != "0":
        return None
    overseas = _OVERSEAS.get(digits[:4])
    if overseas is not None:
        return f"+{overseas}{digits[1:]}"
    return _e164("33" + digits[1:])


def _e164(digits: str) -> str | None:
    """+digits when they make a plausible E.164 number; a French one is checked closely."""
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        return None
    if digits.startswith("33"):
        national = digits[2:]
        if len(national) != 9 or national[0] not in "12345679":
            return None
    if digits.startswith("1") and len(digits) != 11:  # North America: 10 digits after +1
        return None
    return f"+{digits}"


# Checks ---------------------------------------------------------------------------------


def check_name(value: Any) -> str:
    """The contact's name: one line, 1 to 80 characters."""
    name = " ".join(clean_text(value if isinstance(value, str) else "").split())
    if not name:
        raise Invalid(_("Write the name of the person."), "name_missing")
    if len(name) > MAX_NAME:
        raise Invalid(_("Write at most %(n)d characters.", n=MAX_NAME), "name_too_long")
    return name


def check_relation(value: Any) -> ContactRelation:
    """One of the relations offered."""
    try:
        return ContactRelation(value)
    except ValueError:
        raise Invalid(_("Choose who this person is for you."), "bad_relation") from None


def check_email(value: Any) -> str | None:
    """An email address (normalised), or None when left empty."""
    text = clean_text(value if isinstance(value, str) else "").strip()
    if not text:
        return None
    try:
        found = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        found = ""
    if not found or len(found) > 254:
        raise Invalid(_("Write a full email address, like marie@example.org."), "bad_email")
    return found


def check_phone(value: Any) -> str | None:
    """A phone number as E.164, or None when left empty."""
    text = clean_text(value if isinstance(value, str) else "").strip()
    if not text:
        return None
    phone = normalise_phone(text)
    if phone is None:
        raise Invalid(
            _("Write a phone number, like 06 12 34 56 78 or +44 20 7946 0000."), "bad_phone"
        )
    return phone


def check_locale(value: Any) -> str:
    """The language we write to the contact in: French, English or Arabic."""
    if value not in CONTACT_LOCALES:
        raise Invalid(_("Choose a language."), "bad_locale")
    return str(value)


@dataclass(frozen=True)
class ContactDetails:
    """What a form sends for one contact, checked by `check_details`."""

    name: str
    relation: ContactRelation
    email: str | None
    phone: str | None
    locale: str


def check_details(name: Any, relation: Any, email: Any, phone: Any, locale: Any) -> ContactDetails:
    """Every field checked; an email or a phone number (or both) is needed."""
    details = ContactDetails(
        check_name(name),
        check_relation(relation),
        check_email(email),
        check_phone(phone),
        check_locale(locale),
    )
    if details.email is None and details.phone is None:
        raise Invalid(_("Write a phone number or an email address."), "no_way_to_reach")
    return details


# Access ---------------------------------------------------------------------------------


def access_contact(actor: Person, contact_id: int) -> EmergencyContact:
    """A contact of a resident `actor` may manage; anything else: not found."""
    contact = db.session.get(EmergencyContact, contact_id)
    if contact is None:
        raise NotFound(_("This contact does not exist."))
    try:
        service.access_self_or_resident(actor, contact.person_id)
    except NotFound:
        raise NotFound(_("This contact does not exist.")) from None
    return contact


# Reading --------------------------------------------------------------------------------


def list_contacts(actor: Person, person_id: int) -> list[EmergencyContact]:
    """The resident's contacts, in the order they were named."""
    owner = service.access_self_or_resident(actor, person_id)
    return _contacts_of(owner.id)


def _contacts_of(person_id: int) -> list[EmergencyContact]:
    stmt = (
        select(EmergencyContact)
        .where(EmergencyContact.person_id == person_id)
        .order_by(EmergencyContact.id)
    )
    return list(db.session.scalars(stmt))


def default_locale(resident: Person) -> str:
    """The language offered first for a new contact: the resident's own, when we write it."""
    return resident.locale if resident.locale in CONTACT_LOCALES else "fr"


# Writing --------------------------------------------------------------------------------


def do_add_contact(
    actor: Person,
    person_id: int,
    *,
    name: Any,
    relation: Any,
    email: Any = "",
    phone: Any = "",
    locale: Any = "fr",
    consent: bool,
    now: datetime | None = None,
) -> EmergencyContact:
    """Name an emergency contact, with the resident's agreement ticked (by the resident, or
    by the coordinator who asked them); at most three."""
    owner = service.access_self_or_resident(actor, person_id)
    if not consent:
        message = (
            _("Tick the box to say you agree.")
            if actor.id == owner.id
            else _("Tick the box to confirm that the resident agreed.")
        )
        raise Invalid(message, "consent_needed")
    details = check_details(name, relation, email, phone, locale)
    begin_write(db.session)
    # One writer at a time per resident, so two forms sent at once never make a fourth.
    db.session.execute(select(Person.id).where(Person.id == owner.id).with_for_update())
    count = db.session.scalar(
        select(func.count(EmergencyContact.id)).where(EmergencyContact.person_id == owner.id)
    )
    if int(count or 0) >= MAX_CONTACTS:
        raise Conflict(
            _("You can name up to %(n)d people. Remove one first.", n=MAX_CONTACTS), "too_many"
        )
    moment = now or utcnow()
    contact = EmergencyContact(
        person_id=owner.id,
        name=details.name,
        relation=details.relation,
        email=details.email,
        phone=details.phone,
        locale=details.locale,
        consent_recorded_at=moment,
        consent_recorded_by_id=actor.id,
        created_at=moment,
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "wellbeing.contact_added",
        actor=actor,
        subject=owner,
        object_type="emergency_contact",
        object_id=contact.id,
    )
    return contact


def do_remove_contact(actor: Person, contact_id: int) -> None:
    """Remove an emergency contact: we no longer tell this person anything."""
    begin_write(db.session)
    contact = access_contact(actor, contact_id)
    owner = db.session.get(Person, contact.person_id)
    audit.record(
        "wellbeing.contact_removed",
        actor=actor,
        subject=owner,
        object_type="emergency_contact",
        object_id=contact.id,
    )
    db.session.delete(contact)
    db.session.flush()


# The source escalation reads ------------------------------------------------------------


@register_contacts_source
def emergency_addresses(person_id: int) -> list[EmergencyAddress]:
    """The consented contacts of an active resident, as escalation writes to them."""
    person = db.session.get(Person, person_id)
    if person is None or not person.active or person.role != Role.RESIDENT:
        return []
    stmt = (
        select(EmergencyContact)
        .where(
            EmergencyContact.person_id == person_id,
            EmergencyContact.consent_recorded_at.is_not(None),
        )
        .order_by(EmergencyContact.id)
    )
    return [
        EmergencyAddress(name=c.name, email=c.email, phone=c.phone, locale=c.locale)
        for c in db.session.scalars(stmt)
    ]
