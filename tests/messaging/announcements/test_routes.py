"""Pages of the announcements, with CSRF, and who may open or change what."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from sqlalchemy import func, select

from messaging.announcements import service
from messaging.announcements.models import Announcement, AnnouncementRead
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.home.tiles import panels_for, tiles_for
from portal.notifications.models import Notification
from tests.messaging.announcements.test_service import World, jpeg, publish

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def world(app) -> World:
    built = World()
    db.session.commit()  # the people exist for the requests, which use their own sessions
    return built


def csrf(client) -> str:
    html = client.get("/announcements").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST with the CSRF token a page of the portal carries."""
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def count(model) -> int:
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def form(**fields) -> dict:
    return {"title": "Canicule", "body": "Buvez de l'eau souvent.", **fields}


def test_staff_publish_through_the_form_with_a_photo(client, login, world):
    login(world.coordinator)
    page = client.get("/announcements/new")
    assert page.status_code == 200 and 'name="building"' in page.get_data(as_text=True)
    day = (datetime.now(PARIS) + timedelta(days=3)).date().isoformat()
    data = form(
        building=str(world.building.id),
        pinned="y",
        until_day=day,
        until_time="18:30",
        photo=(io.BytesIO(jpeg()), "chaleur.jpg"),
    )
    response = post(client, "/announcements/new", data, content_type="multipart/form-data")
    assert response.status_code == 302
    item = db.session.scalars(select(Announcement)).one()
    assert response.headers["Location"].endswith(f"/announcements/{item.id}")
    assert item.pinned and item.photo_name and item.author_id == world.coordinator.id
    local = item.visible_until.astimezone(PARIS)
    assert (local.date().isoformat(), local.hour, local.minute) == (day, 18, 30)
    assert count(Notification) == 3
    photo = client.get(f"/announcements/{item.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    photo.close()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Write a title."),
        ({"body": "   "}, "Write the text of the announcement."),
        ({"until_day": "2020-01-01"}, "The end date is already past"),
        ({"until_day": "not-a-day"}, "Not a valid date value"),
        ({"until_time": "18:00"}, "Choose the day as well."),
        ({"building": "999999"}, "Choose one of your buildings."),
        ({"photo": (io.BytesIO(b"GIF89a-but-not-really"), "x.gif")}, "not a photo we can show"),
    ],
)
def test_bad_input_is_explained_with_422_and_nothing_is_saved(
    client, login, world, fields, message
):
    login(world.coordinator)
    data = {"building": str(world.building.id), **form(**fields)}
    response = post(client, "/announcements/new", data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Announcement) == 0 and count(Notification) == 0


def test_staff_of_another_building_cannot_publish_there(client, login, world):
    login(world.other_concierge)
    response = post(client, "/announcements/new", form(building=str(world.building.id)))
    assert response.status_code == 422 and count(Announcement) == 0


def test_post_without_csrf_changes_nothing(client, login, world):
    item = publish(world.coordinator, world.building)
    login(world.jeanne)
    assert client.post(f"/announcements/{item.id}/read").status_code == 400
    login(world.coordinator)
    assert client.post(f"/announcements/{item.id}/withdraw").status_code == 400
    assert client.post("/announcements/new", data=form()).status_code in (400, 422)
    assert count(AnnouncementRead) == 0 and item.withdrawn_at is None and count(Announcement) == 1


def test_resident_reads_marks_read_once_and_the_badge_follows(client, login, world):
    pinned = publish(world.coordinator, world.building, title="Alerte canicule", pinned=True)
    publish(world.coordinator, world.building, title="Eau coupée")
    login(world.jeanne)
    listing = client.get("/announcements").get_data(as_text=True)
    assert listing.index("Alerte canicule") < listing.index("Eau coupée")
    assert client.get("/api/announcements/unread").get_json() == {"ok": True, "count": 2}
    page = client.get(f"/announcements/{pinned.id}").get_data(as_text=True)
    assert "I have read it" in page
    for _ in range(2):
        response = post(client, f"/announcements/{pinned.id}/read")
        assert response.status_code == 302
    assert count(AnnouncementRead) == 1
    assert client.get("/api/announcements/unread").get_json()["count"] == 1
    page = client.get(f"/announcements/{pinned.id}").get_data(as_text=True)
    assert "You have read it" in page and 'id="mark-read"' not in page
    assert "Alerte canicule" in client.get("/announcements/cards").get_data(as_text=True)


def test_every_page_and_action_is_404_outside_ones_buildings(client, login, world):
    item = publish(world.coordinator, world.building, pinned=True, photo=jpeg())
    staff_only = ("edit", "reads")
    for person in (world.omar, world.other_concierge, world.foreign_manager):
        login(person)
        for suffix in ("", "/photo", *(f"/{s}" for s in staff_only)):
            assert client.get(f"/announcements/{item.id}{suffix}").status_code == 404
        for action in ("read", "unpin", "withdraw", "edit"):
            assert post(client, f"/announcements/{item.id}/{action}").status_code == 404
    login(world.jeanne)
    for suffix in staff_only:
        assert client.get(f"/announcements/{item.id}/{suffix}").status_code == 404
    for action in ("unpin", "withdraw", "edit"):
        assert post(client, f"/announcements/{item.id}/{action}").status_code == 404
    assert client.get("/announcements/new").status_code == 404
    assert item.pinned and item.withdrawn_at is None and count(AnnouncementRead) == 0
    login(world.manager)
    assert client.get(f"/announcements/{item.id}/reads").status_code == 200


