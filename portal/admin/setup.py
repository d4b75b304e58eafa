"""A landlord starts without the demo: its organisation and first manager (a command), then
in the pages its buildings, their dwellings (one by one or from a CSV file, previewed then
all or nothing) and its staff, each invited by email."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.admin.onboarding import (
    LANGUAGES,
    CsvColumns,
    ImportRefused,
    Preview,
    changed_meanwhile_message,
    new_dwelling,
    parse_floor,
    parse_kind,
    parse_number,
    read_rows,
)
from portal.audit import service as audit
from portal.auth import links
from portal.db import begin_write
from portal.errors import Conflict, Invalid, NotFound, PermissionDenied
from portal.extensions import db
from portal.people import service as people
from portal.people.models import (
    STAFF_ROLES,
    Building,
    Dwelling,
    DwellingType,
    Organisation,
    Person,
    Role,
)

WEEKDAYS = tuple(range(7))
DWELLING_COLUMNS = CsvColumns(
    aliases={
        "number": (
            "dwelling",
            "number",
            "logement",
            "numero",
            "numero de logement",
            "appartement",
        ),
        "floor": ("floor", "etage"),
        "kind": ("type", "dwelling type", "type de logement"),
    },
    positional=("number", "floor", "kind"),
    required=("number", "floor"),
    min_cells=2,
    not_recognised=_l(
        "The columns were not recognised. The first line should be: dwelling; floor; type."
    ),
    no_lines=_l("The file has no dwelling."),
)


# Access ---------------------------------------------------------------------------------


def check_manager(actor: Person) -> None:
    """Buildings and staff are the landlord's managers' to set up."""
    if actor.role != Role.MANAGER or not actor.active:
        raise PermissionDenied()


def check_manages(actor: Person, building: Building) -> None:
    """A manager of the building's own organisation (403 for anyone else)."""
    check_manager(actor)
    if building.organisation_id != actor.organisation_id:
        raise PermissionDenied()


def access_managed_building(actor: Person, building_id: int) -> Building:
    """A building of the manager's own organisation (404 for any other)."""
    check_manager(actor)
    building = people.get_building(building_id)
    if building is None or building.organisation_id != actor.organisation_id:
        raise NotFound(str(_l("This building does not exist.")))
    return building


# The organisation and its first manager -------------------------------------------------


def check_email(email: str) -> str:
    """A deliverable-looking address, normalised; refused with a clear message otherwise."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(str(_l("This email address is not valid."))) from None


def check_email_free(email: str) -> None:
    taken = db.session.scalar(select(Person.id).where(func.lower(Person.email) == email))
    if taken is not None:
        raise Conflict(str(_l("Someone already has an account with this email address.")))


def names_from_email(email: str) -> tuple[str, str]:
    """A first guess at a name ("claire.martin@…" → Claire, Martin); they correct it."""
    words = [w for w in email.split("@", 1)[0].replace("_", ".").replace("-", ".").split(".") if w]
    first = words[0].capitalize() if words else "?"
    last = " ".join(w.capitalize() for w in words[1:]) or first
    return first, last


def do_create_organisation(name: str, manager_email: str) -> tuple[Organisation, Person, str]:
    """The landlord and its first manager, with a set-up link (48 hours) for the manager."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise Invalid(str(_l("Give the organisation a name (200 characters at most).")))
    email = check_email(manager_email)
    if db.session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise Conflict(str(_l("An organisation already has this name.")))
    check_email_free(email)
    organisation = people.do_create_organisation(name)
    first, last = names_from_email(email)
    manager = people.do_create_person(
        organisation=organisation, role=Role.MANAGER, first_name=first, last_name=last, email=email
    )
    token = links.do_issue_link(manager, links.LinkPurpose.SETUP)
    audit.record("organisation.created", actor=None, subject=manager, detail={"name": name})
    return organisation, manager, token


# Buildings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildingData:
    """What the building form says."""

    name: str
    address: str
    time_zone: str
    concierge_phone: str
    concierge_hours: str
    desk_opens: int
    desk_closes: int
    desk_days: tuple[int, ...]


