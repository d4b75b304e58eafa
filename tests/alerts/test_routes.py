"""Alert and rota pages: who sees them (the matrix of roles and buildings), the rota set
through its forms, acknowledging and closing on screen, the staff room of the events."""

from __future__ import annotations

import re

import pytest

from portal.alerts import service
from portal.alerts.models import RotaEntry
from portal.extensions import db
from tests.alerts.conftest import Cast, only_alert


def token(client, path: str = "/alerts/rota") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def post(client, url: str, data: dict | None = None, *, csrf: bool = True, page: str = "/"):
    fields = {"csrf_token": token(client, page)} if csrf else {}
    return client.post(url, data={**fields, **(data or {})})


@pytest.fixture
def alert(app, cast: Cast):
    made, _ = service.do_raise(
        service.AlertKind.HELP_CALL, cast.building.id, "test:1", person_id=cast.jeanne.id
    )
    db.session.commit()
    return made


def test_the_alert_pages_matrix(client, login, cast: Cast, alert):
    pages = [
        f"/alerts?building={cast.building.id}",
        f"/alerts/list?building={cast.building.id}",
        f"/alerts/{alert.id}",
        f"/alerts/{alert.id}/timeline",
        f"/alerts/rota?building={cast.building.id}",
    ]
    expected = [
        (cast.night, 200),
        (cast.second, 200),
        (cast.manager, 200),
        (cast.other_concierge, 404),
        (cast.other_coordinator, 404),
        (cast.jeanne, 403),
        (cast.neighbour, 403),
    ]
    for person, status in expected:
        login(person)
        for page in pages:
            assert client.get(page).status_code == status, (person.role, page)
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    assert client.get(pages[0]).status_code in (302, 401)  # not logged in: to the login


def test_posting_on_an_alert_of_another_building_changes_nothing(client, login, cast, alert):
    for person, status in ((cast.other_concierge, 404), (cast.jeanne, 403)):
        login(person)
        assert post(client, f"/alerts/{alert.id}/acknowledge").status_code == status
        assert post(client, f"/alerts/{alert.id}/close").status_code == status
    assert only_alert().acknowledged_at is None and only_alert().closed_at is None


def test_staff_acknowledge_then_close_on_screen(client, login, cast: Cast, alert, events):
    login(cast.night)
    page = f"/alerts/{alert.id}"
    assert post(client, f"/alerts/{alert.id}/acknowledge", csrf=False).status_code == 400
    assert post(client, f"/alerts/{alert.id}/acknowledge").status_code == 302
    assert only_alert().acknowledged_by_id == cast.night.id
    html = client.get(page).get_data(as_text=True)
    assert f"{cast.night.full_name} is on it" in html
    answer = post(client, f"/alerts/{alert.id}/acknowledge")  # twice: told, nothing changes
    assert answer.status_code == 302
    assert "Someone is already on it." in client.get(page).get_data(as_text=True)
    assert post(client, f"/alerts/{alert.id}/close").status_code == 302
    assert only_alert().closed_at is not None
    rooms = {e.to for e in events.named(service.EVENT_UPDATED)}
    assert rooms == {service.staff_room(cast.building.id)}


def test_the_rota_is_set_through_its_forms(client, login, cast: Cast):
    login(cast.second)  # the building's coordinator
    rota = f"/alerts/rota?building={cast.building.id}"
    add = f"/alerts/rota/entries?building={cast.building.id}"
    fields = {
        "person": str(cast.night.id),
        "days": ["5", "6"],
        "start": "22:00",
        "end": "07:00",
        "position": "1",
    }
    assert post(client, add, fields, csrf=False).status_code == 400
    assert post(client, add, fields, page=rota).status_code == 302
    [entry] = db.session.query(RotaEntry).all()
    assert service.days_of(entry.days) == [5, 6] and entry.end_time.hour == 7
    html = client.get(rota).get_data(as_text=True)
    assert cast.night.full_name in html and "until the next morning" in html
    # Bad values are refused beside the field, nothing saved.
    bad = {**fields, "start": "25:00"}
    assert post(client, add, bad, page=rota).status_code == 422
    stranger = {**fields, "person": str(cast.other_concierge.id)}
    assert post(client, add, stranger, page=rota).status_code == 422
    assert post(client, add, {**fields, "days": []}, page=rota).status_code == 422
    assert db.session.query(RotaEntry).count() == 1
    fallback = f"/alerts/rota/fallback?building={cast.building.id}"
    assert (
        post(client, fallback, {"fallback-person": str(cast.manager.id)}, page=rota).status_code
        == 302
    )
    assert service.get_fallback(cast.building.id) == cast.manager
    remove = f"/alerts/rota/entries/{entry.id}/delete"
    assert post(client, remove, page=rota).status_code == 302
    assert db.session.query(RotaEntry).count() == 0


def test_rota_changes_matrix(client, login, cast: Cast):
    from datetime import time

    entry = service.do_add_entry(
        cast.manager, cast.building.id, cast.night.id, [0], time(8), time(9)
    )
    db.session.commit()
    add = f"/alerts/rota/entries?building={cast.building.id}"
    fields = {"person": str(cast.night.id), "days": ["0"], "start": "08:00", "end": "09:00"}
    remove = f"/alerts/rota/entries/{entry.id}/delete"
    fallback = f"/alerts/rota/fallback?building={cast.building.id}"
    for person, status in (
        (cast.night, 403),  # the building's concierge sees the rota, does not change it
        (cast.other_coordinator, 404),
        (cast.other_concierge, 404),
        (cast.jeanne, 403),
    ):
        login(person)
        assert post(client, add, {**fields, "position": "1"}).status_code == status, person.role
        assert post(client, remove).status_code == status, person.role
        assert post(client, fallback, {"fallback-person": str(person.id)}).status_code == status
    assert db.session.query(RotaEntry).count() == 1
    assert service.get_fallback(cast.building.id) is None
    login(cast.night)
    html = client.get(f"/alerts/rota?building={cast.building.id}").get_data(as_text=True)
    assert "Add to the rota" not in html and cast.night.full_name in html


def test_staff_sockets_join_their_buildings_alert_rooms(app, cast: Cast):
    assert sorted(service.rooms_for(cast.manager)) == sorted(
        [service.staff_room(cast.other.id), service.staff_room(cast.building.id)]
    )
    assert service.rooms_for(cast.night) == [service.staff_room(cast.building.id)]
    assert service.rooms_for(cast.jeanne) == []
