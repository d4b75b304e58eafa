"""Announcements: publishing, reading once, counts, who to call, access and expiry."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from flask_babel import get_locale
from PIL import Image
from sqlalchemy import event, func, select

from messaging.announcements import service
from messaging.announcements.models import Announcement, AnnouncementRead
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Role
from tests.conftest import code
from tests.factories import (
    make_building,
    make_dwelling,
    make_organisation,
    make_resident,
    make_staff,
)


class World:
    """Two buildings of one landlord, a third landlord's building, and their people."""

    def __init__(self) -> None:
        org = make_organisation()
        self.building = make_building(org)
        self.other = make_building(org)
        self.foreign = make_building()
        self.jeanne = make_resident(
            self.building,
            dwelling=make_dwelling(self.building, "101"),
            first_name="Jeanne",
            locale="en",
        )
        self.paul = make_resident(
            self.building,
            dwelling=make_dwelling(self.building, "102"),
            first_name="Paul",
            locale="fr",
        )
        self.lucie = make_resident(
            self.building,
            dwelling=make_dwelling(self.building, "003", floor=0),
            first_name="Lucie",
            locale="en",
        )
        self.omar = make_resident(self.other, first_name="Omar")
        self.coordinator = make_staff(Role.COORDINATOR, [self.building])
        self.concierge = make_staff(Role.CONCIERGE, [self.building])
        self.other_concierge = make_staff(Role.CONCIERGE, [self.other])
        self.manager = make_staff(Role.MANAGER, [], organisation=org)
        self.foreign_manager = make_staff(Role.MANAGER, [self.foreign])


@pytest.fixture
def world(app) -> World:
    built = World()
    db.session.commit()  # the people exist for the requests, which use their own sessions
    return built


def publish(author, building, **fields: Any) -> Announcement:
    """Publish as a request does: the service writes, then the request commits."""
    values: dict[str, Any] = {"title": "Canicule", "body": "Buvez de l'eau.", **fields}
    announcement = service.do_publish(author, building_id=building.id, **values)
    db.session.commit()
    return announcement


def count(model) -> int:
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "#3366aa").save(buffer, "JPEG")
    return buffer.getvalue()


def test_publish_notifies_each_resident_in_their_language_and_publishes_after_commit(
    world, events, monkeypatch
):
    # Each title is written while the resident's own language is the current one.
    monkeypatch.setattr(service, "_", lambda text, **v: f"{get_locale()}|{text % v}")
    item = publish(world.coordinator, world.building, title="Heatwave")
    titles = dict(db.session.execute(select(Notification.person_id, Notification.title)).all())
    assert titles == {
        world.jeanne.id: "en|Announcement: Heatwave",
        world.paul.id: "fr|Announcement: Heatwave",
        world.lucie.id: "en|Announcement: Heatwave",
    }
    assert world.omar.id not in titles
    published = events.named(service.EVENT_PUBLISHED)
    assert [e.to for e in published] == [f"building:{world.building.id}"]
    assert published[0].payload == {"announcement_id": item.id, "building_id": world.building.id}
    audit = db.session.scalars(select(AuditEntry)).one()
    assert (audit.action, audit.object_type, audit.object_id, audit.building_id) == (
        "announcement.published",
        "announcement",
        item.id,
        world.building.id,
    )
    assert audit.actor_id == world.coordinator.id


def test_publish_reads_the_residents_in_one_query_whatever_their_number(app, world):
    def people_selects(building) -> int:
        seen: list[str] = []

        def listen(_conn, _cursor, statement, *_args) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "FROM people" in statement:
                seen.append(statement)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            publish(world.manager, building)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)

    few = people_selects(world.other)  # one resident
    for number in range(6):
        make_resident(world.building, first_name=f"Voisin{number}")
    db.session.commit()  # both publications start alike: nothing written before them
    many = people_selects(world.building)  # nine residents
    assert many == few >= 1


def test_mark_read_is_idempotent_and_lowers_the_badge(world, events):
    first = publish(world.coordinator, world.building)
    publish(world.concierge, world.building, title="Eau coupée")
    assert service.count_unread(world.jeanne) == 2
    read = service.do_mark_read(world.jeanne, first.id)
    again = service.do_mark_read(world.jeanne, first.id)
    db.session.commit()  # as the request would: the read leaves once committed
    assert again.id == read.id and again.read_at == read.read_at
    assert count(AnnouncementRead) == 1
    assert service.count_unread(world.jeanne) == 1
    assert service.count_unread(world.paul) == 2
    reads = events.named(service.EVENT_READ)
    assert [e.to for e in reads] == [f"user:{world.jeanne.id}"]


def test_read_report_counts_and_lists_the_residents_to_call_by_flat(world):
    world.paul.phone = "06 12 34 56 78"
    db.session.commit()
    item = publish(world.coordinator, world.building)
    service.do_mark_read(world.jeanne, item.id)
    report = service.get_read_report(item)
    assert (report.read_count, report.not_read_count) == (1, 2)
    assert [p.id for p, _when in report.readers] == [world.jeanne.id]
    # Ground floor first, then by flat number.
    assert [p.id for p in report.not_read] == [world.lucie.id, world.paul.id]
    assert report.not_read[1].phone == "06 12 34 56 78"
    assert report.not_read[1].dwelling.number == "102"
    listed = service.list_for_staff(world.coordinator)
    assert [(i.read_count, i.resident_count) for i in listed] == [(1, 3)]


