from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.auth import service
from portal.people.models import Person, Role
from tests.factories import STAFF_PASSWORD, make_building, make_resident, make_staff


def csrf_token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def card_login(client: FlaskClient, token: str):
    path = f"/login/card/{token}"
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def test_login_page_offers_card_and_staff_login_without_photos(client):
    html = client.get("/login").get_data(as_text=True)
    assert "/login/staff" in html
    assert "/login/pin/" not in html  # no resident is listed to an unknown device


def test_card_login_starts_a_session_and_enrols_the_tablet(app, client):
    resident = make_resident(first_name="Jeanne")
    neighbour = make_resident(resident.building, first_name="Marcel")
    token = service.do_issue_card(resident, issued_by=None)

    page = client.get(f"/login/card/{token}")
    assert page.status_code == 200
    assert "Jeanne" in page.get_data(as_text=True)

    response = card_login(client, token)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/")
    assert "bv_device=" in response.headers.get("Set-Cookie", "") or any(
        "bv_device" in h for h in response.headers.getlist("Set-Cookie")
    )
    assert "Jeanne" in client.get("/").get_data(as_text=True)

    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    login_page = client.get("/login").get_data(as_text=True)
    assert f"/login/pin/{resident.id}" in login_page
    assert f"/login/pin/{neighbour.id}" in login_page


def test_card_login_needs_a_post_with_csrf(app, client):
    resident = make_resident()
    token = service.do_issue_card(resident, issued_by=None)
    response = client.post(f"/login/card/{token}", data={})
    assert response.status_code == 400
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert client.get("/", follow_redirects=False).status_code == 302


def test_revoked_card_shows_a_clear_message(app, client):
    resident = make_resident()
    old = service.do_issue_card(resident, issued_by=None)
    service.do_issue_card(resident, issued_by=None)
    response = client.get(f"/login/card/{old}")
    assert response.status_code == 404
    assert "replaced or cancelled" in response.get_data(as_text=True)


def test_unknown_card_shows_a_clear_message_in_french(app, client):
    response = client.get("/login/card/forged", headers={"Accept-Language": "fr-FR"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert '<html lang="fr"' in text
    assert "concierge" in text.lower()


def enrol_tablet(client: FlaskClient, resident: Person) -> None:
    token = service.do_issue_card(resident, issued_by=None)
    card_login(client, token)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})


def test_pin_login_after_enrolment(app, client):
    resident = make_resident(pin="2580")
    enrol_tablet(client, resident)
    path = f"/login/pin/{resident.id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "pin": "2580"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_pin_says_how_many_tries_are_left(app, client):
    resident = make_resident(pin="2580")
    enrol_tablet(client, resident)
    path = f"/login/pin/{resident.id}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "pin": "1111"})
    assert response.status_code == 422
    assert "4 tries left" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_wrong_pin_is_counted_although_the_login_is_refused(app, db, client):
    resident = make_resident(pin="2580")
    enrol_tablet(client, resident)
    path = f"/login/pin/{resident.id}"
    token = csrf_token(client, path)
    for tries_left in (4, 3):
        response = client.post(path, data={"csrf_token": token, "pin": "1111"})
        assert response.status_code == 422
        assert f"{tries_left} tries left" in response.get_data(as_text=True)
    db.session.refresh(resident)
    assert resident.pin_failures == 2


def test_five_wrong_pins_lock_the_photo_login_but_not_the_card(app, client):
    resident = make_resident(pin="2580")
    enrol_tablet(client, resident)
    path = f"/login/pin/{resident.id}"
    token = csrf_token(client, path)
    for _ in range(5):
        client.post(path, data={"csrf_token": token, "pin": "1111"})
    response = client.post(path, data={"csrf_token": token, "pin": "2580"})
    assert response.status_code == 422
    assert "login card still works" in response.get_data(as_text=True)
    card = service.do_issue_card(resident, issued_by=None)
    assert card_login(client, card).status_code == 302


def test_pin_page_is_hidden_from_a_device_not_enrolled_in_that_building(app, client):
    resident = make_resident()
    stranger = make_resident(make_building())
    enrol_tablet(client, stranger)
    assert client.get(f"/login/pin/{resident.id}").status_code == 404
    assert client.get(f"/login/pin/{stranger.id}").status_code == 200


def test_forged_device_cookie_shows_no_photos(app, client):
    resident = make_resident()
    client.set_cookie("bv_device", "eyJiIjoxfQ.forged")
    assert client.get(f"/login/pin/{resident.id}").status_code == 404
    assert "/login/pin/" not in client.get("/login").get_data(as_text=True)


def staff_login(client: FlaskClient, email: str, password: str):
    token = csrf_token(client, "/login/staff")
    return client.post(
        "/login/staff", data={"csrf_token": token, "email": email, "password": password}
    )


def test_staff_login_and_wrong_password(app, client):
    coordinator = make_staff(Role.COORDINATOR)
    wrong = staff_login(client, coordinator.email, "not the password")
    assert wrong.status_code == 422
    assert "email or password is not right" in wrong.get_data(as_text=True)
    assert staff_login(client, coordinator.email, STAFF_PASSWORD).status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "Hello Camille" in home.get_data(as_text=True)


def test_staff_login_is_limited_per_account(app: Flask):
    coordinator = make_staff(Role.COORDINATOR)
    for attempt in range(10):
        client = app.test_client()  # each attempt from a "new" browser
        response = staff_login(client, coordinator.email, f"wrong {attempt}")
        assert response.status_code == 422
    blocked = staff_login(app.test_client(), coordinator.email, STAFF_PASSWORD)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_staff_login_is_limited_per_address(app: Flask, client):
    for attempt in range(10):
        staff_login(client, f"nobody{attempt}@example.org", "whatever password")
    someone = make_staff()
    assert staff_login(client, someone.email, STAFF_PASSWORD).status_code == 429


def test_successful_logins_do_not_count_against_the_limit(app: Flask):
    coordinator = make_staff()
    for _ in range(12):
        client = app.test_client()
        assert staff_login(client, coordinator.email, STAFF_PASSWORD).status_code == 302


def test_login_starts_from_an_empty_session(app, client):
    coordinator = make_staff()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    staff_login(client, coordinator.email, STAFF_PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == coordinator.get_id()


def test_logout_ends_sessions_on_every_device(app):
    coordinator = make_staff()
    desk, office = app.test_client(), app.test_client()
    staff_login(desk, coordinator.email, STAFF_PASSWORD)
    staff_login(office, coordinator.email, STAFF_PASSWORD)
    assert office.get("/").status_code == 200
    response = desk.post("/logout", data={"csrf_token": csrf_token(desk, "/")})
    assert response.status_code == 302
    assert office.get("/").status_code == 302


def test_logout_by_get_is_not_allowed(app, login, client):
    login(make_resident())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("cookie_flag", ["HttpOnly", "SameSite=Lax"])
def test_session_cookie_flags(client, cookie_flag):
    response = client.get("/login")
    assert cookie_flag in response.headers["Set-Cookie"]


def test_security_headers_are_set(client):
    headers = client.get("/login").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
