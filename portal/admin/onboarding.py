"""Onboarding residents: by hand or from a CSV file (preview, then all-or-nothing import)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, Protocol, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import service as audit
from portal.auth import service as auth
from portal.auth.models import LoginCard
from portal.db import begin_write
from portal.errors import DomainError, Invalid, PermissionDenied
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Building, Dwelling, DwellingType, Person, Role
from portal.validation import as_id

MAX_FILE_BYTES = 256 * 1024
MAX_LINES = 2000
MAX_CARDS = 200
LANGUAGES = ("fr", "en", "ar")
DEFAULT_KIND = DwellingType.T2
ONBOARDING_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER})
PHONE_PATTERN = re.compile(r"^[0-9+().\- ]{0,40}$")
FIRST_BIRTH_YEAR = 1900
LANGUAGE_ALIASES = {
    "fr": "fr",
    "francais": "fr",
    "french": "fr",
    "en": "en",
    "anglais": "en",
    "english": "en",
    "ar": "ar",
    "arabe": "ar",
    "arabic": "ar",
}

# Column -> the header names accepted for it (lower case, without accents).
RESIDENT_ALIASES: dict[str, tuple[str, ...]] = {
    "number": (
        "dwelling",
        "dwelling number",
        "logement",
        "numero de logement",
        "numero",
        "n logement",
        "no logement",
        "appartement",
    ),
    "floor": ("floor", "etage"),
    "kind": ("type", "dwelling type", "type de logement"),
    "first_name": ("first name", "firstname", "prenom"),
    "last_name": ("last name", "lastname", "surname", "nom", "nom de famille"),
    "birth_year": ("birth year", "year of birth", "annee de naissance", "naissance"),
    "phone": ("phone", "telephone", "tel"),
    "language": ("language", "langue"),
}


@dataclass(frozen=True)
class CsvColumns:
    """What a kind of CSV file holds: its columns' header names, their order in a file
    without a header line (the optional type column third), the columns it needs."""

    aliases: dict[str, tuple[str, ...]]
    positional: tuple[str, ...]
    required: tuple[str, ...]
    min_cells: int  # of the first line, in a file without a header line
    not_recognised: LazyString
    no_lines: LazyString


RESIDENT_COLUMNS = CsvColumns(
    aliases=RESIDENT_ALIASES,
    positional=(
        "number",
        "floor",
        "kind",
        "first_name",
        "last_name",
        "birth_year",
        "phone",
        "language",
    ),
    required=("number", "floor", "first_name", "last_name"),
    min_cells=7,
    not_recognised=_l(
        "The columns were not recognised. The first line should be: dwelling; floor; "
        "type; first name; last name; birth year; phone; language."
    ),
    no_lines=_l("The file has no resident."),
)


class ImportRefused(DomainError):
    """The file or a line of it cannot be imported; nothing was written."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__(" ".join(messages), "import_refused")
        self.messages = list(messages)


class CheckedLine(Protocol):
    line: int
    errors: list[str]


LineT = TypeVar("LineT", bound=CheckedLine)


@dataclass(frozen=True)
class Preview(Generic[LineT]):
    """What an import would do; nothing is written until staff confirm."""

    lines: list[LineT]
    file_errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.file_errors and bool(self.lines) and not self.bad_lines

    @property
    def bad_lines(self) -> int:
        return sum(1 for r in self.lines if r.errors)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + self.bad_lines

    def refusal(self) -> ImportRefused:
        """Why nothing is imported: the file's problems, or how many lines have one."""
        return ImportRefused(self.file_errors or [_lines_refused(self.bad_lines)])


@dataclass
class ResidentLine:
    """One resident to create, as read from a line of the file or from the form."""

    line: int
    number: str
    floor: int | None
    kind: DwellingType | None
    first_name: str
    last_name: str
    birth_year: int | None
    phone: str
    language: str | None
    errors: list[str] = field(default_factory=list)
    new_dwelling: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ImportPreview(Preview[ResidentLine]):
    """The residents of a file, and the dwellings it would add."""

    @property
    def new_dwellings(self) -> list[str]:
        return sorted({r.number for r in self.lines if r.new_dwelling})


# Access ---------------------------------------------------------------------------------


