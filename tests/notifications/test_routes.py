"""The notifications centre: one's own list, opening marks read, nothing of anybody else."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.notifications import service
from tests.factories import make_building, make_resident


def post(client, url: str):
    html = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html)
    return client.post(url, data={"csrf_token": token.group(1) if token else ""})


def test_list_opening_and_reading_everything(app, client, login, events):
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building)
    first = service.add_notification(jeanne.id, "test", "Un colis vous attend", "/activities")
    service.add_notification(jeanne.id, "test", "Rappel : tricot demain")
    service.add_notification(paul.id, "test", "Pour Paul seulement")
    db.session.commit()
    login(jeanne)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.index("Rappel : tricot demain") < page.index("Un colis vous attend")
    assert "Pour Paul" not in page
    assert client.get("/api/notifications/unread").get_json()["count"] == 2
    response = post(client, f"/notifications/{first.id}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/activities"
    assert first.read_at is not None
    assert client.get("/api/notifications/unread").get_json()["count"] == 1
    assert [e.to for e in events.named("portal.notifications_read")] == [f"user:{jeanne.id}"]
    post(client, "/notifications/read")
    assert client.get("/api/notifications/unread").get_json()["count"] == 0


def test_someone_elses_notification_is_404_and_stays_unread(app, client, login):
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building)
    theirs = service.add_notification(paul.id, "test", "Pour Paul seulement")
    db.session.commit()
    login(jeanne)
    assert post(client, f"/notifications/{theirs.id}/open").status_code == 404
    assert theirs.read_at is None


def test_a_notification_never_leads_off_the_site(app, client, login):
    jeanne = make_resident(make_building())
    odd = service.add_notification(jeanne.id, "test", "Lien", "//evil.example.org/x")
    db.session.commit()
    login(jeanne)
    assert post(client, f"/notifications/{odd.id}/open").headers["Location"] == "/notifications"
