"""Simplified mode on the resident's home: the daily check-in, a main action, stays."""

from __future__ import annotations

from datetime import timedelta

from activities import service as activities
from portal.db import utcnow
from portal.people import service as people
from portal.people.models import Role
from portal.wellbeing import service as wellbeing
from tests.factories import make_building, make_resident, make_staff


def test_simplified_home_keeps_the_check_in_and_hides_the_other_panels(app, client, login):
    building = make_building()
    resident = make_resident(building)
    coordinator = make_staff(Role.COORDINATOR, [building])
    start = utcnow() + timedelta(hours=2)
    activities.do_create_activity(
        coordinator, building.id, title="Loto", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    wellbeing.do_opt_in(resident)
    login(resident)
    html = client.get("/").get_data(as_text=True)
    assert 'data-panel="checkin"' in html and 'data-panel="today"' in html  # as usual

    people.do_update_preferences(
        resident, locale="en", text_size=100, high_contrast=False, simplified_mode=True
    )
    html = client.get("/").get_data(as_text=True)
    assert 'class="text-100 simplified"' in html
    assert 'data-panel="checkin"' in html and "I'm fine today" in html
    assert 'data-panel="today"' not in html
    assert html.count('class="home-panel') == 1
