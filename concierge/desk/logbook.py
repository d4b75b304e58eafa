"""The dwelling logbook (carnet de santé du logement): every intervention, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from concierge.desk import access as desk
from concierge.desk.models import LogbookDocument, LogbookEntry, LogbookKind, Ticket
from portal.errors import DomainError, Invalid, NotFound
from portal.extensions import db
from portal.people.models import Dwelling, Person
from portal.uploads import check_size, discard_on_rollback, new_name, store_image, upload_dir
from portal.validation import BAD_DAY, as_day

MAX_TITLE = 200
MAX_BODY = 5000
MAX_DOCUMENTS = 5
PDF_MAGIC = b"%PDF-"
PDF_TYPE = "application/pdf"

# The kinds staff may write; TICKET entries are written when a report is resolved.
STAFF_KINDS = [k for k in LogbookKind if k != LogbookKind.TICKET]


def entry_title(entry: LogbookEntry) -> str:
    """A ticket's entry is titled in the reader's language; others as the staff wrote them."""
    if entry.kind == LogbookKind.TICKET and entry.ticket_id is not None:
        ticket = entry.ticket
        if ticket is not None:
            return _("Report resolved: %(category)s", category=ticket.category.label)
    return entry.title


# Checks ---------------------------------------------------------------------------------


def check_kind(value: Any) -> LogbookKind:
    """One of the kinds staff may write (a report's entry is written by the desk itself)."""
    try:
        kind = LogbookKind(value)
    except ValueError as exc:
        raise Invalid(_("Please choose one of the kinds shown."), "bad_kind") from exc
    if kind == LogbookKind.TICKET:
        raise Invalid(_("Please choose one of the kinds shown."), "bad_kind")
    return kind


def check_title(title: str | None) -> str:
    """A title, present and not too long."""
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise Invalid(_("Give a title of at most %(num)d characters.", num=MAX_TITLE), "bad_title")
    return title


def check_body(body: str | None) -> str:
    """What was done, not too long (may be empty)."""
    body = (body or "").strip()
    if len(body) > MAX_BODY:
        raise Invalid(_("Please keep it under %(num)d characters.", num=MAX_BODY), "too_long")
    return body


def check_day(day: Any) -> date:
    """The day of the intervention (a date, not a moment), in a year a person could mean."""
    if not isinstance(day, date) or isinstance(day, datetime):
        raise Invalid(_("Please give the date of the intervention."), "bad_date")
    if as_day(day) is None:
        raise Invalid(str(BAD_DAY), "bad_date")
    return day


def store_document(data: bytes) -> tuple[str, str]:
    """A PDF (checked by its magic bytes) kept as sent, or a photo re-encoded without
    metadata; both under a server-made name. Returns (file name, MIME type)."""
    check_size(data, current_app.config["CONCIERGE_MAX_DOCUMENT_BYTES"])
    if data.startswith(PDF_MAGIC):
        name = new_name("pdf")
        discard_on_rollback(upload_dir() / name)
        (upload_dir() / name).write_bytes(data)
        return name, PDF_TYPE
    limit = min(current_app.config["CONCIERGE_MAX_DOCUMENT_BYTES"], desk.max_photo_bytes())
    try:
        stored = store_image(data, limit)
    except DomainError as error:
        if error.code != "bad_type":
            raise
        # Say what a logbook accepts, not only that it is not a photo.
        raise Invalid(_("Only photos and PDF documents can be added."), "bad_type") from error
    return stored.file_name, stored.mime_type


# Writing --------------------------------------------------------------------------------


def do_add_entry(
    staff: Person,
    dwelling_id: int,
    *,
    kind: Any,
    title: str | None,
    happened_on: Any,
    body: str | None = "",
    documents: Iterable[tuple[str, bytes]] = (),
) -> LogbookEntry:
    """Staff write an intervention in a dwelling's logbook, with photos and PDFs."""
    dwelling = desk.access_staff_dwelling(staff, dwelling_id)
    kind, title = check_kind(kind), check_title(title)
    body, day = check_body(body), check_day(happened_on)
    files = [(name, data) for name, data in documents if data]
    if len(files) > MAX_DOCUMENTS:
        raise Invalid(
            _("You can add up to %(num)d documents.", num=MAX_DOCUMENTS), "too_many_documents"
        )
    entry = LogbookEntry(
        dwelling_id=dwelling.id,
        kind=kind,
        title=title,
        body=body,
        happened_on=day,
        author_id=staff.id,
    )
    for original, data in files:
        file_name, mime_type = store_document(data)
        entry.documents.append(
            LogbookDocument(
                file_name=file_name, mime_type=mime_type, title=(original or "").strip()[:MAX_TITLE]
            )
        )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_ticket_resolution(ticket: Ticket, staff: Person, resolution: str, now: datetime) -> None:
    """Write (or rewrite, after a reopening) the ticket's entry, in the caller's transaction."""
    assert ticket.dwelling_id is not None
    stmt = select(LogbookEntry).where(LogbookEntry.ticket_id == ticket.id)
    entry = db.session.scalars(stmt).first()
    if entry is None:
        entry = LogbookEntry(
            dwelling_id=ticket.dwelling_id, kind=LogbookKind.TICKET, ticket_id=ticket.id
        )
        db.session.add(entry)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # the stored fallback
        entry.title = _("Report resolved: %(category)s", category=ticket.category.label)
    entry.body = resolution or ticket.description
    entry.happened_on = now.astimezone(desk.building_zone(ticket.building_id)).date()
    entry.author_id = staff.id


# Reading --------------------------------------------------------------------------------


def list_entries(person: Person, dwelling_id: int) -> tuple[Dwelling, list[LogbookEntry]]:
    """The dwelling's logbook, newest first, for its residents and its building's staff."""
    dwelling = desk.access_dwelling(person, dwelling_id)
    stmt = (
        select(LogbookEntry)
        .where(LogbookEntry.dwelling_id == dwelling.id)
        .order_by(LogbookEntry.happened_on.desc(), LogbookEntry.id.desc())
        .options(selectinload(LogbookEntry.documents), joinedload(LogbookEntry.ticket))
    )
    return dwelling, list(db.session.scalars(stmt))


def access_document(person: Person, document_id: int) -> LogbookDocument:
    """A logbook document, for those who may read its dwelling's logbook."""
    document = db.session.get(LogbookDocument, document_id)
    if document is None:
        raise NotFound(_("This document does not exist."))
    desk.access_dwelling(person, document.entry.dwelling_id)
    return document


def download_name(document: LogbookDocument) -> str:
    """The name a PDF is saved under: made by the server, never the uploader's file name."""
    return f"logbook-{document.entry_id}-{document.id}.pdf"