def test_withdrawn_is_404_for_residents_and_listed_as_withdrawn_for_staff(client, login, world):
    item = publish(world.coordinator, world.building, title="Ascenseur en panne")
    login(world.concierge)
    assert post(client, f"/announcements/{item.id}/withdraw").status_code == 302
    assert item.withdrawn_at is not None
    staff_list = client.get("/announcements").get_data(as_text=True)
    assert "Ascenseur en panne" in staff_list and "Withdrawn" in staff_list
    login(world.jeanne)
    assert client.get(f"/announcements/{item.id}").status_code == 404
    assert post(client, f"/announcements/{item.id}/read").status_code == 404
    assert "Ascenseur en panne" not in client.get("/announcements").get_data(as_text=True)


def test_expired_is_404_for_residents(client, login, world, monkeypatch):
    until = datetime.now(UTC) + timedelta(minutes=30)
    item = publish(world.coordinator, world.building, visible_until=until)
    monkeypatch.setattr(service, "utcnow", lambda: until + timedelta(minutes=1))
    login(world.jeanne)
    assert client.get(f"/announcements/{item.id}").status_code == 404
    login(world.coordinator)
    assert client.get(f"/announcements/{item.id}").status_code == 200


def test_staff_edit_and_unpin(client, login, world):
    item = publish(world.coordinator, world.building, pinned=True)
    login(world.concierge)
    assert client.get(f"/announcements/{item.id}/edit").status_code == 200
    response = post(
        client,
        f"/announcements/{item.id}/edit",
        form(title="Canicule : salle rafraîchie", pinned="y"),
    )
    assert response.status_code == 302 and item.title == "Canicule : salle rafraîchie"
    bad = post(client, f"/announcements/{item.id}/edit", form(until_day="2020-05-01"))
    assert bad.status_code == 422 and item.visible_until is None
    assert post(client, f"/announcements/{item.id}/unpin").status_code == 302
    assert item.pinned is False


def test_read_list_shows_readers_and_the_printable_list_to_call(client, login, world):
    world.paul.phone = "06 12 34 56 78"
    db.session.commit()
    item = publish(world.coordinator, world.building)
    service.do_mark_read(world.jeanne, item.id)
    db.session.commit()
    login(world.coordinator)
    page = client.get(f"/announcements/{item.id}/reads").get_data(as_text=True)
    read_part = page[page.index('id="read-table"') :]
    not_read_part = page[page.index('id="not-read-table"') : page.index('id="read-table"')]
    assert world.jeanne.full_name in read_part
    assert world.paul.full_name in not_read_part and "06 12 34 56 78" in not_read_part
    assert world.lucie.full_name in not_read_part and "102" in not_read_part
    assert world.jeanne.full_name not in not_read_part
    assert world.omar.full_name not in page
    assert "data-announcements-print" in page


def test_tiles_and_the_pinned_panel(app, world):
    item = publish(world.coordinator, world.building, title="Alerte canicule", pinned=True)
    with app.test_request_context():
        resident_keys = [t["tile"].key for t in tiles_for(world.jeanne)]
        staff_keys = [t["tile"].key for t in tiles_for(world.coordinator)]
        assert "announcements" in resident_keys and "announcements_staff" not in resident_keys
        assert "announcements_staff" in staff_keys and "announcements" not in staff_keys
        badge = next(t for t in tiles_for(world.jeanne) if t["tile"].key == "announcements")
        assert badge["badge"] == 1 and badge["badge_url"] == "/api/announcements/unread"
        panels = {p["panel"].key: p["context"] for p in panels_for(world.jeanne)}
        assert panels["announcement"]["announcement"].id == item.id
        html = render_template("announcements/_home_panel.html", context=panels["announcement"])
        assert "Alerte canicule" in html and f"/announcements/{item.id}" in html
        assert "announcement" not in {p["panel"].key for p in panels_for(world.omar)}


def test_a_publication_that_fails_half_way_leaves_no_announcement_and_no_notification(
    client, login, world, events, monkeypatch
):
    login(world.coordinator)
    calls: list[object] = []

    def audit_fails(*args, **kwargs) -> None:
        calls.append(args)
        raise RuntimeError("injected: the audit log is away")

    # The announcement (with its photo) and the residents' notifications are written; the
    # audit entry then fails.
    monkeypatch.setattr(service.audit, "record", audit_fails)
    data = form(building=str(world.building.id), photo=(io.BytesIO(jpeg()), "chaleur.jpg"))

    response = post(client, "/announcements/new", data, content_type="multipart/form-data")

    assert response.status_code == 500
    assert calls, "the failure came after the announcement and the notifications"
    assert count(Announcement) == 0 and count(Notification) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    assert events.named(service.EVENT_PUBLISHED) == []
    login(world.jeanne)
    assert client.get("/api/announcements/unread").get_json()["count"] == 0
