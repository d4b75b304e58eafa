from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from activities import rooms
from activities.models import BookingStatus
from portal.notifications.service import list_notifications
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")
DAY = (datetime.now(PARIS) + timedelta(days=3)).date()


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def world(app):
    building = make_building()
    staff = make_staff(Role.COORDINATOR, [building])
    room = rooms.do_create_room(
        staff,
        building.id,
        name="Salle commune",
        capacity=30,
        opens_at=time(9),
        closes_at=time(21),
        max_minutes=120,
        needs_approval=False,
    )
    return {
        "building": building,
        "staff": staff,
        "room": room,
        "alice": make_resident(building),
        "bob": make_resident(building),
    }


def test_no_two_bookings_overlap(world):
    room, alice, bob = world["room"], world["alice"], world["bob"]
    booking = rooms.do_book(alice, room.id, at(14), at(15), "Anniversaire")
    assert booking.status == BookingStatus.CONFIRMED
    assert code(rooms.do_book, bob, room.id, at(14, 30), at(15, 30)) == "overlap"
    assert rooms.do_book(bob, room.id, at(15), at(16)).status == BookingStatus.CONFIRMED
    rooms.do_cancel_booking(alice, booking.id)
    assert rooms.do_book(bob, room.id, at(14), at(15)).status == BookingStatus.CONFIRMED


def test_opening_hours_and_length_are_enforced(world):
    room, alice = world["room"], world["alice"]
    assert code(rooms.do_book, alice, room.id, at(8), at(9, 30)) == "closed"
    assert code(rooms.do_book, alice, room.id, at(20), at(22)) == "closed"
    assert code(rooms.do_book, alice, room.id, at(10), at(13)) == "too_long"
    assert code(rooms.do_book, alice, room.id, at(11), at(10)) == "end_before_start"


def test_rooms_needing_approval_wait_for_staff(world):
    staff, alice = world["staff"], world["alice"]
    hall = rooms.do_create_room(
        staff,
        world["building"].id,
        name="Salle des fêtes",
        capacity=80,
        opens_at=time(9),
        closes_at=time(23),
        max_minutes=240,
        needs_approval=True,
    )
    booking = rooms.do_book(alice, hall.id, at(18), at(21))
    assert booking.status == BookingStatus.PENDING
    assert code(rooms.do_decide_booking, alice, booking.id, True) == "forbidden"
    rooms.do_decide_booking(staff, booking.id, True)
    assert booking.status == BookingStatus.CONFIRMED
    assert [n.kind for n in list_notifications(alice.id)] == ["activities.booking"]


def test_others_cannot_cancel_or_see_a_booking(world):
    booking = rooms.do_book(world["alice"], world["room"].id, at(10), at(11))
    assert code(rooms.do_cancel_booking, world["bob"], booking.id) == "not_found"
    stranger = make_resident(make_building())
    assert code(rooms.access_room, stranger, world["room"].id) == "not_found"


def test_room_pages(world, client, login):
    login(world["alice"])
    path = f"/activities/rooms/{world['room'].id}"
    html = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "day": DAY.isoformat(), "start": "07:00", "end": "08:00"}
    response = client.post(path, data=data)
    assert response.status_code == 422
    assert "The room is open from 09:00 to 21:00." in response.get_data(as_text=True)
    data.update(start="10:00", end="11:00", purpose="Atelier couture")
    assert client.post(path, data=data).status_code == 302
    assert "Atelier couture" in client.get(path).get_data(as_text=True)
    assert (
        client.post("/activities/rooms", data={"csrf_token": token, "name": "X"}).status_code == 404
    )


def test_activities_and_bookings_never_share_a_room(world):
    from activities import service

    staff, room, alice = world["staff"], world["room"], world["alice"]
    activity = service.do_create_activity(
        staff,
        world["building"].id,
        title="Chorale",
        starts_at=at(17),
        ends_at=at(18),
        room_id=room.id,
    )
    assert activity.place == "Salle commune"
    assert code(rooms.do_book, alice, room.id, at(17, 30), at(18, 30)) == "overlap"
    rooms.do_book(alice, room.id, at(10), at(11))
    assert (
        code(
            service.do_create_activity,
            staff,
            world["building"].id,
            title="Yoga",
            starts_at=at(10, 30),
            ends_at=at(11, 30),
            room_id=room.id,
        )
        == "overlap"
    )


def test_my_bookings_appear_in_the_calendar(world, client, login):
    rooms.do_book(world["alice"], world["room"].id, at(10), at(11))
    login(world["alice"])
    html = client.get("/activities?range=month").get_data(as_text=True)
    assert "My room bookings" in html and "Salle commune" in html
