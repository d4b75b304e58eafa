from __future__ import annotations

import re

from portal.people.models import Role
from tests.factories import make_resident, make_staff


def token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_anonymous_home_goes_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_resident_home_has_tiles_that_lead_somewhere(app, client, login):
    resident = make_resident(first_name="Jeanne")
    login(resident)
    html = client.get("/").get_data(as_text=True)
    assert "Hello Jeanne!" in html
    for href in re.findall(r'class="tile" href="([^"]+)"', html):
        assert client.get(href).status_code == 200, href


def test_every_page_has_help_language_switch_and_logout(app, client, login):
    login(make_staff(Role.COORDINATOR))
    for path in ("/", "/settings", "/help"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/help"' in html, path
        assert 'action="/language"' in html, path
        assert 'action="/logout"' in html, path


def test_every_resident_page_has_help_and_the_settings_page_the_rest(app, client, login):
    login(make_resident())
    for path in ("/", "/settings", "/help", "/settings/pin"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/help-me"' in html, path  # Help: the page that calls
    html = client.get("/settings").get_data(as_text=True)
    assert 'action="/language"' in html and 'action="/logout"' in html


def test_staff_home_lists_buildings_with_counts(app, client, login):
    coordinator = make_staff(Role.COORDINATOR)
    make_resident(coordinator.staff_buildings[0])
    login(coordinator)
    html = client.get("/").get_data(as_text=True)
    assert coordinator.staff_buildings[0].name in html
    assert "1 resident" in html


def test_language_switch_for_a_visitor_is_kept_in_the_session(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en"' in html
    response = client.post(
        "/language", data={"csrf_token": token_from(html), "locale": "fr", "next": "/login"}
    )
    assert response.headers["Location"].endswith("/login")
    assert '<html lang="fr"' in client.get("/login").get_data(as_text=True)


def test_language_switch_is_saved_on_the_person(app, client, login, db):
    resident = make_resident(locale="en")
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    client.post("/language", data={"csrf_token": token_from(html), "locale": "fr"})
    assert resident.locale == "fr"
    assert "Bonjour" in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(app, client):
    html = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/language",
        data={"csrf_token": token_from(html), "locale": "xx", "next": "https://evil.example"},
    )
    assert response.headers["Location"] == "/"
    response = client.post(
        "/language",
        data={"csrf_token": token_from(html), "locale": "fr", "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"


def test_settings_are_saved_and_applied_on_every_page(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    response = client.post(
        "/settings",
        data={
            "csrf_token": token_from(html),
            "locale": "en",
            "text_size": "200",
            "high_contrast": "y",
        },
    )
    assert response.status_code == 302
    assert (resident.text_size, resident.high_contrast) == (200, True)
    assert resident.show_presence is False  # unticked box: hidden
    assert 'class="text-200 contrast"' in client.get("/help").get_data(as_text=True)


def test_settings_refuse_an_unknown_text_size_and_change_nothing(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    response = client.post(
        "/settings", data={"csrf_token": token_from(html), "locale": "en", "text_size": "400"}
    )
    assert response.status_code == 422
    assert 'class="field-errors"' in response.get_data(as_text=True)
    assert resident.text_size == 100


def test_resident_changes_their_own_pin(app, client, login):
    resident = make_resident(pin=None)
    login(resident)
    html = client.get("/settings/pin").get_data(as_text=True)
    response = client.post(
        "/settings/pin", data={"csrf_token": token_from(html), "pin": "4826", "confirm": "4826"}
    )
    assert response.status_code == 302
    assert resident.pin_hash is not None


def test_mismatched_pins_are_refused(app, client, login):
    resident = make_resident(pin=None)
    login(resident)
    html = client.get("/settings/pin").get_data(as_text=True)
    response = client.post(
        "/settings/pin", data={"csrf_token": token_from(html), "pin": "4826", "confirm": "4827"}
    )
    assert response.status_code == 422
    assert "not the same" in response.get_data(as_text=True)
    assert resident.pin_hash is None


def test_staff_have_no_pin_page(app, client, login):
    login(make_staff())
    assert client.get("/settings/pin").status_code == 404


def test_help_page_shows_the_concierge_phone_and_emergency_numbers(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/help").get_data(as_text=True)
    assert resident.building.concierge_phone in html
    assert 'href="tel:15"' in html and 'href="tel:112"' in html


def test_vendor_route_serves_only_the_listed_files(client):
    assert client.get("/vendor/../package.json").status_code == 404
    assert client.get("/vendor/axe-core/axe.min.js").status_code == 404


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "This page does not exist" in response.get_data(as_text=True)


def test_unexpected_errors_show_a_friendly_page(app, client):
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    response = client.get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong on our side" in text
    assert "kaboom" not in text and "Traceback" not in text


def test_bdi_filter_isolates_and_escapes_what_people_wrote(app):
    with app.test_request_context():
        html = app.jinja_env.from_string("{{ name|bdi }}").render(name="<b>Zoé</b>")
    assert html == "<bdi>&lt;b&gt;Zoé&lt;/b&gt;</bdi>"


def test_resident_name_in_the_top_bar_is_isolated(app, client, login):
    login(make_resident(first_name="Jeanne"))
    html = client.get("/").get_data(as_text=True)
    assert '<bdi class="who">Jeanne</bdi>' in html
