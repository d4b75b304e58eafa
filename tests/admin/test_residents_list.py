"""The staff's list of residents: what each row shows, from Person objects or plain rows."""

from __future__ import annotations

import re

import pytest
from flask import render_template
from flask_login import login_user

from portal.admin.onboarding_routes import residents_extras
from portal.auth import service as auth
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Role
from tests.factories import make_building, make_dwelling, make_resident, make_staff


@pytest.fixture
def world(app):
    building = make_building()
    flat = make_dwelling(building, "A1", floor=0)
    world = {
        "building": building,
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "rose": make_resident(dwelling=flat, first_name="Rose", last_name="O'Brien & <Co>"),
        "louis": make_resident(dwelling=make_dwelling(building, "B2", floor=2), pin=None),
        "gone": make_resident(dwelling=flat, first_name="Gaston", birth_year=None),
    }
    world["gone"].active = False
    db.session.commit()
    auth.do_issue_card(world["rose"], world["coordinator"])
    return world


def rows(html: str) -> str:
    return html[html.index("<tbody>") : html.index("</tbody>")]


def test_each_row_shows_choice_dwelling_name_birth_and_login(world, client, login):
    w = world
    login(w["coordinator"])
    html = client.get(f"/staff/buildings/{w['building'].id}/residents").get_data(as_text=True)
    body = rows(html)
    rose, louis, gone = w["rose"], w["louis"], w["gone"]
    assert (
        f'<input type="checkbox" name="person_id" value="{rose.id}"><span class="visually-hidden">'
        "Choose Rose O&#39;Brien &amp; &lt;Co&gt;</span>"
    ) in body
    assert f'<a class="table-link" href="/staff/residents/{rose.id}">O&#39;Brien' in body
    assert f'href="/staff/residents/{gone.id}"' in body
    assert f'value="{gone.id}"' not in body  # a closed account cannot be chosen
    assert '<span class="tag-closed">account closed</span>' in body
    assert "<td>A1</td>" in body and "<td>B2</td>" in body and "<td>—</td>" in body
    assert body.count("code set") == 2 and body.count("no code") == 1
    assert body.count("<td>card · ") == 1 and body.count("<td>no card · ") == 2
    # Active residents first.
    assert body.index(f'value="{louis.id}"') < body.index(f'href="/staff/residents/{gone.id}"')


def test_plain_rows_render_as_person_objects_do(world, app):
    building = world["building"]
    with app.test_request_context():
        login_user(world["coordinator"])
        extras = residents_extras(building)
        as_people = render_template(
            "admin/residents.html",
            building=building,
            residents=people.list_residents(building),
            **extras,
        )
        as_entries = render_template(
            "admin/residents.html",
            building=building,
            residents=people.list_resident_entries(building),
            **extras,
        )
    assert re.findall(r"<tr>", rows(as_people)) and rows(as_entries) == rows(as_people)
    assert [e.id for e in people.list_resident_entries(building)] == [
        p.id for p in people.list_residents(building)
    ]