def may_onboard(actor: Person, building: Building) -> bool:
    """Coordinators of the building and managers of its organisation add residents."""
    return (
        actor.role in ONBOARDING_ROLES
        and actor.active
        and building.id in people.building_ids_for(actor)
    )


def check_may_onboard(actor: Person, building: Building) -> None:
    """Refuse (403) anyone who may not add residents to this building."""
    if not may_onboard(actor, building):
        raise PermissionDenied()


def access_onboarding_building(actor: Person, building_id: int) -> Building:
    """A building the actor may add residents to; to anyone else its pages do not exist."""
    building = people.access_building(actor, building_id)
    if not may_onboard(actor, building):
        raise people.not_found()
    return building


def messages_of(error: DomainError) -> list[str]:
    """What a refusal says, one message per problem (a refused file lists each line's)."""
    return error.messages if isinstance(error, ImportRefused) else [error.message]


# Reading the file -----------------------------------------------------------------------


def decode_upload(data: bytes) -> str:
    """The text of an uploaded CSV file (UTF-8, with or without BOM), or a clear refusal."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(
            [str(_l("The file is too large (more than %(num)d kB).", num=MAX_FILE_BYTES // 1024))]
        )
    if not data.strip():
        raise ImportRefused([str(_l("The file is empty."))])
    if b"\x00" in data:
        raise ImportRefused([not_csv_message()])
    try:
        return normalise_newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportRefused([not_csv_message()]) from None


def normalise_newlines(text: str) -> str:
    """One kind of line end: browsers send a form's text back with CRLF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def not_csv_message() -> str:
    return str(
        _l(
            "This file is not a CSV text file in UTF-8. In your spreadsheet, choose "
            "“Save as” then “CSV UTF-8”."
        )
    )


def plain_words(text: str) -> str:
    """Lower case, without accents, punctuation or extra spaces: for matching names."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", letters).split())


def separator_of(text: str) -> str:
    """French spreadsheets write `;`, others `,`: the first line tells which."""
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return ";" if first.count(";") >= first.count(",") and ";" in first else ","


def _header_map(cells: list[str], columns: CsvColumns) -> dict[str, int] | None:
    """Column positions if the first line names the columns (three of them, or every
    required one), else None."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = plain_words(cell)
        for column, aliases in columns.aliases.items():
            if name in aliases and column not in found:
                found[column] = index
    return found if len(found) >= 3 or set(columns.required) <= set(found) else None


