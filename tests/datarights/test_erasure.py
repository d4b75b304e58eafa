"""Erasing a person: no row keeps their id, shared history stays without them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select

from concierge.desk.models import Ticket, TicketPhoto
from messaging import service as messaging
from messaging.models import Attachment, Conversation, Message
from portal import realtime
from portal.audit.models import AuditEntry
from portal.audit.service import pseudonym
from portal.datarights import erasure
from portal.errors import DomainError
from portal.extensions import db
from portal.people.models import Person
from portal.uploads import path_of
from tests.datarights.world import World, build_world


def csrf(client: FlaskClient, path: str = "/settings") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def world(app) -> World:
    return build_world()


def rows_holding(person_id: int) -> dict[str, int]:
    """For every foreign key to people.id in the metadata, how many rows hold this id."""
    found = {}
    for table, column in erasure.person_foreign_keys():
        count = db.session.scalar(
            select(func.count()).select_from(table).where(column == person_id)
        )
        if count:
            found[f"{table.name}.{column.name}"] = count
    return found


def test_the_walk_covers_every_foreign_key_to_people(app):
    walked = {f"{t.name}.{c.name}" for t, c in erasure.person_foreign_keys()}
    expected = {
        f"{table.name}.{fk.parent.name}"
        for table in db.metadata.tables.values()
        for fk in table.foreign_keys
        if fk.column.table.name == "people" and table.name != "people"
    }
    assert walked == expected
    assert {"messages.sender_id", "audit_entries.subject_id", "tickets.reporter_id"} <= walked


def test_the_world_gives_the_resident_data_in_many_tables(world):
    held = rows_holding(world.jeanne.id)
    for column in (
        "messages.sender_id",
        "activity_signups.person_id",
        "help_requests.requester_id",
        "help_requests.helper_id",
        "tickets.reporter_id",
        "notifications.person_id",
        "ticket_photos.uploaded_by_id",
        "login_cards.person_id",
        "audit_entries.subject_id",
        "health_access_logs.viewer_id",
        "parcels.collected_by_id",
        "visits.person_id",
        "room_bookings.person_id",
        "conversations.desk_resident_id",
        "message_reactions.person_id",
        "message_reports.reporter_id",
        "help_offers.person_id",
    ):
        assert held.get(column), column


def test_erasing_a_resident_leaves_no_row_with_their_id(world, events):
    jeanne_id = world.jeanne.id
    photo = world.jeanne.photo_path
    ticket_files = list(db.session.scalars(select(TicketPhoto.file_name)))
    assert photo and path_of(photo).exists() and ticket_files

    erasure.do_erase(world.manager, world.jeanne, "jeanne MARTIN")
    db.session.commit()  # as the request that erases does; the files go after it
    db.session.expire_all()

    assert rows_holding(jeanne_id) == {}
    assert db.session.get(Person, jeanne_id) is None
    assert not path_of(photo).exists()
    assert not any(path_of(name).exists() for name in ticket_files)
    ended = events.named(realtime.SESSION_ENDED_EVENT)
    assert [e.to for e in ended] == [realtime.user_room(jeanne_id)]


def test_her_messages_stay_for_paul_as_from_a_former_resident(world):
    erasure.do_erase(world.manager, world.jeanne, "Jeanne Martin")
    db.session.expire_all()
    message = db.session.get(Message, world.jeanne_message_id)
    assert message is not None and message.sender_id is None
    assert message.body == "Bonjour Paul !"
    with force_locale("en"):
        assert messaging.sender_payload(message)["name"] == "Former resident"
    photo = db.session.get(Message, world.jeanne_photo_message_id)
    assert photo is not None and photo.attachment is not None
    assert path_of(photo.attachment.file_name).exists()  # the conversation stays whole
    unsent = db.session.scalar(
        select(func.count(Attachment.id)).where(Attachment.owner_id.is_(None))
    )
    assert unsent == 1  # only the photo a kept message shows; the unsent one is gone
    direct = db.session.get(Conversation, world.direct_id)
    assert direct is not None and direct.direct_key is None
    with force_locale("fr"):
        assert messaging.conversation_title(world.paul, direct) == "Ancien habitant"


def test_her_ticket_stays_in_the_building_logbook_without_her(world):
    erasure.do_erase(world.manager, world.jeanne, "Jeanne Martin")
    db.session.expire_all()
    ticket = db.session.get(Ticket, world.ticket_id)
    assert ticket is not None and ticket.reporter_id is None
    assert ticket.description == "Radiateur froid"
    assert ticket.photos == []
    assert len(ticket.updates) >= 2


def test_the_files_go_only_once_the_erasure_is_committed(world):
    jeanne_id = world.jeanne.id
    photo = world.jeanne.photo_path
    ticket_files = list(db.session.scalars(select(TicketPhoto.file_name)))
    erasure.do_erase(world.manager, world.jeanne, "Jeanne Martin")
    assert path_of(photo).exists()
    assert all(path_of(name).exists() for name in ticket_files)
    db.session.rollback()  # the erasure did not happen: every file stays
    assert path_of(photo).exists()
    assert all(path_of(name).exists() for name in ticket_files)
    db.session.commit()  # nothing left to commit, nothing to delete
    assert path_of(photo).exists()
    db.session.expire_all()
    assert db.session.get(Person, jeanne_id) is not None


def test_an_erasure_that_fails_half_way_leaves_every_row_and_file(
    client, login, world, monkeypatch
):
    jeanne_id = world.jeanne.id
    before = rows_holding(jeanne_id)
    audit_before = db.session.scalar(select(func.count(AuditEntry.id)))
    photo = world.jeanne.photo_path
    ticket_files = list(db.session.scalars(select(TicketPhoto.file_name)))
    applied: list[dict[str, int]] = []

    def failing_audit(*args, **kwargs):
        applied.append(rows_holding(jeanne_id))  # every rule has run by now
        raise RuntimeError("the audit log could not be written")

    monkeypatch.setattr(erasure, "record", failing_audit)
    login(world.manager)
    token = csrf(client)
    data = {"csrf_token": token, "confirm_name": "Jeanne Martin"}
    response = client.post(f"/staff/people/{jeanne_id}/erase", data=data)
    assert response.status_code == 500
    assert applied == [{}]
    db.session.expire_all()
    assert db.session.get(Person, jeanne_id) is not None
    assert rows_holding(jeanne_id) == before
    assert db.session.scalar(select(func.count(AuditEntry.id))) == audit_before
    assert path_of(photo).exists()
    assert all(path_of(name).exists() for name in ticket_files)


def test_the_audit_log_keeps_her_pseudonym_only(world):
    ref = pseudonym(world.jeanne.id)
    erasure.do_erase(world.manager, world.jeanne, "Jeanne Martin")
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    mine = [e for e in entries if ref in (e.actor_ref, e.subject_ref)]
    assert len(mine) >= 3
    staff_ids = (None, world.coordinator.id, world.manager.id)
    assert all(e.subject_id is None and e.actor_id in staff_ids for e in mine)
    erased = entries[-1]
    assert erased.action == "person.erased"
    assert (erased.actor_id, erased.subject_id, erased.subject_ref) == (world.manager.id, None, ref)


def test_erasing_a_coordinator_leaves_no_row_with_their_id(world):
    coordinator_id = world.coordinator.id
    assert len(rows_holding(coordinator_id)) >= 6
    erasure.do_erase(world.manager, world.coordinator, world.coordinator.full_name)
    db.session.expire_all()
    assert rows_holding(coordinator_id) == {}
    ticket = db.session.get(Ticket, world.ticket_id)
    assert ticket is not None and ticket.assignee_id is None


def test_a_wrong_name_erases_nothing(world):
    before = rows_holding(world.jeanne.id)
    with pytest.raises(DomainError) as error:
        erasure.do_erase(world.manager, world.jeanne, "Jeanne Durand")
    assert "Jeanne Martin" in error.value.message
    db.session.expire_all()
    assert db.session.get(Person, world.jeanne.id) is not None
    assert rows_holding(world.jeanne.id) == before


def test_every_rule_is_one_of_the_known_ones(app):
    rules = {erasure.rule_for(t, c) for t, c in erasure.person_foreign_keys()}
    assert rules <= {"null", "delete", "skip"}
    by_name = {
        f"{t.name}.{c.name}": erasure.rule_for(t, c) for t, c in erasure.person_foreign_keys()
    }
    assert by_name["messages.sender_id"] == "null"
    assert by_name["activity_signups.person_id"] == "delete"
    assert by_name["audit_entries.actor_id"] == "null"
    assert by_name["conversation_members.person_id"] == "delete"


def test_uploads_folder_is_the_apps(app):
    assert Path(app.config["PORTAL_UPLOAD_DIR"]) == path_of("x").parent
