"""Who may see whom: walks the matrix of roles and buildings."""

from __future__ import annotations

import pytest

from portal.errors import NotFound
from portal.people import service as people
from portal.people.models import Role
from tests.factories import make_building, make_organisation, make_resident, make_staff


@pytest.fixture
def two_buildings(app):
    org = make_organisation()
    a, b = make_building(org, "Les Tilleuls"), make_building(org, "Le Belvédère")
    return {
        "a": a,
        "b": b,
        "resident_a": make_resident(a, first_name="Alice"),
        "neighbour_a": make_resident(a, first_name="Anatole"),
        "resident_b": make_resident(b, first_name="Bernard"),
        "coordinator_a": make_staff(Role.COORDINATOR, [a], organisation=org),
        "concierge_b": make_staff(Role.CONCIERGE, [b], organisation=org),
        "manager": make_staff(Role.MANAGER, [], organisation=org),
    }


STAFF_PAGES = [
    "/staff/buildings/{a}/residents",
    "/staff/residents/{resident_a}",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
def test_residents_cannot_open_staff_pages(two_buildings, client, login, page):
    w = two_buildings
    login(w["resident_a"])
    url = page.format(a=w["a"].id, resident_a=w["resident_a"].id)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["card", "card/revoke", "pin"])
def test_residents_cannot_post_staff_actions(two_buildings, client, login, action):
    w = two_buildings
    login(w["resident_a"])
    response = client.post(f"/staff/residents/{w['neighbour_a'].id}/{action}", data={})
    assert response.status_code in {400, 404}
    assert w["neighbour_a"].pin_hash is not None


def test_staff_see_only_their_buildings(two_buildings, client, login):
    w = two_buildings
    login(w["coordinator_a"])
    assert client.get(f"/staff/buildings/{w['a'].id}/residents").status_code == 200
    assert client.get(f"/staff/buildings/{w['b'].id}/residents").status_code == 404
    assert client.get(f"/staff/residents/{w['resident_a'].id}").status_code == 200
    assert client.get(f"/staff/residents/{w['resident_b'].id}").status_code == 404


def test_staff_cannot_act_on_another_buildings_resident(two_buildings, client, login):
    w = two_buildings
    login(w["concierge_b"])
    home = client.get("/").get_data(as_text=True)
    token = home.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(
        f"/staff/residents/{w['resident_a'].id}/pin",
        data={"csrf_token": token, "pin": "1111", "confirm": "1111"},
    )
    assert response.status_code == 404


def test_manager_covers_every_building_of_the_landlord(two_buildings, client, login):
    w = two_buildings
    login(w["manager"])
    for building in (w["a"], w["b"]):
        assert client.get(f"/staff/buildings/{building.id}/residents").status_code == 200
    other_landlord = make_building()
    assert client.get(f"/staff/buildings/{other_landlord.id}/residents").status_code == 404


def test_a_resident_sees_nobody_of_another_building(two_buildings, client, login):
    w = two_buildings
    login(w["resident_a"])
    assert client.get(f"/people/{w['neighbour_a'].id}/avatar.svg").status_code == 200
    assert client.get(f"/people/{w['resident_b'].id}/avatar.svg").status_code == 404
    assert client.get(f"/people/{w['concierge_b'].id}/avatar.svg").status_code == 404
    with pytest.raises(NotFound) as error:
        people.access_person(w["resident_a"], w["resident_b"].id)
    assert error.value.status == 404


def test_staff_home_lists_only_covered_buildings(two_buildings, client, login):
    w = two_buildings
    login(w["coordinator_a"])
    html = client.get("/").get_data(as_text=True)
    assert "Les Tilleuls" in html
    assert "Le Belvédère" not in html


def test_anonymous_visitors_see_no_avatars(two_buildings, client):
    assert client.get(f"/people/{two_buildings['resident_a'].id}/avatar.svg").status_code == 404


def test_avatar_is_initials_on_a_colour(two_buildings, client, login):
    w = two_buildings
    login(w["resident_a"])
    response = client.get(f"/people/{w['resident_a'].id}/avatar.svg")
    assert response.mimetype == "image/svg+xml"
    assert f">{w['resident_a'].initials}</text>" in response.get_data(as_text=True)


def test_residents_list_shows_dwellings_and_login_state(two_buildings, client, login):
    w = two_buildings
    login(w["coordinator_a"])
    html = client.get(f"/staff/buildings/{w['a'].id}/residents").get_data(as_text=True)
    assert w["resident_a"].last_name in html
    assert w["resident_a"].dwelling.number in html
    assert w["resident_b"].last_name not in html
