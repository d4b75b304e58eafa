"""A resident asks for erasure from their settings; the building's managers hear of it; one
confirms it (the erasure with the name typed) or declines it with a reason the resident reads.
Through the real pages, each person on their own client."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.datarights import requests
from portal.datarights.export import build_export
from portal.datarights.models import ErasureRequest
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Person, Role
from tests.factories import make_building, make_resident, make_staff


def csrf(client: FlaskClient, path: str = "/settings") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def notifications_of(person: Person) -> list[Notification]:
    stmt = select(Notification).where(Notification.person_id == person.id)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def jeanne(building):
    return make_resident(building, first_name="Jeanne", last_name="Martin", locale="en")


@pytest.fixture
def manager(building):
    return make_staff(Role.MANAGER, [building], locale="en")


@pytest.fixture
def as_jeanne(app, login, jeanne) -> FlaskClient:
    return login(jeanne, app.test_client())


@pytest.fixture
def as_manager(app, login, manager) -> FlaskClient:
    return login(manager, app.test_client())


def ask(client: FlaskClient):
    return client.post(
        "/my-data/erasure-request", data={"csrf_token": csrf(client, "/my-data/erasure-request")}
    )


def test_the_settings_page_offers_the_request_with_a_confirmation_step(as_jeanne):
    page = text_of(as_jeanne.get("/settings"))
    assert "You can ask us to erase your account and your data." in page
    assert 'href="/my-data/erasure-request"' in page
    confirm = as_jeanne.get("/my-data/erasure-request")
    assert confirm.status_code == 200
    assert "Do you want to send this request?" in text_of(confirm)
    assert "Yes, send my request" in text_of(confirm)
    assert db.session.scalar(select(func.count(ErasureRequest.id))) == 0  # nothing asked yet


def test_a_resident_asks_and_the_manager_confirms_the_erasure(
    app, as_jeanne, as_manager, jeanne, manager, building
):
    other_manager = make_staff(Role.MANAGER, [make_building()], locale="en")  # another landlord
    jeanne_id = jeanne.id

    response = ask(as_jeanne)
    assert response.status_code == 302 and response.headers["Location"] == "/settings"
    settings = text_of(as_jeanne.get("/settings"))
    assert "Your request is sent. The manager will answer you." in settings
    assert "to erase your account. The manager will answer you." in settings
    assert 'href="/my-data/erasure-request"' not in settings  # asked: no second button

    told = notifications_of(manager)
    assert [n.kind for n in told] == [requests.ASKED]
    assert told[0].title == "Jeanne Martin asks for their account to be erased."
    assert told[0].url == f"/staff/people/{jeanne_id}/erase"
    assert notifications_of(other_manager) == []
    assert actions()[-1] == "erasure.requested"

    listing = text_of(as_manager.get("/staff/erasure-requests"))
    assert "Jeanne Martin" in listing and f"/staff/people/{jeanne_id}/erase" in listing
    page = as_manager.get(told[0].url)
    assert page.status_code == 200
    assert "asked on" in text_of(page) and "Decline the request" in text_of(page)

    token = csrf(as_manager, told[0].url)
    erased = as_manager.post(
        f"/staff/people/{jeanne_id}/erase",
        data={"csrf_token": token, "confirm_name": "Jeanne Martin"},
    )
    assert erased.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, jeanne_id) is None
    assert db.session.scalar(select(func.count(ErasureRequest.id))) == 0
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "person.erased" and entry.detail == {"on_request": True}
    assert entry.actor_id == manager.id
    assert "No request is waiting." in text_of(as_manager.get("/staff/erasure-requests"))


def test_the_manager_declines_with_a_reason_the_resident_reads(
    as_jeanne, as_manager, jeanne, manager
):
    ask(as_jeanne)
    url = f"/staff/people/{jeanne.id}/erasure-request/decline"
    token = csrf(as_manager, f"/staff/people/{jeanne.id}/erase")
    empty = as_manager.post(url, data={"csrf_token": token, "reason": "   "})
    assert empty.status_code == 422
    assert "Please say why, in at most 500 characters." in text_of(empty)
    assert requests.get_pending(jeanne) is not None

    reason = "Your rent file is still open; come and see me on Tuesday."
    declined = as_manager.post(url, data={"csrf_token": token, "reason": reason})
    assert declined.status_code == 302
    assert declined.headers["Location"] == "/staff/erasure-requests"
    db.session.expire_all()
    assert db.session.get(Person, jeanne.id) is not None
    assert requests.get_pending(jeanne) is None
    assert actions()[-1] == "erasure.declined"
    told = notifications_of(jeanne)
    assert [n.kind for n in told] == [requests.DECLINED]
    assert told[0].url == "/settings"

    settings = text_of(as_jeanne.get("/settings"))
    assert "your account stays." in settings and reason in settings
    assert 'href="/my-data/erasure-request"' in settings  # she may ask again
    again = as_manager.post(url, data={"csrf_token": token, "reason": "Again"})
    assert again.status_code == 409
    assert "This request has already been answered." in text_of(again)
    assert ask(as_jeanne).status_code == 302
    assert requests.get_pending(jeanne) is not None
    export = build_export(jeanne)["erasure_requests"]
    assert [r["reason"] for r in export] == [reason, None]


def test_asking_twice_keeps_one_request(as_jeanne, jeanne, manager):
    ask(as_jeanne)
    second = ask(as_jeanne)
    assert second.status_code == 302
    assert "You have already asked. The manager will answer you." in text_of(
        as_jeanne.get("/settings")
    )
    assert db.session.scalar(select(func.count(ErasureRequest.id))) == 1
    assert len(notifications_of(manager)) == 1
    assert actions().count("erasure.requested") == 1


def test_the_organisation_managers_hear_when_the_building_has_none(app, login, building):
    org_manager = make_staff(Role.MANAGER, [], organisation=building.organisation, locale="en")
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    paul = make_resident(building, first_name="Paul", locale="en")
    ask(login(paul, app.test_client()))
    assert [n.kind for n in notifications_of(org_manager)] == [requests.ASKED]
    assert notifications_of(coordinator) == []


def test_only_managers_of_the_organisation_answer(app, login, as_jeanne, jeanne, building):
    ask(as_jeanne)
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    stranger = make_staff(Role.MANAGER, [make_building()], locale="en")
    as_coordinator = login(coordinator, app.test_client())
    as_stranger = login(stranger, app.test_client())
    assert as_coordinator.get("/staff/erasure-requests").status_code == 404
    assert as_jeanne.get("/staff/erasure-requests").status_code == 404
    assert "Jeanne" not in text_of(as_stranger.get("/staff/erasure-requests"))
    url = f"/staff/people/{jeanne.id}/erasure-request/decline"
    token = csrf(as_stranger)
    assert as_stranger.post(url, data={"csrf_token": token, "reason": "no"}).status_code == 404
    token = csrf(as_coordinator)
    assert as_coordinator.post(url, data={"csrf_token": token, "reason": "no"}).status_code == 404
    assert requests.get_pending(jeanne) is not None


def test_staff_cannot_ask_through_the_resident_page(app, login, manager):
    as_manager = login(manager, app.test_client())
    assert as_manager.get("/my-data/erasure-request").status_code == 404
    assert "Ask to erase my account" not in text_of(as_manager.get("/settings"))
