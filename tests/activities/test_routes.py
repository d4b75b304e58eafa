from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from activities import service
from activities.models import SignupStatus
from portal.icons import icon
from portal.people.models import Role
from tests.activities.test_service import in_days, make_activity
from tests.factories import make_building, make_resident, make_staff


def token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match
    return match.group(1)


def test_calendar_shows_this_weeks_activities_with_places(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    make_activity(coordinator, building, capacity=5)
    resident = make_resident(building)
    login(resident)
    html = client.get("/activities").get_data(as_text=True)
    assert "Tricot" in html and "5 places left" in html
    assert client.get("/activities?range=today").status_code == 200
    assert client.get("/activities?range=nonsense").status_code == 200


def test_sign_up_then_cancel_through_the_pages(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building, capacity=1).occurrences[0]
    resident = make_resident(building)
    login(resident)
    path = f"/activities/occurrences/{occurrence.id}"
    response = client.post(
        f"{path}/signup", data={"csrf_token": token(client, path), "guests": "0", "show_name": "y"}
    )
    assert response.status_code == 302
    assert service.get_signup_status(resident, occurrence.id) == SignupStatus.CONFIRMED
    page = client.get(path).get_data(as_text=True)
    assert "You are going." in page and resident.first_name in page
    client.post(f"{path}/cancel", data={"csrf_token": token(client, path)})
    assert service.get_signup_status(resident, occurrence.id) == SignupStatus.CANCELLED


def test_other_buildings_activities_are_hidden(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building).occurrences[0]
    login(make_resident(make_building()))
    assert client.get(f"/activities/occurrences/{occurrence.id}").status_code == 404
    assert "Tricot" not in client.get("/activities").get_data(as_text=True)


def test_only_staff_plan_activities(app, client, login):
    building = make_building()
    login(make_resident(building))
    assert client.get("/activities/new").status_code == 404
    coordinator = make_staff(Role.COORDINATOR, [building])
    login(coordinator)
    day = in_days(3)
    data = {
        "csrf_token": token(client, "/activities/new"),
        "title": "Aide aux devoirs",
        "day": day.date().isoformat(),
        "start": "17:00",
        "end": "18:00",
        "capacity": "4",
        "recurrence": "none",
    }
    assert client.post("/activities/new", data=data).status_code == 302
    assert "Aide aux devoirs" in client.get("/activities").get_data(as_text=True)


def test_end_before_start_is_refused_and_nothing_is_created(app, client, login):
    building = make_building()
    login(make_staff(Role.COORDINATOR, [building]))
    data = {
        "csrf_token": token(client, "/activities/new"),
        "title": "À l'envers",
        "day": (in_days(3) + timedelta(days=0)).date().isoformat(),
        "start": "18:00",
        "end": "17:00",
        "recurrence": "none",
    }
    response = client.post("/activities/new", data=data, follow_redirects=True)
    assert "The end must come after the start." in response.get_data(as_text=True)
    assert "l&#39;envers" not in client.get("/activities").get_data(as_text=True)


def test_staff_mark_who_came_on_the_activity_page(app, client, login):
    import time_machine

    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building, capacity=3).occurrences[0]
    resident = make_resident(building)
    service.do_sign_up(resident, occurrence.id)
    path = f"/activities/occurrences/{occurrence.id}"
    with time_machine.travel(occurrence.starts_at + timedelta(hours=1), tick=False):
        login(resident)
        assert (
            client.post(f"{path}/attendance", data={"csrf_token": token(client, path)}).status_code
            == 404
        )
        login(coordinator)
        page = client.get(path).get_data(as_text=True)
        assert "Who came" in page and resident.last_name in page
        data = {"csrf_token": token(client, path), "present": [str(resident.id)]}
        assert client.post(f"{path}/attendance", data=data).status_code == 302
    assert service.list_participants(occurrence.id)[0][0].attended is True


def test_month_view_has_a_grid_linking_to_each_day(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building).occurrences[0]
    login(make_resident(building))
    html = client.get("/activities?range=month").get_data(as_text=True)
    day = occurrence.starts_at.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()
    assert f'href="#day-{day}"' in html and f'id="day-{day}"' in html
    assert "1 activity" in html


def test_an_activity_can_have_a_photo(app, client, login, tmp_path):
    import io

    from PIL import Image

    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    login(coordinator)
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "#336699").save(buffer, "PNG")
    data = {
        "csrf_token": token(client, "/activities/new"),
        "title": "Atelier photo",
        "day": in_days(3).date().isoformat(),
        "start": "10:00",
        "end": "11:00",
        "recurrence": "none",
        "category": "culture",
        "audience": "everyone",
        "photo": (io.BytesIO(buffer.getvalue()), "affiche.png"),
    }
    response = client.post("/activities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r"src=\"(/activities/\d+/photo)\"", page)
    assert found, page[page.find("<main") :][:800]
    url = found.group(1)
    login(make_resident(building))
    with client.get(url) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    login(make_resident(make_building()))
    assert client.get(url).status_code == 404


def test_categories_and_audiences_show_their_pictogram_and_label(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(
        coordinator, building, category="games", audience="seniors"
    ).occurrences[0]
    login(make_resident(building))
    calendar = client.get("/activities").get_data(as_text=True)
    dices, soup = str(icon("dices")), str(icon("soup"))  # SVG pictograms, no emoji font
    beside = r"</span>(?:&nbsp;| )(?:<bdi>)?Tricot"  # the pictogram, then the title
    assert dices and re.search(re.escape(dices) + beside, calendar)
    assert "Games · Seniors" in calendar
    page = client.get(f"/activities/occurrences/{occurrence.id}").get_data(as_text=True)
    assert re.search(re.escape(dices) + beside, page) and "Games · Seniors" in page
    french = client.get("/activities", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Jeux · Seniors" in french
    login(coordinator)
    form = client.get("/activities/new").get_data(as_text=True)
    assert f"{soup}</span> Shared meal" in form and "Children with a parent" in form