def read_rows(text: str, columns: CsvColumns) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The non-empty lines as {column: cell} with their line number, and file errors."""
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator_of(text)))
    except csv.Error:
        return [], [not_csv_message()]
    numbered = [(i, row) for i, row in enumerate(table, start=1) if any(c.strip() for c in row)]
    if not numbered:
        return [], [str(_l("The file is empty."))]
    header = _header_map(numbered[0][1], columns)
    if header is not None:
        numbered = numbered[1:]
        if not set(columns.required) <= set(header):
            return [], [str(columns.not_recognised)]
    else:
        header = {name: i for i, name in enumerate(columns.positional)}
        if len(numbered[0][1]) < columns.min_cells:
            return [], [str(columns.not_recognised)]
    if len(numbered) > MAX_LINES:
        message = _l(
            "The file has %(num)d lines: at most %(max)d at a time. Please split it.",
            num=len(numbered),
            max=MAX_LINES,
        )
        return [], [str(message)]
    if not numbered:
        return [], [str(columns.no_lines)]
    return [(line, _cells(row, header, columns)) for line, row in numbered], []


def _cells(row: list[str], header: dict[str, int], columns: CsvColumns) -> dict[str, str]:
    positional = {name: i for i, name in enumerate(columns.positional)}
    # One cell short, in the columns' own order: the optional type column was left out.
    if len(row) == len(positional) - 1 and header == positional:
        row = [*row[:2], "", *row[2:]]
    return {name: row[i].strip() if i < len(row) else "" for name, i in header.items()}


# Checking one resident ------------------------------------------------------------------


def parse_line(line: int, cells: dict[str, str]) -> ResidentLine:
    """Check each cell of a line; every problem becomes a translated message."""
    errors: list[str] = []
    number = parse_number(cells.get("number", ""), errors)
    first_name, last_name = cells.get("first_name", ""), cells.get("last_name", "")
    if not first_name:
        errors.append(str(_l("The first name is missing.")))
    if not last_name:
        errors.append(str(_l("The last name is missing.")))
    if len(first_name) > 100 or len(last_name) > 100:
        errors.append(str(_l("The name is too long (100 characters at most).")))
    return ResidentLine(
        line=line,
        number=number,
        floor=parse_floor(cells.get("floor", ""), errors),
        kind=parse_kind(cells.get("kind", ""), errors),
        first_name=first_name,
        last_name=last_name,
        birth_year=_birth_year(cells.get("birth_year", ""), errors),
        phone=_phone(cells.get("phone", ""), errors),
        language=_language(cells.get("language", ""), errors),
        errors=errors,
    )


def parse_number(text: str, errors: list[str]) -> str:
    if not text:
        errors.append(str(_l("The dwelling number is missing.")))
    elif len(text) > 20:
        errors.append(str(_l("The dwelling number is too long (20 characters at most).")))
    return text


def parse_floor(text: str, errors: list[str]) -> int | None:
    try:
        floor = int(text)
    except ValueError:
        floor = None
    if floor is None or not -5 <= floor <= 99:
        errors.append(str(_l("The floor must be a whole number (0 for the ground floor).")))
        return None
    return floor


def parse_kind(text: str, errors: list[str]) -> DwellingType | None:
    if not text:
        return None
    try:
        return DwellingType(text.strip().upper())
    except ValueError:
        errors.append(str(_l("The dwelling type must be T1, T2, T3, T4 or T5.")))
        return None


def _birth_year(text: str, errors: list[str]) -> int | None:
    if not text:
        return None
    this_year = date.today().year
    year = as_id(text)  # ASCII digits only: "²" is a digit to str.isdigit, not to int
    if year is not None and FIRST_BIRTH_YEAR <= year <= this_year:
        return year
    errors.append(str(_l("The birth year “%(value)s” is not a year like 1942.", value=text[:20])))
    return None


def _phone(text: str, errors: list[str]) -> str:
    if not PHONE_PATTERN.match(text):
        errors.append(
            str(_l("The phone number may only hold digits, spaces and + . - ( ), 40 at most."))
        )
        return ""
    return text


def _language(text: str, errors: list[str]) -> str | None:
    if not text:
        return None
    code = LANGUAGE_ALIASES.get(plain_words(text))
    if code is None:
        errors.append(
            str(_l("The language “%(value)s” is not known: write fr, en or ar.", value=text[:20]))
        )
    return code


# Checking the lines together ------------------------------------------------------------


def _person_key(first_name: str, last_name: str, birth_year: int | None) -> tuple[str, str, str]:
    return plain_words(first_name), plain_words(last_name), str(birth_year or "")


def check_against_building(lines: Iterable[ResidentLine], building: Building) -> None:
    """Duplicates, conflicting floors and people already living in the building."""
    dwellings = {d.number.casefold(): d for d in _dwellings_of(building)}
    existing = {
        _person_key(p.first_name, p.last_name, p.birth_year): p
        for p in people.list_residents(building)
    }
    seen_people: dict[tuple[str, str, str], int] = {}
    seen_floors: dict[str, tuple[int, int | None, DwellingType | None]] = {}
    for row in lines:
        _check_person(row, existing, seen_people)
        if row.number and row.floor is not None:
            _check_dwelling(row, dwellings.get(row.number.casefold()), seen_floors)


def _check_person(
    row: ResidentLine,
    existing: dict[tuple[str, str, str], Person],
    seen: dict[tuple[str, str, str], int],
) -> None:
    if not row.first_name or not row.last_name:
        return
    key = _person_key(row.first_name, row.last_name, row.birth_year)
    if key in seen:
        row.errors.append(str(_l("Same person as line %(line)d.", line=seen[key])))
    else:
        seen[key] = row.line
    if key in existing:
        row.errors.append(str(_l("This person already lives in the building.")))


def _check_dwelling(
    row: ResidentLine,
    dwelling: Dwelling | None,
    seen: dict[str, tuple[int, int | None, DwellingType | None]],
) -> None:
    if dwelling is not None:
        if dwelling.floor != row.floor:
            row.errors.append(_floor_conflict(row.number, dwelling.floor, row.floor))
        elif row.kind is not None and row.kind != dwelling.kind:
            message = _l(
                "Dwelling %(number)s is a %(kind)s, not a %(given)s.",
                number=dwelling.number,
                kind=dwelling.kind.value,
                given=row.kind.value,
            )
            row.errors.append(str(message))
        return
    row.new_dwelling = True
    key = row.number.casefold()
    if key not in seen:
        seen[key] = (row.line, row.floor, row.kind)
        return
    first_line, floor, kind = seen[key]
    if floor != row.floor:
        message = _l(
            "Dwelling %(number)s is given another floor on line %(line)d.",
            number=row.number,
            line=first_line,
        )
        row.errors.append(str(message))
    elif kind is not None and row.kind is not None and kind != row.kind:
        message = _l(
            "Dwelling %(number)s is given another type on line %(line)d.",
            number=row.number,
            line=first_line,
        )
        row.errors.append(str(message))


def _floor_conflict(number: str, floor: int, given: int | None) -> str:
    message = _l(
        "Dwelling %(number)s is on floor %(floor)d, not %(given)s.",
        number=number,
        floor=floor,
        given=given,
    )
    return str(message)


def _dwellings_of(building: Building) -> list[Dwelling]:
    return list(db.session.scalars(select(Dwelling).where(Dwelling.building_id == building.id)))


def preview_import(building: Building, text: str) -> ImportPreview:
    """Read and check the whole file against the building as it is now."""
    rows, file_errors = read_rows(text, RESIDENT_COLUMNS)
    if file_errors:
        return ImportPreview([], file_errors)
    lines = [parse_line(line, cells) for line, cells in rows]
    check_against_building(lines, building)
    return ImportPreview(lines, [])


# Keeping the file between preview and confirm -------------------------------------------


def sign_content(actor: Person, building: Building, text: str) -> str:
    """An HMAC that ties the previewed text to this staff member and building."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"onboarding:{actor.id}:{building.id}:".encode() + text.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_signed(actor: Person, building: Building, text: str, signature: str) -> str:
    """The text, if it is exactly what the server previewed for this person and building."""
    text = normalise_newlines(text)
    expected = sign_content(actor, building, text).encode()
    # Bytes: compare_digest refuses a str with characters outside ASCII (a forged signature).
    if not hmac.compare_digest(expected, (signature or "").encode("utf-8", "replace")):
        raise ImportRefused(
            [str(_l("The file could not be checked again. Please choose it once more."))]
        )
    return text


