"""Easy-to-read and simplified modes on resident pages: the setting, the wording it switches,
and who it applies to."""

from __future__ import annotations

from portal.extensions import db
from portal.people import service as people
from portal.people.models import Role
from tests.factories import make_resident, make_staff
from tests.home.test_routes import token_from


def body_tag(html: str) -> str:
    start = html.index("<body")
    return html[start : html.index(">", start) + 1]


def save_settings(client, **extra: str):
    html = client.get("/settings").get_data(as_text=True)
    data = {"csrf_token": token_from(html), "locale": "en", "text_size": "100", **extra}
    return client.post("/settings", data=data)


def test_a_resident_switches_on_easy_to_read_in_the_settings(app, client, login):
    resident = make_resident(locale="en")
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    assert 'name="easy_read"' in html
    assert save_settings(client, easy_read="y").status_code == 302
    assert resident.easy_read is True
    assert save_settings(client).status_code == 302
    assert resident.easy_read is False


def test_easy_to_read_switches_the_wording_of_resident_pages(app, client, login):
    resident = make_resident(locale="en")
    login(resident)
    home = client.get("/").get_data(as_text=True)
    assert "Skip to the content" in home and "easy-read" not in body_tag(home)
    resident.easy_read = True
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert "Go to the text of the page" in home
    assert "Skip to the content" not in home
    assert "easy-read" in body_tag(home).split('"')[1].split()
    # Lazy strings (form labels declared at import) switch as well.
    settings = client.get("/settings").get_data(as_text=True)
    assert "Size of the letters" in settings and "Text size" not in settings


def test_easy_to_read_speaks_french_by_default(app, client, login):
    resident = make_resident(locale="fr")
    resident.easy_read = True
    db.session.commit()
    login(resident)
    html = client.get("/help").get_data(as_text=True)
    assert "En cas de danger" in html
    assert "SAMU" not in html


def test_staff_keep_their_wording_and_may_not_choose_easy_to_read(app, client, login):
    staff = make_staff(Role.COORDINATOR, locale="en")
    login(staff)
    html = client.get("/settings").get_data(as_text=True)
    assert 'name="easy_read"' not in html
    assert save_settings(client, easy_read="y").status_code == 302
    assert staff.easy_read is False
    staff.easy_read = True  # even if set some other way, staff pages keep their words
    db.session.commit()
    html = client.get("/settings").get_data(as_text=True)
    assert "Text size" in html and "easy-read" not in body_tag(html)


def test_simplified_mode_marks_every_resident_page(app, client, login):
    resident = make_resident(locale="en")
    people.do_update_preferences(
        resident, locale="en", text_size=100, high_contrast=False, simplified_mode=True
    )
    login(resident)
    for path in ("/", "/settings", "/help", "/messages"):
        html = client.get(path).get_data(as_text=True)
        assert "simplified" in body_tag(html), path


def test_what_a_page_says_after_an_action_is_easy_to_read_too(app, client, login):
    resident = make_resident(locale="fr")
    resident.easy_read = True
    db.session.commit()
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    data = {"csrf_token": token_from(html), "locale": "fr", "text_size": "100", "easy_read": "y"}
    assert client.post("/settings", data=data).status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert "Vos réglages sont gardés." in page
    assert "Vos réglages sont enregistrés." not in page


def test_the_easy_wording_stays_with_its_reader(app, client, login):
    reader = make_resident(locale="en")
    reader.easy_read = True
    db.session.commit()
    login(reader)
    assert "Size of the letters" in client.get("/settings").get_data(as_text=True)
    other = app.test_client()
    login(make_resident(locale="en"), on=other)
    html = other.get("/settings").get_data(as_text=True)
    assert "Text size" in html and "Size of the letters" not in html
