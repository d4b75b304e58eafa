"""The managers' audit log page, and the staff actions that write to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from concierge.exchange import service as helping
from portal.audit import service as audit
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff


def csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match
    return match.group(1)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def world(app):
    building = make_building()
    made = {
        "building": building,
        "manager": make_staff(Role.MANAGER, [building]),
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "ann": make_resident(building, first_name="Ann", last_name="Lee"),
        "bob": make_resident(building, first_name="Bob", last_name="Ray"),
    }
    db.session.commit()  # the pages read it from their own sessions
    return made


def test_only_managers_see_the_log(client, login, world):
    for key in ("coordinator", "concierge", "ann"):
        login(world[key])
        assert client.get("/staff/audit").status_code == 404
    login(world["manager"])
    response = client.get("/staff/audit")
    assert response.status_code == 200
    assert "Audit log" in response.get_data(as_text=True)


def test_the_log_shows_names_of_present_people_and_pseudonyms_of_others(client, login, world):
    audit.do_record("pin.reset", actor=world["coordinator"], subject=world["ann"])
    entry = audit.do_record("card.issued", actor=world["coordinator"], subject=world["bob"])
    entry.subject_id = None  # as after an erasure
    db.session.commit()
    login(world["manager"])
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "Ann Lee" in html and "Bob Ray" not in html
    assert f"Erased person ({audit.pseudonym(world['bob'].id)[:8]})" in html
    assert "Code set by staff" in html and "Login card printed" in html
    assert html.index("Login card printed") < html.index("Code set by staff")  # newest first


def test_the_log_never_shows_another_organisations_entries(client, login, world):
    outsider = make_resident(make_building(), first_name="Zoé", last_name="Far")
    audit.do_record("card.issued", actor=None, subject=outsider)
    db.session.commit()
    login(world["manager"])
    assert "Zoé Far" not in client.get("/staff/audit").get_data(as_text=True)


def test_filters_and_pages(client, login, world):
    for _ in range(3):
        audit.do_record("pin.reset", actor=world["coordinator"], subject=world["ann"])
    audit.do_record("card.issued", actor=world["coordinator"], subject=world["bob"])
    db.session.commit()
    login(world["manager"])
    html = client.get("/staff/audit?action=card.issued").get_data(as_text=True)
    assert "Bob Ray" in html and "Ann Lee" not in html
    today = datetime.now(UTC).date()
    later = (today + timedelta(days=2)).isoformat()
    html = client.get(f"/staff/audit?since={later}").get_data(as_text=True)
    assert "No entry matches." in html
    building = world["building"].id
    html = client.get(f"/staff/audit?building={building}&page=1").get_data(as_text=True)
    assert "Ann Lee" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=31-02-2026", "Please give dates as day, month and year."),
        ("since=2026-03-05&until=2026-03-01", "The first date must come before the last one."),
        ("building=99999", "Please choose one of the buildings shown."),
        ("building=abc", "Please choose one of the buildings shown."),
        ("page=0", "This page number does not exist."),
        ("page=x", "This page number does not exist."),
    ],
)
def test_bad_filters_get_a_clear_message(client, login, world, query, message):
    login(world["manager"])
    response = client.get(f"/staff/audit?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_another_organisations_building_is_refused(client, login, world):
    other = make_building()
    db.session.commit()
    login(world["manager"])
    assert client.get(f"/staff/audit?building={other.id}").status_code == 422


def test_card_and_code_actions_are_recorded(client, login, world):
    ann = world["ann"]
    login(world["coordinator"])
    token = csrf(client, f"/staff/residents/{ann.id}")
    assert (
        client.post(f"/staff/residents/{ann.id}/card", data={"csrf_token": token}).status_code
        == 200
    )
    client.post(f"/staff/residents/{ann.id}/card/revoke", data={"csrf_token": token})
    client.post(
        f"/staff/residents/{ann.id}/pin",
        data={"csrf_token": token, "pin": "1357", "confirm": "1357"},
    )
    assert actions() == ["card.issued", "card.revoked", "pin.reset"]
    entries = list(db.session.scalars(select(AuditEntry)))
    assert all(e.actor_id == world["coordinator"].id and e.subject_id == ann.id for e in entries)


def test_a_refused_code_is_not_recorded(client, login, world):
    ann = world["ann"]
    login(world["coordinator"])
    token = csrf(client, f"/staff/residents/{ann.id}")
    client.post(
        f"/staff/residents/{ann.id}/pin",
        data={"csrf_token": token, "pin": "1357", "confirm": "2468"},
    )
    assert actions() == []


def test_reading_a_pharmacy_run_is_recorded_without_the_detail(world):
    ann, bob = world["ann"], world["bob"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    request = helping.do_create_request(
        ann,
        kind="pharmacy",
        window_start=start,
        window_end=start + timedelta(hours=2),
        details="Pharmacie des Lilas",
        health_consent=True,
    )
    helping.do_take(bob, request.id)
    assert helping.get_details(bob, request, "web") == "Pharmacie des Lilas"
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.action == "health.details_read"
    assert (entry.actor_id, entry.subject_id) == (bob.id, ann.id)
    assert (entry.object_type, entry.object_id) == ("help_request", request.id)
    assert "Lilas" not in str(entry.detail)


def test_reading_groceries_is_not_recorded(world):
    ann, bob = world["ann"], world["bob"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    request = helping.do_create_request(
        ann,
        kind="groceries",
        window_start=start,
        window_end=start + timedelta(hours=2),
        details="pain",
    )
    helping.get_details(bob, request, "web")
    assert actions() == []
