"""A destructive tap on a resident page first asks a plain question; nothing changes until the
person says yes (a CSRF-protected POST), and only the person it concerns may be asked."""

from __future__ import annotations

import re
from datetime import time

from activities import service as activities
from activities.models import SignupStatus
from concierge.exchange import service as helping
from concierge.exchange.models import HelpStatus
from messaging import service as messaging
from portal.extensions import db
from portal.people.models import Role
from portal.wellbeing import service as wellbeing
from tests.activities.test_service import make_activity
from tests.concierge.exchange.test_helping import ask
from tests.factories import make_building, make_resident, make_staff


def confirm_form(html: str, action: str) -> str:
    """The CSRF token of the confirmation page's one form, which must post to `action`."""
    assert f'<form method="post" action="{action}">' in html
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_cancelling_my_place_asks_first_then_gives_the_place_back(client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building, capacity=3).occurrences[0]
    resident = make_resident(building)
    activities.do_sign_up(resident, occurrence.id, guests=0, show_name=True)
    login(resident)
    url = f"/activities/occurrences/{occurrence.id}/cancel"
    page = client.get(f"/activities/occurrences/{occurrence.id}").get_data(as_text=True)
    assert f'href="{url}"' in page  # the tap opens the question, it does not cancel

    asked = client.get(url)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Cancel your place at Tricot?" in html
    assert "Yes, cancel my place" in html and "No, keep my place" in html
    token = confirm_form(html, url)
    assert activities.get_signup_status(resident, occurrence.id) == SignupStatus.CONFIRMED

    assert client.post(url).status_code == 400  # no CSRF token: nothing happens
    assert activities.get_signup_status(resident, occurrence.id) == SignupStatus.CONFIRMED
    assert client.post(url, data={"csrf_token": token}).status_code == 302
    assert activities.get_signup_status(resident, occurrence.id) == SignupStatus.CANCELLED
    # Nothing left to cancel: the question is not asked again.
    assert client.get(url).status_code == 302


def test_a_resident_of_another_building_is_never_asked(client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building).occurrences[0]
    login(make_resident(make_building()))
    assert client.get(f"/activities/occurrences/{occurrence.id}/cancel").status_code == 404


def test_no_longer_needing_help_asks_first_and_only_the_requester(client, login):
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building, first_name="Paul")
    request = ask(jeanne)
    db.session.commit()
    url = f"/neighbours/requests/{request.id}/cancel"
    login(paul)
    assert client.get(url).status_code == 403  # a neighbour may not cancel it
    login(make_resident(make_building()))
    assert client.get(url).status_code == 404
    login(jeanne)
    page = client.get(f"/neighbours/requests/{request.id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    html = client.get(url).get_data(as_text=True)
    assert "You no longer need help with: Groceries?" in html and "No, keep my request" in html
    token = confirm_form(html, url)
    db.session.refresh(request)
    assert request.status == HelpStatus.OPEN
    client.post(url, data={"csrf_token": token})
    db.session.refresh(request)
    assert request.status == HelpStatus.CANCELLED


def test_giving_a_request_back_asks_the_helper_first(client, login):
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building, first_name="Paul")
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    db.session.commit()
    url = f"/neighbours/requests/{request.id}/give-back"
    login(jeanne)
    assert client.get(url).status_code == 302  # not her help to give back: no question
    login(paul)
    token = confirm_form(client.get(url).get_data(as_text=True), url)
    db.session.refresh(request)
    assert request.status == HelpStatus.TAKEN
    client.post(url, data={"csrf_token": token})
    db.session.refresh(request)
    assert request.status == HelpStatus.OPEN


