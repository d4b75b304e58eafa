"""The resident's home, the settings that change every page, profile and directory routes."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.db import utcnow
from portal.people import service as people
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff
from tests.home.test_people_profile import png_bytes, profile
from tests.home.test_routes import token_from

RESIDENT_TILES = ["messages", "activities", "help", "concierge"]


def tile_keys(html: str) -> list[str]:
    return re.findall(r'data-tile="([^"]+)"', html)


def test_resident_home_shows_the_tiles_in_order_then_the_settings_tile(app, client, login):
    login(make_resident())
    html = client.get("/").get_data(as_text=True)
    keys = tile_keys(html)
    assert keys[:4] == RESIDENT_TILES
    assert keys[-1] == "settings"
    assert set(keys) <= {*RESIDENT_TILES, "announcements", "settings"}
    assert "desk_report" not in keys
    assert 'href="/settings" data-tile="settings"' in html
    assert "I need help" in html


def test_resident_top_bar_holds_the_name_and_one_help_only(app, client, login):
    resident = make_resident(first_name="Jeanne")
    login(resident)
    for path in ("/", "/settings", "/help"):
        html = client.get(path).get_data(as_text=True)
        bar = html[html.index('<header class="topbar') : html.index("</header>")]
        assert "Jeanne" in bar, path
        assert re.findall(r'<a [^>]*href="([^"]+)"', bar) == ["/", "/help-me"], path
        assert "<form" not in bar, path  # no language switch, no log out


def test_help_means_one_thing_for_a_resident_the_call_page(app, client, login):
    login(make_resident())
    html = client.get("/").get_data(as_text=True)
    # The top bar's Help and the big button lead to the same page, the one that calls.
    assert html.count('href="/help-me"') == 2


def test_settings_page_holds_language_log_out_and_notifications(app, client, login):
    login(make_resident())
    html = client.get("/settings").get_data(as_text=True)
    assert 'action="/language"' in html and 'action="/logout"' in html
    assert 'href="/notifications"' in html


def test_concierge_tile_leads_to_the_resident_concierge_hub(app, client, login):
    login(make_resident())
    html = client.get("/").get_data(as_text=True)
    assert 'data-tile="concierge"' in html and 'href="/my-home"' in html
    hub = client.get("/my-home").get_data(as_text=True)
    for target in ("/tickets/new?category=repair", "/messages/desk", "/my-home/visits/new"):
        assert target in hub, target


def test_every_resident_tile_carries_a_live_badge(app, client, login):
    login(make_resident())
    html = client.get("/").get_data(as_text=True)
    for key in RESIDENT_TILES:
        tile = re.search(rf'data-tile="{key}".*?</a>', html, re.S)
        assert tile and "data-badge-url=" in tile.group(0), key
        url = re.search(r'data-badge-url="([^"]+)"', tile.group(0)).group(1)
        assert isinstance(client.get(url).get_json()["count"], int), key


def test_tile_badge_endpoint_hides_unknown_tiles_and_other_roles(app, client, login):
    login(make_staff(Role.COORDINATOR))
    assert client.get("/api/home/tiles/nothing/badge").status_code == 404
    assert client.get("/api/home/tiles/concierge/badge").status_code == 404  # residents only
    assert isinstance(client.get("/api/home/tiles/help/badge").get_json()["count"], int)


def test_today_panel_lists_my_activity_and_offers_join(app, client, login):
    from activities import service as activities

    building = make_building()
    staff = make_staff(Role.COORDINATOR, [building])
    resident = make_resident(building)
    start = utcnow() + timedelta(minutes=3)
    joined = activities.do_create_activity(
        staff, building.id, title="Belote", starts_at=start, ends_at=start + timedelta(minutes=5)
    )
    activities.do_create_activity(
        staff, building.id, title="Tricot", starts_at=start, ends_at=start + timedelta(minutes=6)
    )
    activities.do_sign_up(resident, joined.occurrences[0].id)
    login(resident)
    html = client.get("/").get_data(as_text=True)
    panel = re.search(r'data-panel="today".*?</section>', html, re.S).group(0)
    assert "Belote" in panel and "Tricot" in panel and "I am going" in panel
    assert panel.count('type="submit">Join') == 1  # only for the activity not joined yet
    join = re.search(r'action="(/activities/occurrences/\d+/signup)"', panel).group(1)
    response = client.post(
        join, data={"csrf_token": token_from(html), "guests": "0", "show_name": "y"}
    )
    assert response.status_code == 302
    assert client.get("/").get_data(as_text=True).count('type="submit">Join') == 0


def test_today_panel_shows_a_waiting_parcel(app, client, login):
    from concierge.desk import parcels

    building = make_building()
    resident = make_resident(building)
    staff = make_staff(Role.CONCIERGE, [building])
    parcels.do_log_parcel(staff, resident.dwelling_id, carrier="UPS")
    login(resident)
    html = client.get("/").get_data(as_text=True)
    assert "A parcel is waiting for you at the desk" in html
    assert "Parcels: 1" in html


def test_simplified_mode_keeps_only_tiles_and_help(app, client, login):
    resident = make_resident()
    people.do_update_preferences(
        resident, locale="en", text_size=100, high_contrast=False, simplified_mode=True
    )
    login(resident)
    html = client.get("/").get_data(as_text=True)
    assert 'class="text-100 simplified"' in html
    assert 'data-panel="today"' not in html
    assert "Notifications" not in html and 'class="footer"' not in html
    assert tile_keys(html)[:4] == RESIDENT_TILES and "I need help" in html


def test_read_aloud_button_only_when_chosen(app, client, login):
    resident = make_resident()
    login(resident)
    assert "data-read-aloud" not in client.get("/help").get_data(as_text=True)
    people.do_update_preferences(
        resident, locale="en", text_size=100, high_contrast=False, read_aloud=True
    )
    html = client.get("/help").get_data(as_text=True)
    assert "data-read-aloud" in html and 'data-lang="en"' in html


def test_settings_save_simplified_mode_and_read_aloud_with_csrf(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    data = {"locale": "en", "text_size": "125", "simplified_mode": "y", "read_aloud": "y"}
    assert client.post("/settings", data=data).status_code == 400  # no CSRF token
    assert resident.simplified_mode is False
    response = client.post("/settings", data={**data, "csrf_token": token_from(html)})
    assert response.status_code == 302
    assert (resident.simplified_mode, resident.read_aloud, resident.text_size) == (True, True, 125)


def test_arabic_pages_are_right_to_left(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    assert 'lang="ar"' in html  # Arabic is offered
    response = client.post(
        "/language", data={"csrf_token": token_from(html), "locale": "ar", "next": "/help"}
    )
    assert response.status_code == 302 and resident.locale == "ar"
    assert '<html lang="ar" dir="rtl"' in client.get("/help").get_data(as_text=True)
    people.do_set_locale(resident, "fr")
    assert '<html lang="fr" dir="ltr"' in client.get("/help").get_data(as_text=True)


def test_language_switch_refuses_an_unknown_language(app, client, login):
    resident = make_resident(locale="fr")
    login(resident)
    html = client.get("/settings").get_data(as_text=True)
    client.post("/language", data={"csrf_token": token_from(html), "locale": "xx"})
    assert resident.locale == "fr"


def test_profile_page_saves_with_csrf_and_refuses_bad_input(app, client, login):
    resident = make_resident()
    login(resident)
    html = client.get("/profile").get_data(as_text=True)
    fields = {"display_name": "Jeannette", "languages": "français", "in_directory": "y"}
    assert client.post("/profile", data=fields).status_code == 400
    assert resident.in_directory is False
    bad = client.post(
        "/profile", data={**fields, "interests": "x" * 400, "csrf_token": token_from(html)}
    )
    assert bad.status_code == 422 and resident.in_directory is False
    not_photo = client.post(
        "/profile",
        data={**fields, "csrf_token": token_from(html), "photo": (io_of(b"nope"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert not_photo.status_code == 422 and resident.in_directory is False
    good = client.post(
        "/profile",
        data={**fields, "csrf_token": token_from(html), "photo": (io_of(png_bytes()), "me.png")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 302
    assert resident.in_directory is True and resident.display_name == "Jeannette"
    with client.get(f"/people/{resident.id}/avatar.svg") as avatar:
        assert avatar.mimetype == "image/jpeg" and avatar.get_data()[:2] == b"\xff\xd8"


def io_of(data: bytes):
    import io

    return io.BytesIO(data)


def test_directory_page_shows_opted_in_neighbours_with_a_write_button(app, client, login):
    building = make_building()
    me = make_resident(building)
    karim = make_resident(building, first_name="Karim")
    profile(karim, display_name="Karim", languages="arabe, français", in_directory=True)
    paul = make_resident(building, first_name="Paul")
    odette = make_resident(make_building(), first_name="Odette")
    profile(odette, in_directory=True)
    login(me)
    html = client.get("/directory").get_data(as_text=True)
    assert "Karim" in html and "arabe, français" in html
    assert "Paul" not in html and "Odette" not in html
    assert f"/messages/with/{karim.id}" in html
    response = client.post(f"/messages/with/{karim.id}", data={"csrf_token": token_from(html)})
    assert response.status_code == 302 and "/messages/" in response.headers["Location"]
    assert paul.in_directory is False


def test_profile_and_directory_are_for_residents_only(app, client, login):
    login(make_staff(Role.CONCIERGE))
    assert client.get("/profile").status_code == 404
    assert client.get("/directory").status_code == 404
