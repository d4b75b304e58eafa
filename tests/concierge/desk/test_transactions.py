"""The desk's operations of several steps are all or nothing: a failure half-way through a
request leaves no row, no file and no event of the steps before it."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select

from concierge.desk import parcels, tickets
from concierge.desk.models import LogbookEntry, Parcel, Ticket, TicketPhoto, TicketStatus
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Person, Role
from tests.conftest import CapturedEvents
from tests.factories import make_building, make_resident, make_staff


class Broken(RuntimeError):
    """The failure injected into a later step."""


def jpeg(colour: str = "#3366aa") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, html[:500]
    return match.group(1)


def fail_after(original: Callable[..., Any]) -> Callable[..., Any]:
    """A step that does its work (queues its rows or events) and then fails."""

    def step(*args: Any, **kwargs: Any) -> Any:
        original(*args, **kwargs)
        raise Broken("injected")

    return step


def count(model: type) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def uploaded_files(app: Flask) -> list[Path]:
    folder = Path(app.config["PORTAL_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def building(app: Flask) -> Any:
    return make_building()


@pytest.fixture
def concierge(building: Any) -> Person:
    return make_staff(Role.CONCIERGE, [building])


@pytest.fixture
def resident(building: Any) -> Person:
    return make_resident(building, first_name="Jeanne", locale="en")


def test_a_report_that_fails_after_its_photos_leaves_no_ticket_photo_or_file(
    app, client, login, resident, events: CapturedEvents, monkeypatch
):
    login(resident)
    csrf = token(client, "/tickets/new")
    monkeypatch.setattr(tickets, "_publish", fail_after(tickets._publish))
    data = {
        "csrf_token": csrf,
        "category": "water",
        "place": "home",
        "description": "L'eau coule sous l'évier",
        "photos": [(io.BytesIO(jpeg()), "fuite.jpg"), (io.BytesIO(jpeg("#aa3322")), "evier.jpg")],
    }

    response = client.post("/tickets/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 500
    assert count(Ticket) == 0 and count(TicketPhoto) == 0 and count(Notification) == 0
    assert uploaded_files(app) == []
    assert events.named(tickets.EVENT_CREATED) == []


def test_a_refused_second_photo_leaves_no_file_of_the_first(app, client, login, resident):
    login(resident)
    csrf = token(client, "/tickets/new")
    data = {
        "csrf_token": csrf,
        "category": "water",
        "place": "home",
        "description": "Fuite",
        "photos": [(io.BytesIO(jpeg()), "fuite.jpg"), (io.BytesIO(b"not a photo"), "x.jpg")],
    }

    response = client.post("/tickets/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "This file is not a photo we can show." in response.get_data(as_text=True)
    assert count(Ticket) == 0 and uploaded_files(app) == []


@pytest.mark.parametrize("place", ["home", "common"])
def test_a_status_change_that_fails_at_the_notification_changes_nothing(
    client, login, concierge, resident, events: CapturedEvents, monkeypatch, place
):
    ticket = tickets.do_create_ticket(
        resident, category="water", description="Fuite", in_common_areas=place == "common"
    )
    db.session.commit()
    events.clear()
    login(concierge)
    path = f"/tickets/{ticket.id}"
    csrf = token(client, path)
    # The notification comes after the status, the public message and the logbook entry.
    monkeypatch.setattr(tickets, "notify", fail_after(tickets.notify))

    response = client.post(
        f"{path}/status",
        data={"csrf_token": csrf, "status": "resolved", "message": "Joint changé"},
    )

    assert response.status_code == 500
    db.session.expire_all()
    found = db.session.get(Ticket, ticket.id)
    assert found is not None and found.status == TicketStatus.NEW
    assert found.acknowledged_at is None and found.resolved_at is None
    assert found.updates == []
    assert count(LogbookEntry) == 0 and count(Notification) == 0
    assert events.named(tickets.EVENT_CHANGED) == []


def test_a_public_reply_that_fails_at_the_notification_is_not_kept(
    client, login, concierge, resident, events: CapturedEvents, monkeypatch
):
    ticket = tickets.do_create_ticket(resident, category="water", description="Fuite")
    db.session.commit()
    events.clear()
    login(concierge)
    path = f"/tickets/{ticket.id}"
    csrf = token(client, path)
    monkeypatch.setattr(tickets, "notify", fail_after(tickets.notify))

    response = client.post(f"{path}/reply", data={"csrf_token": csrf, "body": "On arrive"})

    assert response.status_code == 500
    db.session.expire_all()
    found = db.session.get(Ticket, ticket.id)
    assert found is not None and found.updates == []
    assert count(Notification) == 0 and events.named(tickets.EVENT_CHANGED) == []


def test_a_pickup_that_fails_half_way_leaves_the_parcel_waiting(
    client, login, concierge, resident, events: CapturedEvents, monkeypatch
):
    parcel = parcels.do_log_parcel(concierge, resident.dwelling_id, carrier="DHL")
    db.session.commit()
    events.clear()
    login(concierge)
    csrf = token(client, f"/desk/dwellings/{resident.dwelling_id}")
    # The events are queued (desk, then residents), then the pickup fails.
    monkeypatch.setattr(parcels, "_publish", fail_after(parcels._publish))

    response = client.post(
        f"/desk/parcels/{parcel.id}/hand-over",
        data={"csrf_token": csrf, "collected_by": str(resident.id)},
    )

    assert response.status_code == 500
    db.session.expire_all()
    found = db.session.get(Parcel, parcel.id)
    assert found is not None and found.collected_at is None
    assert found.collected_by_id is None and found.handed_over_by_id is None
    assert parcels.count_waiting_for(resident) == 1
    assert events.named(parcels.EVENT_COLLECTED) == []


def test_a_parcel_log_that_fails_after_telling_the_residents_leaves_nothing(
    client, login, concierge, resident, events: CapturedEvents, monkeypatch
):
    db.session.commit()
    login(concierge)
    path = f"/desk/dwellings/{resident.dwelling_id}"
    csrf = token(client, path)
    # The residents' notifications are written first, the desk's event last.
    monkeypatch.setattr(parcels, "_publish", fail_after(parcels._publish))

    response = client.post(
        f"{path}/parcels", data={"csrf_token": csrf, "size": "small", "carrier": "UPS"}
    )

    assert response.status_code == 500
    assert count(Parcel) == 0 and count(Notification) == 0
    assert events.named(parcels.EVENT_LOGGED) == []
