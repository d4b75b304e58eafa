from __future__ import annotations

import re

from icalendar import Calendar

from activities import service
from portal.people.models import Role
from tests.activities.test_service import make_activity
from tests.factories import make_building, make_resident, make_staff


def csrf(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_one_activity_as_ics(app, client, login):
    building = make_building()
    occurrence = make_activity(make_staff(Role.COORDINATOR, [building]), building).occurrences[0]
    login(make_resident(building))
    response = client.get(f"/activities/occurrences/{occurrence.id}.ics")
    assert response.mimetype == "text/calendar"
    event = Calendar.from_ical(response.data).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Tricot"
    assert event.decoded("DTSTART") == occurrence.starts_at
    login(make_resident(make_building()))
    assert client.get(f"/activities/occurrences/{occurrence.id}.ics").status_code == 404


def test_private_feed_lists_my_activities_and_can_be_replaced(app, client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    going = make_activity(coordinator, building).occurrences[0]
    make_activity(coordinator, building)  # not signed up
    resident = make_resident(building)
    service.do_sign_up(resident, going.id)
    login(resident)
    html = client.post(
        "/activities/my-calendar", data={"csrf_token": csrf(client, "/activities/my-calendar")}
    ).get_data(as_text=True)
    link = re.search(r"(http://[^<\s]+/activities/feed/[^<\s]+\.ics)", html).group(1)
    path = link.split("localhost", 1)[-1]
    anonymous = app.test_client()
    feed = anonymous.get(path)
    assert feed.status_code == 200
    events = list(Calendar.from_ical(feed.data).walk("VEVENT"))
    assert [e.decoded("DTSTART") for e in events] == [going.starts_at]
    client.post(
        "/activities/my-calendar", data={"csrf_token": csrf(client, "/activities/my-calendar")}
    )
    assert anonymous.get(path).status_code == 404
    assert anonymous.get("/activities/feed/forged.ics").status_code == 404
