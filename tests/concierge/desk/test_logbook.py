"""The dwelling logbook: staff entries with photos and PDFs, residents read their own."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from concierge.desk import logbook, tickets
from concierge.desk.models import LogbookKind
from portal.people.models import Role
from portal.uploads import path_of
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (60, 40), "#448844")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.fixture
def resident(building):
    return make_resident(building)


def add(staff, dwelling_id, **kwargs):
    fields = {
        "kind": "boiler",
        "title": "Entretien annuel de la chaudière",
        "happened_on": date(2026, 1, 15),
        "body": "RAS",
        **kwargs,
    }
    return logbook.do_add_entry(staff, dwelling_id, **fields)


def test_entries_newest_first_with_documents(concierge, resident):
    add(
        concierge,
        resident.dwelling_id,
        happened_on=date(2025, 6, 1),
        kind="inspection",
        title="Diagnostic",
    )
    boiler = add(
        concierge,
        resident.dwelling_id,
        documents=[("attestation.pdf", PDF), ("photo.jpg", jpeg_with_exif())],
    )
    works = add(
        concierge,
        resident.dwelling_id,
        happened_on=date(2026, 3, 2),
        kind="renovation",
        title="Isolation des combles",
    )
    _dwelling, entries = logbook.list_entries(resident, resident.dwelling_id)
    assert [e.title for e in entries] == [works.title, boiler.title, "Diagnostic"]
    pdf, photo = boiler.documents
    assert pdf.mime_type == "application/pdf" and pdf.title == "attestation.pdf"
    assert path_of(pdf.file_name).read_bytes() == PDF and pdf.file_name != "attestation.pdf"
    assert photo.mime_type == "image/jpeg"
    assert b"SecretCamera" not in path_of(photo.file_name).read_bytes()


def test_bad_entries_and_documents_are_refused(concierge, resident, app):
    dwelling_id = resident.dwelling_id
    assert code(add, concierge, dwelling_id, kind="ticket") == "bad_kind"
    assert code(add, concierge, dwelling_id, title=" ") == "bad_title"
    assert code(add, concierge, dwelling_id, happened_on=None) == "bad_date"
    assert code(add, concierge, dwelling_id, documents=[("x.exe", b"MZ\x90\x00")]) == "bad_type"
    assert code(add, concierge, dwelling_id, documents=[("a.pdf", PDF)] * 6) == (
        "too_many_documents"
    )
    app.config["CONCIERGE_MAX_DOCUMENT_BYTES"] = 20
    assert code(add, concierge, dwelling_id, documents=[("a.pdf", PDF)]) == "too_large"
    assert logbook.list_entries(concierge, dwelling_id)[1] == []


def test_only_staff_write_and_only_the_dwelling_reads(concierge, resident, building):
    neighbour = make_resident(building)
    other_concierge = make_staff(Role.CONCIERGE, [make_building()])
    assert code(add, resident, resident.dwelling_id) == "not_found"
    assert code(add, other_concierge, resident.dwelling_id) == "not_found"
    entry = add(concierge, resident.dwelling_id, documents=[("a.pdf", PDF)])
    assert code(logbook.list_entries, neighbour, resident.dwelling_id) == "not_found"
    assert code(logbook.access_document, neighbour, entry.documents[0].id) == "not_found"
    assert logbook.access_document(resident, entry.documents[0].id).entry_id == entry.id


def test_resolved_ticket_appears_in_the_logbook_in_the_readers_language(concierge, resident, app):
    ticket = tickets.do_create_ticket(resident, category="water", description="Fuite")
    tickets.do_change_status(concierge, ticket.id, "resolved", "Joint changé")
    _dwelling, entries = logbook.list_entries(resident, resident.dwelling_id)
    assert [(e.kind, e.ticket_id, e.body) for e in entries] == [
        (LogbookKind.TICKET, ticket.id, "Joint changé")
    ]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert logbook.entry_title(entries[0]) == "Report resolved: Water, leak"