def check_building_data(data: BuildingData) -> BuildingData:
    """Every field in range, with one translated message per problem."""
    errors: list[str] = []
    if not data.name.strip() or len(data.name) > 200:
        errors.append(str(_l("Give the building a name (200 characters at most).")))
    if len(data.address) > 300:
        errors.append(str(_l("The address is too long (300 characters at most).")))
    if data.time_zone not in available_timezones():
        errors.append(str(_l("Choose a time zone from the list.")))
    if not (0 <= data.desk_opens < data.desk_closes <= 24):
        errors.append(str(_l("The desk must close after it opens, between 0 and 24 h.")))
    if not data.desk_days or not set(data.desk_days) <= set(WEEKDAYS):
        errors.append(str(_l("Choose at least one day the desk is open.")))
    if len(data.concierge_phone) > 40 or len(data.concierge_hours) > 200:
        errors.append(str(_l("The desk's phone or hours are too long.")))
    if errors:
        raise ImportRefused(errors)
    return data


def _apply(building: Building, data: BuildingData) -> None:
    building.name = " ".join(data.name.split())
    building.address = data.address.strip()
    building.time_zone = data.time_zone
    building.concierge_phone = data.concierge_phone.strip()
    building.concierge_hours = data.concierge_hours.strip()
    building.desk_opens, building.desk_closes = data.desk_opens, data.desk_closes
    building.desk_days = ",".join(str(d) for d in sorted(set(data.desk_days)))


def do_create_building(actor: Person, data: BuildingData) -> Building:
    check_manager(actor)
    check_building_data(data)
    building = Building(organisation_id=actor.organisation_id)
    _apply(building, data)
    db.session.add(building)
    db.session.flush()
    audit.record("building.created", actor=actor, building_id=building.id)
    return building


def do_update_building(actor: Person, building: Building, data: BuildingData) -> Building:
    check_manages(actor, building)
    check_building_data(data)
    _apply(building, data)
    db.session.flush()
    audit.record("building.updated", actor=actor, building_id=building.id)
    return building


def desk_days_of(building: Building) -> tuple[int, ...]:
    return tuple(int(d) for d in building.desk_days.split(",") if d.strip().isdigit())


def list_buildings(actor: Person) -> list[tuple[Building, int, int]]:
    """The organisation's buildings, each with its number of dwellings and residents."""
    check_manager(actor)
    return [
        (b, people.count_dwellings(b.id), people.count_residents(b.id))
        for b in people.list_buildings_for(actor)
    ]


# Dwellings ------------------------------------------------------------------------------


@dataclass
class DwellingLine:
    """One dwelling to create, as read from a line of the file or from the form."""

    line: int
    number: str
    floor: int | None
    kind: DwellingType | None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


DwellingPreview = Preview[DwellingLine]


def parse_dwelling(line: int, cells: dict[str, str]) -> DwellingLine:
    errors: list[str] = []
    return DwellingLine(
        line=line,
        number=parse_number(cells.get("number", ""), errors),
        floor=parse_floor(cells.get("floor", ""), errors),
        kind=parse_kind(cells.get("kind", ""), errors),
        errors=errors,
    )


def check_dwellings_against(lines: list[DwellingLine], building: Building) -> None:
    """A number the building has, or that the file gives twice, is refused."""
    stmt = select(Dwelling.number).where(Dwelling.building_id == building.id)
    existing = {number.casefold() for number in db.session.scalars(stmt)}
    seen: dict[str, int] = {}
    for row in lines:
        key = row.number.casefold()
        if not key:
            continue
        if key in existing:
            row.errors.append(str(_l("Dwelling %(number)s already exists.", number=row.number)))
        if key in seen:
            row.errors.append(str(_l("Same dwelling as line %(line)d.", line=seen[key])))
        else:
            seen[key] = row.line


def preview_dwellings(building: Building, text: str) -> DwellingPreview:
    rows, file_errors = read_rows(text, DWELLING_COLUMNS)
    if file_errors:
        return DwellingPreview([], file_errors)
    lines = [parse_dwelling(line, cells) for line, cells in rows]
    check_dwellings_against(lines, building)
    return DwellingPreview(lines, [])


