"""The pages that list the people one may write to: same markup, built once per page."""

from __future__ import annotations

import re

from markupsafe import escape

from messaging.forms import GroupForm
from portal.extensions import db
from tests.factories import make_dwelling, make_resident
from tests.messaging.conftest import World


def csrf_tokens(html: str) -> list[str]:
    return re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html)


def test_new_message_lists_each_person_with_floor_or_role(world: World, client, login):
    ground = make_resident(dwelling=make_dwelling(world.building, floor=0), first_name="Gil")
    db.session.commit()
    login(world.alice)
    html = client.get("/messages/new").get_data(as_text=True)
    people = [world.bob, world.carol, ground, world.concierge, world.coordinator]
    for person in people:
        assert f'action="/messages/with/{person.id}"' in html
        assert f'src="/people/{person.id}/avatar.svg" alt="" width="96" height="96"' in html
        name = f"{person.first_name} {person.last_name}"
        assert f'<span class="person-name"><bdi>{name}</bdi></span>' in html
    for person in (world.alice, world.stranger):
        assert f'action="/messages/with/{person.id}"' not in html
    assert html.count('<span class="small">Floor 1</span>') == 2  # Bob and Carol
    assert html.count('<span class="small">Ground floor</span>') == 1
    assert '<span class="small">Concierge</span>' in html
    assert '<span class="small">Intergenerational coordinator</span>' in html
    # Staff come first, then residents by first name.
    order = [html.index(f'action="/messages/with/{p.id}"') for p in people]
    staff_first = [world.concierge, world.coordinator, world.bob, world.carol, ground]
    assert sorted(order) == [html.index(f'action="/messages/with/{p.id}"') for p in staff_first]
    tokens = csrf_tokens(html)
    assert len(tokens) == len(people) and len(set(tokens)) == 1
    answer = client.post(f"/messages/with/{world.bob.id}", data={"csrf_token": tokens[0]})
    assert answer.status_code == 302


def wtforms_checkboxes(app, choices: list[tuple[int, str]], chosen: list[int]) -> list[str]:
    """The list items as WTForms itself renders each option of the members field."""
    with app.test_request_context():
        form = GroupForm(meta={"csrf": False}, data={"members": chosen})
        form.members.choices = choices
        items = []
        for option in form.members:
            label = escape(option.label.text)
            items.append(f'<li><label class="choice">{option()} <span>{label}</span></label></li>')
        return items


def test_new_group_checkboxes_are_those_wtforms_renders(world: World, app, client, login):
    world.carol.last_name = "O'Hara & <Fils>"
    db.session.commit()
    login(world.alice)
    html = client.get("/messages/groups/new").get_data(as_text=True)
    choices = [
        (p.id, p.full_name) for p in (world.concierge, world.coordinator, world.bob, world.carol)
    ]
    for item in wtforms_checkboxes(app, choices, []):
        assert item in html
    assert "O&#39;Hara &amp; &lt;Fils&gt;" in html

    # Sent without a title: the page comes back with the chosen people still ticked.
    csrf = csrf_tokens(html)[0]
    data = {"csrf_token": csrf, "title": "", "members": [str(world.bob.id), str(world.carol.id)]}
    answer = client.post("/messages/groups/new", data=data)
    assert answer.status_code == 422
    again = answer.get_data(as_text=True)
    for item in wtforms_checkboxes(app, choices, [world.bob.id, world.carol.id]):
        assert item in again
    assert again.count(" checked ") == 2