# Writing --------------------------------------------------------------------------------


def do_import(actor: Person, building: Building, text: str) -> list[Person]:
    """Create every resident of the file, and their new dwellings, or nothing at all."""
    check_may_onboard(actor, building)
    if len(text.encode()) > MAX_FILE_BYTES:
        raise ImportRefused([str(_l("The file is too large."))])
    begin_write(db.session)
    preview = preview_import(building, text)
    if not preview.ok:
        raise preview.refusal()
    try:
        created = _create_all(actor, building, preview.lines)
    except IntegrityError:
        # Another staff member added the same dwelling meanwhile: the request undoes it all.
        raise ImportRefused([changed_meanwhile_message()]) from None
    audit.record(
        "residents.imported",
        actor=actor,
        building_id=building.id,
        detail={"count": len(created), "dwellings": len(preview.new_dwellings)},
    )
    return created


def changed_meanwhile_message() -> str:
    return str(_l("The building changed at the same moment. Please check the file again."))


def _lines_refused(count: int) -> str:
    return str(
        ngettext(
            "%(num)d line has a problem: nothing was imported. Please correct the file.",
            "%(num)d lines have a problem: nothing was imported. Please correct the file.",
            count,
        )
    )


def _create_all(actor: Person, building: Building, lines: list[ResidentLine]) -> list[Person]:
    dwellings = {d.number.casefold(): d for d in _dwellings_of(building)}
    created: list[Person] = []
    for row in lines:
        key = row.number.casefold()
        if key not in dwellings:
            dwellings[key] = new_dwelling(building, row.number, row.floor, row.kind)
            db.session.add(dwellings[key])
        created.append(_new_resident(building, dwellings[key], row))
    db.session.flush()
    return created


