"""The directory read as plain rows, the once-per-page helpers, and the neighbours page."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from flask_babel import force_locale

from portal.extensions import db
from portal.people import display
from portal.people import service as people
from portal.people.models import Role
from tests.factories import (
    make_building,
    make_dwelling,
    make_organisation,
    make_resident,
    make_staff,
)


@pytest.fixture
def building_world(app):
    org = make_organisation()
    building, other = make_building(org), make_building(org)
    ground = make_dwelling(building, floor=0)
    third = make_dwelling(building, floor=3)
    world = {
        "building": building,
        "me": make_resident(dwelling=ground, first_name="Yvette"),
        "zoe": make_resident(dwelling=third, first_name="Zoé"),
        "anna": make_resident(dwelling=ground, first_name="Anna"),
        "quiet": make_resident(dwelling=third, first_name="Quentin"),
        "gone": make_resident(dwelling=third, first_name="Gaston"),
        "stranger": make_resident(other, first_name="Sam"),
        "concierge": make_staff(Role.CONCIERGE, [building], organisation=org),
    }
    for key in ("me", "zoe", "anna", "gone"):
        world[key].in_directory = True
    world["gone"].active = False
    world["zoe"].display_name = "Zo & <Zé>"
    world["zoe"].languages = "français, español"
    world["zoe"].interests = "jardin"
    world["zoe"].can_help_with = "courses"
    db.session.commit()
    return world


def test_entries_match_the_directory_in_order_and_content(building_world):
    building = building_world["building"]
    for listed_only in (False, True):
        persons = people.list_directory(building.id, listed_only=listed_only)
        entries = people.list_directory_entries(building.id, listed_only=listed_only)
        assert [e.id for e in entries] == [p.id for p in persons]
        for entry, person in zip(entries, persons, strict=True):
            assert entry.full_name == person.full_name
            assert entry.shown_name == person.shown_name
            assert entry.is_staff == person.is_staff
            assert entry.floor == (person.dwelling.floor if person.dwelling else None)
            assert (entry.languages, entry.interests, entry.can_help_with) == (
                person.languages,
                person.interests,
                person.can_help_with,
            )


def test_neighbour_entries_leave_out_the_viewer_and_match_list_neighbours(building_world):
    me = building_world["me"]
    entries = people.list_neighbour_entries(me)
    assert [e.id for e in entries] == [p.id for p in people.list_neighbours(me)]
    assert me.id not in {e.id for e in entries}
    assert people.list_neighbour_entries(building_world["concierge"]) == []


def test_id_url_builds_what_url_for_builds(app):
    with app.test_request_context():
        for endpoint in ("people.avatar", "messaging.start_direct", "admin.resident"):
            build = display.id_url(endpoint)
            for person_id in (1, 42, 987_654_321):
                assert build(person_id) == url_for(endpoint, person_id=person_id)
        # An argument the rule does not take goes into the query string, as with url_for.
        assert display.id_url("home.index", "page")(5) == url_for("home.index", page=5)


def test_floor_labels_name_each_floor_once(app):
    with app.test_request_context():
        with force_locale("en"):
            assert display.floor_labels([0, 3, None, 3]) == {0: "Ground floor", 3: "Floor 3"}
        with force_locale("fr"):
            assert display.floor_labels([0, 3]) == {0: "Rez-de-chaussée", 3: "Étage 3"}


def test_neighbours_page_shows_each_listed_neighbour(building_world, client, login):
    w = building_world
    login(w["me"])
    html = client.get("/directory").get_data(as_text=True)
    assert "Anna" in html and "Zo &amp; &lt;Zé&gt;" in html
    for hidden in ("Quentin", "Gaston", "Sam"):
        assert hidden not in html
    for key in ("me", "quiet", "gone", "stranger", "concierge"):
        assert f'action="/messages/with/{w[key].id}"' not in html
    # Labels, escaped names and floors, as the page showed them before.
    assert "Write to Zo &amp; &lt;Zé&gt;</button>" in html and "Write to Anna</button>" in html
    assert "<dt>Languages</dt><dd>français, español</dd>" in html
    assert "<dt>Likes</dt><dd>jardin</dd>" in html
    assert "<dt>Can help with</dt><dd>courses</dd>" in html
    assert html.count('<p class="small">Ground floor</p>') == 1
    assert html.count('<p class="small">Floor 3</p>') == 1
    for key in ("anna", "zoe"):
        pid = w[key].id
        assert f'src="/people/{pid}/avatar.svg" alt="" width="96" height="96"' in html
        assert f'action="/messages/with/{pid}"' in html
    # Every form carries the CSRF token, and it is accepted.
    tokens = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert len(tokens) == 2 and len(set(tokens)) == 1
    answer = client.post(f"/messages/with/{w['anna'].id}", data={"csrf_token": tokens[0]})
    assert answer.status_code == 302
