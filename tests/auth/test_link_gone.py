"""What the login pages of the staff and of relatives share: the one page of a one-time
link that no longer works (with the way to a new link that fits who opened it), and a
fresh session at login that outlives the browser only on a resident's tablet."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.auth import service as auth
from portal.extensions import db
from tests.factories import make_resident
from tests.family.conftest import join, last_token


def _csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _session_cookie(app: Flask, response: TestResponse) -> str:
    name = app.config["SESSION_COOKIE_NAME"] + "="
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name)]
    return cookie


def _gone(client: FlaskClient, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 404
    return answer.get_data(as_text=True)


def test_a_dead_account_link_leads_staff_to_a_new_link(app: Flask, client: FlaskClient) -> None:
    html = _gone(client, "/account/no-such-token")
    assert "<h1>This link no longer works</h1>" in html
    assert "it was already used, or it is too old" in html
    assert 'href="/login/staff/forgot"' in html and "Get a new link" in html
    assert 'class="backbar"' in html and 'href="/login/staff"' in html
    assert "Family: log in" not in html


def test_a_dead_family_link_leads_the_relative_to_their_login(
    app: Flask, client: FlaskClient
) -> None:
    for url in ("/family/join/no-such-token", "/family/login/no-such-token"):
        html = _gone(client, url)
        assert "<h1>This link no longer works</h1>" in html
        assert "it was already used, or it is too old" in html
        assert 'href="/family/login"' in html and "Family: log in" in html
        assert 'class="backbar"' not in html
        assert "/login/staff" not in html


def test_only_a_residents_session_outlives_the_browser(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        jeanne = make_resident(first_name="Jeanne", locale="en")
        relative = join(jeanne, "julie@example.org")
        card = auth.do_issue_card(jeanne, issued_by=None)
        db.session.commit()
    client.post(
        "/family/login",
        data={
            "csrf_token": _csrf(client, "/family/login"),
            "email": relative.email,
            "action": "link",
        },
    )
    url = f"/family/login/{last_token('login')}"
    answer = client.post(url, data={"csrf_token": _csrf(client, url)})
    assert answer.status_code == 302
    assert "Expires" not in _session_cookie(app, answer)

    tablet = app.test_client()
    path = f"/login/card/{card}"
    answer = tablet.post(path, data={"csrf_token": _csrf(tablet, path)})
    assert answer.status_code == 302
    assert "Expires" in _session_cookie(app, answer)
