"""The "My data" export: every section, no secrets, audited; the exporter registry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from concierge.exchange import service as helping
from concierge.exchange.models import HelpRequest
from portal.audit.models import AuditEntry
from portal.datarights import export
from portal.extensions import db
from tests.datarights.world import World, build_world


@pytest.fixture
def world(app) -> World:
    return build_world()


def test_export_holds_every_section_of_the_resident(world):
    data = export.build_export(world.jeanne)
    assert {"profile", "messages", "activities", "help", "tickets", "notifications"} <= set(data)
    assert data["profile"]["first_name"] == "Jeanne"
    assert data["profile"]["display_name"] == "Jeannette"
    assert data["profile"]["has_photo"] is True
    texts = [m["text"] for m in data["messages"]]
    assert "Bonjour Paul !" in texts and "Bonjour Jeanne" not in texts
    assert all(m["conversation_id"] and m["sent_at"] for m in data["messages"])
    assert [a["activity"] for a in data["activities"]] == ["Goûter"]
    assert [r["kind"] for r in data["help"]["requests"]] == ["pharmacy"]
    assert data["help"]["requests"][0]["details"] == "Pharmacie du Centre"
    assert [r["kind"] for r in data["help"]["helped_with"]] == ["groceries"]
    assert data["help"]["offers"][0]["availability"] == "le mardi"
    assert data["notifications"]
    assert data["wellbeing"]["enrolment"]["check_time"] == "10:30:00"
    assert len(data["wellbeing"]["checkins"]) == 1
    assert [a["title"] for a in data["announcements_read"]] == ["Coupure d'eau"]
    json.dumps(data)  # JSON-ready throughout


def test_export_never_holds_secrets_or_internal_notes(world):
    text = json.dumps(export.build_export(world.jeanne), ensure_ascii=False)
    for secret in ("pin_hash", "password_hash", "token_hash", "session_version", "$argon2"):
        assert secret not in text
    assert "Locataire absente le matin" not in text  # the desk's internal note
    ticket = export.build_export(world.jeanne)["tickets"][0]
    assert ticket["description"] == "Radiateur froid"
    assert [u["text"] for u in ticket["updates"] if u["text"]] == ["Le chauffagiste passe lundi."]


def test_a_pharmacy_name_is_exported_only_while_held(world):
    request = db.session.scalars(select(HelpRequest).where(HelpRequest.kind == "pharmacy")).one()
    request.details = None  # what the retention job does after 30 days
    db.session.commit()
    assert export.build_export(world.jeanne)["help"]["requests"][0]["details"] is None
    assert helping.is_health(request)


def test_do_export_writes_the_audit_log(world):
    export.do_export(world.jeanne, world.jeanne)
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "data.exported"
    assert entry.actor_id == entry.subject_id == world.jeanne.id


def test_a_registered_exporter_adds_its_section(app, world):
    export.register_exporter("checkins", lambda person: [{"person": person.first_name}])
    try:
        assert export.build_export(world.paul)["checkins"] == [{"person": "Paul"}]
        assert "checkins" in export.exporter_names()
    finally:
        export._EXPORTERS.pop("checkins")
