"""Pages: the download from the settings page; the manager's erasure, per organisation."""

from __future__ import annotations

import json
import re
from typing import TypeVar

import pytest
from flask.testing import FlaskClient

from portal.extensions import db
from portal.people.models import Person, Role
from tests.factories import make_building, make_resident, make_staff

T = TypeVar("T")


def csrf(client: FlaskClient, path: str = "/settings") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def stored(thing: T) -> T:
    """Commit what a test built, so that the pages (their own sessions) see it."""
    db.session.commit()
    return thing


@pytest.fixture
def building(app):
    return stored(make_building())


@pytest.fixture
def jeanne(building):
    return stored(make_resident(building, first_name="Jeanne", last_name="Martin"))


@pytest.fixture
def manager(building):
    return stored(make_staff(Role.MANAGER, [building]))


def test_settings_page_offers_the_download(client, login, jeanne):
    login(jeanne)
    html = client.get("/settings").get_data(as_text=True)
    assert 'action="/my-data"' in html
    assert "Download my data" in html


def test_a_resident_downloads_their_own_data(client, login, jeanne):
    login(jeanne)
    response = client.post("/my-data", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["last_name"] == "Martin"


def test_download_needs_a_post_with_csrf(client, login, jeanne):
    login(jeanne)
    assert client.get("/my-data").status_code == 405
    assert client.post("/my-data").status_code == 400


def test_download_needs_a_login(client):
    response = client.post("/my-data")
    assert response.status_code in {302, 400, 401}


def test_only_managers_open_the_erasure_page(client, login, building, jeanne, manager):
    others = stored(
        [
            make_resident(building),
            make_staff(Role.COORDINATOR, [building]),
            make_staff(Role.CONCIERGE, [building]),
        ]
    )
    for person in others:
        login(person)
        assert client.get(f"/staff/people/{jeanne.id}/erase").status_code == 404
    login(manager)
    response = client.get(f"/staff/people/{jeanne.id}/erase")
    assert response.status_code == 200
    assert "Jeanne Martin" in response.get_data(as_text=True)


def test_a_manager_of_another_organisation_cannot_erase_or_export(client, login, jeanne):
    stranger = stored(make_staff(Role.MANAGER, [make_building()]))
    login(stranger)
    token = csrf(client)
    assert client.get(f"/staff/people/{jeanne.id}/erase").status_code == 404
    data = {"csrf_token": token, "confirm_name": "Jeanne Martin"}
    assert client.post(f"/staff/people/{jeanne.id}/erase", data=data).status_code == 404
    assert client.post(f"/staff/people/{jeanne.id}/data", data=data).status_code == 404
    assert db.session.get(Person, jeanne.id) is not None


def test_a_manager_cannot_erase_themself(client, login, manager):
    login(manager)
    assert client.get(f"/staff/people/{manager.id}/erase").status_code == 404


def test_a_wrong_name_is_refused_with_a_clear_message(client, login, jeanne, manager):
    login(manager)
    data = {"csrf_token": csrf(client), "confirm_name": "Jeanne"}
    response = client.post(f"/staff/people/{jeanne.id}/erase", data=data)
    assert response.status_code == 422
    assert "Please type the full name Jeanne Martin exactly" in response.get_data(as_text=True)
    assert db.session.get(Person, jeanne.id) is not None


def test_the_wrong_name_message_is_translated(client, login, jeanne, manager):
    login(manager)
    data = {"csrf_token": csrf(client), "confirm_name": "x"}
    response = client.post(
        f"/staff/people/{jeanne.id}/erase", data=data, headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 422
    assert "Jeanne Martin" in response.get_data(as_text=True)


def test_a_manager_erases_after_typing_the_name(client, login, jeanne, manager):
    jeanne_id = jeanne.id
    login(manager)
    data = {"csrf_token": csrf(client), "confirm_name": "jeanne martin"}
    response = client.post(f"/staff/people/{jeanne_id}/erase", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/audit")
    assert db.session.get(Person, jeanne_id) is None
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "Account erased" in page and "Erased person" in page


def test_a_manager_downloads_a_residents_data(client, login, jeanne, manager):
    login(manager)
    response = client.post(f"/staff/people/{jeanne.id}/data", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    assert json.loads(response.get_data(as_text=True))["profile"]["first_name"] == "Jeanne"


def test_the_resident_page_links_to_erasure_for_managers_only(
    client, login, building, jeanne, manager
):
    login(manager)
    assert f"/staff/people/{jeanne.id}/erase" in client.get(
        f"/staff/residents/{jeanne.id}"
    ).get_data(as_text=True)
    login(stored(make_staff(Role.COORDINATOR, [building])))
    assert f"/staff/people/{jeanne.id}/erase" not in client.get(
        f"/staff/residents/{jeanne.id}"
    ).get_data(as_text=True)