def test_withdrawing_an_offer_asks_first_and_only_its_author(client, login):
    building = make_building()
    paul, lucie = make_resident(building, first_name="Paul"), make_resident(building)
    offer = helping.do_save_offer(paul, "groceries")
    db.session.commit()
    url = f"/neighbours/offers/{offer.id}/withdraw"
    login(lucie)
    assert client.get(url).status_code == 404
    login(paul)
    token = confirm_form(client.get(url).get_data(as_text=True), url)
    db.session.refresh(offer)
    assert offer.active
    client.post(url, data={"csrf_token": token})
    db.session.refresh(offer)
    assert not offer.active


def test_leaving_a_group_asks_first_and_only_its_members(client, login):
    building = make_building()
    alice, bob = make_resident(building, first_name="Alice"), make_resident(building)
    group = messaging.do_create_group(alice, "Tricot du jeudi", [bob.id])
    db.session.commit()
    url = f"/messages/{group.id}/leave"
    login(make_resident(building, first_name="Carol"))
    assert client.get(url).status_code == 404
    login(alice)
    page = client.get(f"/messages/{group.id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    html = client.get(url).get_data(as_text=True)
    assert "Leave the group Tricot du jeudi?" in html and "No, stay in the group" in html
    token = confirm_form(html, url)
    assert messaging.access_conversation(alice, group.id)  # still a member
    client.post(url, data={"csrf_token": token})
    assert "Tricot du jeudi" not in client.get("/messages").get_data(as_text=True)


def test_blocking_asks_first_then_offers_unblock(client, login):
    building = make_building()
    alice, bob = make_resident(building, first_name="Alice"), make_resident(building)
    conversation = messaging.get_or_create_direct(alice, bob.id)
    db.session.commit()
    url = f"/messages/{conversation.id}/block"
    login(make_resident(building, first_name="Carol"))
    assert client.get(url).status_code == 404
    login(alice)
    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert f'href="{url}"' in page
    html = client.get(url).get_data(as_text=True)
    assert "Block Jeanne?" in html and "Yes, block Jeanne" in html
    token = confirm_form(html, f"/messages/block/{bob.id}")
    assert not messaging.has_blocked(alice, bob.id)
    client.post(f"/messages/block/{bob.id}", data={"csrf_token": token})
    assert messaging.has_blocked(alice, bob.id)
    assert client.get(url).status_code == 302  # already blocked: nothing to ask
    assert "Unblock Jeanne" in client.get(f"/messages/{conversation.id}").get_data(as_text=True)


def test_stopping_the_daily_check_in_asks_first(client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    resident = make_resident(building)
    wellbeing.do_enrol(coordinator, resident.id, time(10, 0), consent=True)
    db.session.commit()
    login(resident)
    settings = client.get("/wellbeing").get_data(as_text=True)
    assert 'href="/wellbeing/stop"' in settings
    html = client.get("/wellbeing/stop").get_data(as_text=True)
    assert "Stop the daily check-in?" in html and "No, keep the check-in" in html
    token = confirm_form(html, "/wellbeing/stop")
    assert wellbeing.get_enrolment(resident) is not None
    client.post("/wellbeing/stop", data={"csrf_token": token})
    db.session.expire_all()
    assert wellbeing.get_enrolment(resident) is None
    assert client.get("/wellbeing/stop").status_code == 302


def test_cancelling_a_room_booking_asks_first_and_only_its_author(client, login):
    from activities import rooms
    from activities.models import BookingStatus
    from tests.activities.test_rooms import at

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
    alice, bob = make_resident(building, first_name="Alice"), make_resident(building)
    booking = rooms.do_book(alice, room.id, at(14), at(15), "Anniversaire")
    db.session.commit()
    url = f"/activities/bookings/{booking.id}/cancel"
    login(bob)
    assert client.get(url).status_code == 404
    login(alice)
    assert f'href="{url}"' in client.get(f"/activities/rooms/{room.id}").get_data(as_text=True)
    html = client.get(url).get_data(as_text=True)
    assert "Cancel this booking?" in html and "No, keep the booking" in html
    token = confirm_form(html, url)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED
    client.post(url, data={"csrf_token": token})
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CANCELLED
