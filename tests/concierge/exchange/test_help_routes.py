"""Pages and socket events of the service exchange, and who may use them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from concierge.exchange import service as helping
from concierge.exchange.models import HealthAccessLog, HelpRequest, HelpStatus
from portal.extensions import db
from portal.people.models import Role
from tests.concierge.exchange.test_helping import ask
from tests.factories import make_building, make_dwelling, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def world(app):
    """Two dwellings of one building, and a resident and concierge of a second building."""
    building = make_building()
    other = make_building()
    people = {
        "jeanne": make_resident(building, dwelling=make_dwelling(building), first_name="Jeanne"),
        "paul": make_resident(building, dwelling=make_dwelling(building), first_name="Paul"),
        "lucie": make_resident(building, first_name="Lucie"),
        "concierge": make_staff(Role.CONCIERGE, [building]),
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "stranger": make_resident(other, first_name="Omar"),
        "other_concierge": make_staff(Role.CONCIERGE, [other]),
    }
    committed()
    return people


def committed() -> None:
    """Commit what the test built: the pages read it through their own connections."""
    db.session.commit()


def ask_form(kind="groceries", **fields) -> dict[str, str]:
    day = datetime.now(PARIS).date() + timedelta(days=1)
    return {
        "kind": kind,
        "day": day.isoformat(),
        "start": "14:00",
        "end": "17:00",
        "urgency": "soon",
        **fields,
    }


def post(client, url: str, data: dict[str, str] | None = None):
    """POST with the CSRF token a page of the portal carries."""
    html = client.get("/neighbours").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    return client.post(url, data={"csrf_token": match.group(1) if match else "", **(data or {})})


def count_requests() -> int:
    return int(db.session.scalar(select(func.count(HelpRequest.id))) or 0)


def test_resident_asks_through_the_form_and_lands_on_the_request(client, login, world):
    login(world["jeanne"])
    assert client.get("/neighbours/ask").status_code == 200
    response = post(client, "/neighbours/ask", ask_form(details="pain, lait"))
    assert response.status_code == 302
    request = db.session.scalars(select(HelpRequest)).one()
    assert response.headers["Location"].endswith(f"/neighbours/requests/{request.id}")
    assert request.details == "pain, lait" and request.requester_id == world["jeanne"].id
    page = client.get(f"/neighbours/requests/{request.id}").get_data(as_text=True)
    assert "pain, lait" in page


MEDICINES = {"kind": "pharmacy", "consent": "y", "pharmacy": "X", "details": "Doliprane"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end": "13:00"}, "The end must come after the start."),
        ({"kind": "rocket"}, "Not a valid choice"),
        ({"kind": "pharmacy", "pharmacy": "Pharmacie du Centre"}, "Tick the box"),
        (MEDICINES, "no medicines"),
        ({"day": "not-a-day"}, "Choose a day."),
    ],
)
def test_bad_input_is_explained_and_nothing_is_stored(client, login, world, fields, message):
    login(world["jeanne"])
    response = post(client, "/neighbours/ask", ask_form(**fields))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count_requests() == 0


def test_staff_choose_the_resident_they_ask_for(client, login, world):
    login(world["coordinator"])
    page = client.get("/neighbours/ask").get_data(as_text=True)
    assert "Jeanne" in page and "Omar" not in page
    response = post(client, "/neighbours/ask", ask_form(requester=str(world["stranger"].id)))
    assert response.status_code == 422 and count_requests() == 0
    post(client, "/neighbours/ask", ask_form(requester=str(world["jeanne"].id)))
    assert db.session.scalars(select(HelpRequest.requester_id)).one() == world["jeanne"].id


def test_board_shows_the_building_and_hides_pharmacy_details(client, login, world):
    ask(world["jeanne"], details="pain de campagne")
    ask(world["jeanne"], kind="pharmacy", details="Pharmacie des Tilleuls", health_consent=True)
    committed()
    login(world["lucie"])
    board = client.get("/neighbours").get_data(as_text=True)
    assert "Groceries" in board and "Pharmacy run" in board
    assert "Pharmacie des Tilleuls" not in board
    assert "Pharmacie des Tilleuls" not in client.get("/neighbours/cards").get_data(as_text=True)
    login(world["stranger"])
    assert "Jeanne" not in client.get("/neighbours").get_data(as_text=True)


def test_pharmacy_details_refused_to_a_third_neighbour_over_http_and_socket(
    client, login, socket_client, world
):
    run = ask(
        world["jeanne"], kind="pharmacy", details="Pharmacie des Tilleuls", health_consent=True
    )
    helping.do_take(world["paul"], run.id)
    committed()
    login(world["lucie"])
    for url in (f"/neighbours/requests/{run.id}", f"/neighbours/requests/{run.id}/status"):
        page = client.get(url)
        assert page.status_code == 200 and "Pharmacie des Tilleuls" not in page.get_data(True)
    sock = socket_client(world["lucie"])
    refused = sock.emit("get_help_details", {"request_id": run.id}, callback=True)
    assert refused["ok"] is False and refused["error"] == "forbidden"
    shown = sock.emit("get_help_request", {"request_id": run.id}, callback=True)
    assert shown["ok"] is True and "details" not in shown["request"]
    helper = socket_client(world["paul"])
    allowed = helper.emit("get_help_details", {"request_id": run.id}, callback=True)
    assert allowed == {"ok": True, "details": "Pharmacie des Tilleuls"}
    channels = db.session.scalars(select(HealthAccessLog.channel)).all()
    assert channels == ["socket"]
    login(world["concierge"])
    page = client.get(f"/neighbours/requests/{run.id}").get_data(as_text=True)
    assert "Pharmacie des Tilleuls" in page and "Who read the pharmacy details" in page


def test_other_building_gets_404_on_every_page_and_write(client, login, world):
    request = ask(world["jeanne"])
    offer = helping.do_save_offer(world["paul"], "groceries")
    committed()
    actions = ("take", "release", "give-back", "cancel", "done", "thank", "propose")
    for person in (world["stranger"], world["other_concierge"]):
        login(person)
        for url in (
            f"/neighbours/requests/{request.id}",
            f"/neighbours/requests/{request.id}/status",
        ):
            assert client.get(url).status_code == 404
        for action in (*actions, "accept", "decline"):
            assert post(client, f"/neighbours/requests/{request.id}/{action}").status_code == 404
        assert post(client, f"/neighbours/offers/{offer.id}/withdraw").status_code == 404
    assert request.status == HelpStatus.OPEN and offer.active


def test_socket_take_by_a_stranger_is_refused(socket_client, world):
    request = ask(world["jeanne"])
    committed()
    sock = socket_client(world["stranger"])
    answer = sock.emit("take_help_request", {"request_id": request.id}, callback=True)
    assert answer["ok"] is False and answer["error"] == "not_found"
    bad = sock.emit("take_help_request", {"request_id": "1"}, callback=True)
    assert bad["error"] == "bad_request"


def test_taking_by_socket_tells_the_requester_live(socket_client, world):
    request = ask(world["jeanne"])
    committed()
    requester = socket_client(world["jeanne"])
    requester.get_received()
    helper = socket_client(world["paul"])
    answer = helper.emit("take_help_request", {"request_id": request.id}, callback=True)
    assert answer["ok"] is True and answer["request"]["status"] == "taken"
    names = [event["name"] for event in requester.get_received()]
    assert "concierge.help_changed" in names and "portal.notification_created" in names


def test_a_neighbour_takes_then_the_two_finish_and_thank(client, login, world):
    request = ask(world["jeanne"])
    committed()
    login(world["paul"])
    post(client, f"/neighbours/requests/{request.id}/take")
    assert request.status == HelpStatus.TAKEN
    page = client.get(f"/neighbours/requests/{request.id}").get_data(as_text=True)
    assert "Write to Jeanne" in page
    post(client, f"/neighbours/requests/{request.id}/done", {"minutes": "60"})
    assert request.status == HelpStatus.DONE and request.minutes_given == 60
    assert (
        post(client, f"/neighbours/requests/{request.id}/thank", {"note": "!"}).status_code == 302
    )
    assert request.status == HelpStatus.DONE  # only the requester thanks
    login(world["jeanne"])
    post(client, f"/neighbours/requests/{request.id}/thank", {"note": "Merci !"})
    assert request.status == HelpStatus.THANKED and request.thanks_note == "Merci !"


def test_offer_page_saves_withdraws_and_sets_consent(client, login, world):
    login(world["paul"])
    response = post(client, "/neighbours/offer", {"kind": "tablet", "availability": "le soir"})
    assert response.status_code == 302
    offer = helping.list_my_offers(world["paul"])[0]
    assert post(client, "/neighbours/offer", {"kind": "nope"}).status_code == 422
    login(world["lucie"])
    assert client.get(f"/neighbours/people/{world['paul'].id}").status_code == 200
    assert "hours given" not in client.get(f"/neighbours/people/{world['paul'].id}").get_data(True)
    login(world["paul"])
    post(client, "/neighbours/profile", {"show": "y"})
    login(world["lucie"])
    assert "hours given" in client.get(f"/neighbours/people/{world['paul'].id}").get_data(True)
    login(world["paul"])
    post(client, f"/neighbours/offers/{offer.id}/withdraw")
    assert helping.list_my_offers(world["paul"]) == []
    login(world["stranger"])
    assert client.get(f"/neighbours/people/{world['paul'].id}").status_code == 404


def test_the_desk_sees_requests_a_neighbour_took_and_residents_do_not(client, login, world):
    request = ask(world["jeanne"], kind="paperwork")
    helping.do_take(world["paul"], request.id)
    committed()
    login(world["concierge"])
    board = client.get("/neighbours").get_data(as_text=True)
    assert "Taken by a neighbour" in board and "Helper: Paul" in board
    login(world["lucie"])
    assert "Help with paperwork" not in client.get("/neighbours/cards").get_data(as_text=True)


def test_figures_are_for_staff_of_the_building(client, login, world):
    ask(world["jeanne"])
    committed()
    login(world["jeanne"])
    assert client.get("/neighbours/figures").status_code == 404
    login(world["coordinator"])
    page = client.get("/neighbours/figures?days=90")
    assert page.status_code == 200 and "By kind of help" in page.get_data(as_text=True)
    other = world["stranger"].building_id
    assert client.get(f"/neighbours/figures?building={other}").status_code == 404


def test_badge_counts_requests_others_could_take(client, login, world):
    ask(world["jeanne"])
    committed()
    login(world["paul"])
    assert client.get("/api/neighbours/badge").get_json() == {"count": 1}
    login(world["jeanne"])
    assert client.get("/api/neighbours/badge").get_json() == {"count": 0}