def new_dwelling(
    building: Building, number: str, floor: int | None, kind: DwellingType | None
) -> Dwelling:
    """A dwelling of a checked line (or form): the ground floor and a T2 unless told."""
    return Dwelling(building=building, number=number, floor=floor or 0, kind=kind or DEFAULT_KIND)


def _new_resident(building: Building, dwelling: Dwelling, row: ResidentLine) -> Person:
    return people.add_person(
        organisation=building.organisation,
        role=Role.RESIDENT,
        first_name=row.first_name,
        last_name=row.last_name,
        dwelling=dwelling,
        birth_year=row.birth_year,
        phone=row.phone,
        locale=row.language,
    )


@dataclass(frozen=True)
class NewResident:
    """What the staff form gives for one resident."""

    first_name: str
    last_name: str
    birth_year: str
    phone: str
    language: str
    dwelling_id: int | None
    number: str = ""
    floor: str = ""
    kind: str = ""
    easy_read: bool = False  # easy-to-read pages from the first login, if they wish


def do_create_resident(actor: Person, building: Building, data: NewResident) -> Person:
    """Create one resident in an existing dwelling of the building, or in a new one."""
    check_may_onboard(actor, building)
    begin_write(db.session)
    row = _line_from_form(building, data)
    check_against_building([row], building)
    if not row.ok:
        raise ImportRefused(row.errors)
    person = _create_all(actor, building, [row])[0]
    person.easy_read = data.easy_read
    audit.record("person.created", actor=actor, subject=person)
    return person


def _line_from_form(building: Building, data: NewResident) -> ResidentLine:
    cells = {
        "first_name": data.first_name.strip(),
        "last_name": data.last_name.strip(),
        "birth_year": data.birth_year.strip(),
        "phone": data.phone.strip(),
        "language": data.language.strip(),
    }
    if data.dwelling_id is not None:
        dwelling = db.session.get(Dwelling, data.dwelling_id)
        if dwelling is None or dwelling.building_id != building.id:
            raise ImportRefused([str(_l("Please choose a dwelling of this building."))])
        cells |= {"number": dwelling.number, "floor": str(dwelling.floor), "kind": ""}
    else:
        cells |= {
            "number": data.number.strip(),
            "floor": data.floor.strip(),
            "kind": data.kind.strip(),
        }
    return parse_line(1, cells)


# Login cards in bulk ----------------------------------------------------------------------


def card_holder_ids(building: Building) -> set[int]:
    """Residents of the building who hold an active login card."""
    stmt = (
        select(LoginCard.person_id)
        .join(Person, Person.id == LoginCard.person_id)
        .where(Person.building_id == building.id, LoginCard.revoked_at.is_(None))
    )
    return set(db.session.scalars(stmt))


def list_card_targets(
    actor: Person, building: Building, person_ids: Iterable[int] | None
) -> list[Person]:
    """The active residents to print for: those chosen, or (None) all without a card."""
    check_may_print(actor, building)
    residents = [p for p in people.list_residents(building) if p.active]
    if person_ids is None:
        holders = card_holder_ids(building)
        chosen = [p for p in residents if p.id not in holders]
    else:
        wanted = set(person_ids)
        chosen = [p for p in residents if p.id in wanted]
        if len(chosen) != len(wanted):
            raise Invalid(str(_l("Some of the chosen residents are not in this building.")))
    if not chosen:
        raise Invalid(str(_l("Please choose at least one resident.")), "no_resident")
    if len(chosen) > MAX_CARDS:
        message = _l(
            "At most %(num)d cards at a time. Please choose fewer residents.", num=MAX_CARDS
        )
        raise Invalid(str(message))
    return chosen


def check_may_print(actor: Person, building: Building) -> None:
    """Every staff member of the building prints cards, as for one card."""
    if not actor.is_staff or building.id not in people.building_ids_for(actor):
        raise PermissionDenied()


def do_issue_cards(actor: Person, building: Building, residents: list[Person]) -> list[str]:
    """A new card for each resident (their old one stops working); returns the tokens."""
    check_may_print(actor, building)
    tokens = auth.issue_cards(residents, actor)
    detail = {"count": len(tokens)}
    audit.record("cards.printed", actor=actor, building_id=building.id, detail=detail)
    return tokens