def do_import_dwellings(actor: Person, building: Building, text: str) -> list[Dwelling]:
    """Create every dwelling of the file, or none."""
    check_manages(actor, building)
    begin_write(db.session)
    preview = preview_dwellings(building, text)
    if not preview.ok:
        raise preview.refusal()
    dwellings = [new_dwelling(building, r.number, r.floor, r.kind) for r in preview.lines]
    db.session.add_all(dwellings)
    try:
        db.session.flush()
    except IntegrityError:
        raise ImportRefused([changed_meanwhile_message()]) from None
    audit.record(
        "dwellings.imported", actor=actor, building_id=building.id, detail={"count": len(dwellings)}
    )
    return dwellings


def do_add_dwelling(
    actor: Person, building: Building, number: str, floor: str, kind: str
) -> Dwelling:
    """One dwelling from the form, checked like a line of the file."""
    check_manages(actor, building)
    row = parse_dwelling(0, {"number": number.strip(), "floor": floor, "kind": kind})
    check_dwellings_against([row], building)
    if not row.ok:
        raise ImportRefused(row.errors)
    dwelling = new_dwelling(building, row.number, row.floor, row.kind)
    db.session.add(dwelling)
    db.session.flush()
    return dwelling


def list_dwellings(building: Building) -> list[tuple[Dwelling, int]]:
    """The building's dwellings by floor and number, each with how many live there."""
    stmt = select(Dwelling).where(Dwelling.building_id == building.id)
    dwellings = db.session.scalars(stmt.order_by(Dwelling.floor, Dwelling.number))
    living = (
        select(Person.dwelling_id, func.count(Person.id))
        .join(Dwelling, Dwelling.id == Person.dwelling_id)
        .where(Dwelling.building_id == building.id, Person.active.is_(True))
        .group_by(Person.dwelling_id)
    )
    counts: dict[int, int] = dict(db.session.execute(living).all())
    return [(d, counts.get(d.id, 0)) for d in dwellings]


# Staff ----------------------------------------------------------------------------------


INVITABLE_ROLES = (Role.COORDINATOR, Role.CONCIERGE, Role.MANAGER)


@dataclass(frozen=True)
class Invitation:
    email: str
    first_name: str
    last_name: str
    role: str
    language: str


def do_invite_staff(actor: Person, building: Building, data: Invitation) -> Person:
    """A staff account for the building (a manager: for the organisation) and a set-up link
    mailed to them; they choose their own password."""
    check_manages(actor, building)
    try:
        role = Role(data.role)
    except ValueError:
        raise Invalid(str(_l("Choose a role."))) from None
    if role not in INVITABLE_ROLES:
        raise Invalid(str(_l("Choose a role.")))
    email = check_email(data.email)
    check_email_free(email)
    person = people.do_create_person(
        organisation=actor.organisation,
        role=role,
        first_name=data.first_name,
        last_name=data.last_name,
        email=email,
        locale=data.language if data.language in LANGUAGES else None,
        covered_buildings=[] if role == Role.MANAGER else [building],
    )
    links.do_send_invitation(person, actor)
    audit.record("staff.invited", actor=actor, subject=person, building_id=building.id)
    return person


def do_resend_invitation(actor: Person, person: Person) -> None:
    """A new set-up link for someone who never set a password (the old one stops working)."""
    check_manager(actor)
    if person.organisation_id != actor.organisation_id or person.role not in STAFF_ROLES:
        raise NotFound(str(_l("This person does not exist.")))
    if person.password_hash is not None:
        raise Conflict(str(_l("This person has already set a password.")))
    links.do_send_invitation(person, actor)
    audit.record("staff.invitation_resent", actor=actor, subject=person)


def list_pending_invitations(building: Building) -> set[int]:
    """Staff of the building who never set a password (their invitation is still open)."""
    return {
        p.id
        for p in people.list_staff(building.id)
        if p.password_hash is None and p.email is not None
    }