def test_residents_see_current_ones_pinned_first_then_newest(world):
    older_pinned = publish(world.coordinator, world.building, title="A", pinned=True)
    plain = publish(world.coordinator, world.building, title="B")
    newer = publish(world.coordinator, world.building, title="C")
    assert [a.id for a in service.list_current(world.jeanne)] == [
        older_pinned.id,
        newer.id,
        plain.id,
    ]
    assert service.get_pinned(world.jeanne).id == older_pinned.id
    service.do_unpin(world.concierge, older_pinned.id)
    assert service.get_pinned(world.jeanne) is None
    assert service.list_current(world.omar) == []


def test_access_matrix_with_two_buildings(world):
    item = publish(world.coordinator, world.building)
    allowed = (world.jeanne, world.coordinator, world.concierge, world.manager)
    refused = (world.omar, world.other_concierge, world.foreign_manager)
    for person in allowed:
        assert service.access_announcement(person, item.id).id == item.id
    for person in refused:
        assert code(service.access_announcement, person, item.id) == "not_found"
        assert code(service.do_withdraw, person, item.id) == "not_found"
        assert code(service.do_unpin, person, item.id) == "not_found"
    assert code(service.do_mark_read, world.omar, item.id) == "not_found"
    assert code(service.access_for_staff, world.jeanne, item.id) == "not_found"
    assert code(service.do_withdraw, world.jeanne, item.id) == "not_found"
    assert code(service.do_mark_read, world.coordinator, item.id) == "not_found"
    assert item.withdrawn_at is None and count(AnnouncementRead) == 0


def test_who_may_publish_where(world):
    assert code(publish, world.jeanne, world.building) == "forbidden"
    assert code(publish, world.other_concierge, world.building) == "bad_building"
    assert code(publish, world.foreign_manager, world.building) == "bad_building"
    assert publish(world.manager, world.other).building_id == world.other.id
    assert publish(world.concierge, world.building).building_id == world.building.id
    assert count(Announcement) == 2


def test_withdrawn_or_expired_is_gone_for_residents_but_kept_for_staff(world, monkeypatch):
    until = datetime.now(UTC) + timedelta(hours=1)
    expiring = publish(world.coordinator, world.building, visible_until=until)
    withdrawn = publish(world.coordinator, world.building, title="Ascenseur")
    service.do_withdraw(world.concierge, withdrawn.id)
    assert code(service.access_announcement, world.jeanne, withdrawn.id) == "not_found"
    assert code(service.do_mark_read, world.jeanne, withdrawn.id) == "not_found"
    edit = code(
        service.do_edit,
        world.coordinator,
        withdrawn.id,
        title="x",
        body="y",
        pinned=False,
        visible_until=None,
    )
    assert edit == "withdrawn"
    assert service.count_unread(world.jeanne) == 1
    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(service, "utcnow", lambda: later)
    assert service.list_current(world.jeanne) == []
    assert service.count_unread(world.jeanne) == 0
    assert code(service.access_announcement, world.jeanne, expiring.id) == "not_found"
    assert service.status_of(expiring, later) == "expired"
    assert service.access_announcement(world.coordinator, expiring.id).id == expiring.id
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["announcement.published"] * 2 + ["announcement.withdrawn"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "  "}, "title_missing"),
        ({"title": "x" * 121}, "title_long"),
        ({"body": ""}, "body_missing"),
        ({"body": "x" * 4001}, "body_long"),
        ({"visible_until": datetime.now(UTC) - timedelta(minutes=1)}, "past"),
        ({"visible_until": datetime(2030, 1, 1)}, "bad_time"),
        ({"photo": b"not an image at all"}, "bad_type"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, fields, error):
    assert code(publish, world.coordinator, world.building, **fields) == error
    assert count(Announcement) == 0 and count(Notification) == 0 and count(AuditEntry) == 0


def test_photo_is_re_encoded_and_edit_replaces_and_removes_it(world, app):
    item = publish(world.coordinator, world.building, photo=jpeg())
    assert item.photo_name and item.photo_name.endswith(".jpg") and item.thumb_name
    service.do_edit(
        world.concierge,
        item.id,
        title="Nouveau",
        body="Texte",
        pinned=True,
        visible_until=None,
        remove_photo=True,
    )
    assert (item.title, item.pinned, item.photo_name) == ("Nouveau", True, None)


def test_until_is_typed_in_the_building_time_zone(world):
    world.building.time_zone = "America/New_York"
    moment = service.local_until(world.building, date(2030, 7, 1), time(18, 0))
    assert moment is not None and moment.astimezone(UTC).hour == 22
    whole_day = service.local_until(world.building, date(2030, 7, 1), None)
    assert whole_day is not None and (whole_day.hour, whole_day.minute) == (23, 59)
    assert service.local_until(world.building, None, time(8, 0)) is None
