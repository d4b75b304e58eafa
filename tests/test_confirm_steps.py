"""A destructive tap on a resident page first asks a plain question; nothing changes until the
person says yes (a CSRF-protected POST), and only the person it concerns may be asked."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from activities import rooms
from activities import service as activities
from activities.models import BookingStatus, SignupStatus
from concierge.exchange import service as helping
from concierge.exchange.models import HelpStatus
from messaging import service as messaging
from portal.extensions import db
from portal.people.models import Role
from portal.wellbeing import service as wellbeing
from tests.activities.test_rooms import at
from tests.activities.test_service import make_activity
from tests.concierge.exchange.test_helping import ask
from tests.factories import make_building, make_resident, make_staff

# What a case built, by name: "me" is the person asked; the others fill the URLs and checks.
Scene = dict[str, Any]
State = Callable[[Scene, FlaskClient], bool]
Check = Callable[[Scene, FlaskClient, str], None]


def confirm_form(html: str, action: str) -> str:
    """The CSRF token of the confirmation page's one form, which must post to `action`."""
    assert f'<form method="post" action="{action}">' in html
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def text_of(client: FlaskClient, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def fresh(row: Any) -> Any:
    """`row` as the database now holds it."""
    db.session.refresh(row)
    return row


# The set-up of each action.


def signed_up_resident() -> Scene:
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building, capacity=3).occurrences[0]
    resident = make_resident(building)
    activities.do_sign_up(resident, occurrence.id, guests=0, show_name=True)
    return {"me": resident, "occurrence": occurrence}


def open_request() -> Scene:
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building, first_name="Paul")
    request = ask(jeanne)
    db.session.commit()
    stranger = make_resident(make_building())
    return {"me": jeanne, "paul": paul, "stranger": stranger, "request": request}


def taken_request() -> Scene:
    building = make_building()
    jeanne, paul = make_resident(building), make_resident(building, first_name="Paul")
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    db.session.commit()
    return {"me": paul, "jeanne": jeanne, "request": request}


def active_offer() -> Scene:
    building = make_building()
    paul, lucie = make_resident(building, first_name="Paul"), make_resident(building)
    offer = helping.do_save_offer(paul, "groceries")
    db.session.commit()
    return {"me": paul, "lucie": lucie, "offer": offer}


def group_of_two() -> Scene:
    building = make_building()
    alice, bob = make_resident(building, first_name="Alice"), make_resident(building)
    group = messaging.do_create_group(alice, "Tricot du jeudi", [bob.id])
    db.session.commit()
    carol = make_resident(building, first_name="Carol")
    return {"me": alice, "carol": carol, "group": group}


def direct_conversation() -> Scene:
    building = make_building()
    alice, bob = make_resident(building, first_name="Alice"), make_resident(building)
    conversation = messaging.get_or_create_direct(alice, bob.id)
    db.session.commit()
    carol = make_resident(building, first_name="Carol")
    return {"me": alice, "bob": bob, "carol": carol, "conversation": conversation}


def enrolled_resident() -> Scene:
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    resident = make_resident(building)
    wellbeing.do_enrol(coordinator, resident.id, time(10, 0), consent=True)
    db.session.commit()
    return {"me": resident}


def room_booking() -> Scene:
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
    return {"me": alice, "bob": bob, "room": room, "booking": booking}


# What each case checks after the yes, beyond its effect.


def not_asked_again(scene: Scene, client: FlaskClient, url: str) -> None:
    """Nothing left to undo: the question is not asked again."""
    assert client.get(url).status_code == 302


def offers_unblock(scene: Scene, client: FlaskClient, url: str) -> None:
    not_asked_again(scene, client, url)  # already blocked: nothing to ask
    conversation = scene["conversation"]
    assert "Unblock Jeanne" in text_of(client, f"/messages/{conversation.id}")


def no_longer_enrolled(scene: Scene, client: FlaskClient) -> bool:
    db.session.expire_all()
    return wellbeing.get_enrolment(scene["me"]) is None


@dataclass(frozen=True)
class Confirmed:
    """One destructive action: its set-up, its question (URLs are formatted with the scene),
    what the question shows, and its effect, untouched before the yes and done after it."""

    build: Callable[[], Scene]
    url: str
    shows: tuple[str, ...]
    untouched: State
    done: State
    posts_to: str | None = None  # where the question's form posts, when not to `url`
    linked_from: str | None = None  # the page whose link opens the question
    not_asked: tuple[tuple[str, int], ...] = ()  # who is never asked, and the answer they get
    then: Check | None = None


CASES = [
    pytest.param(
        Confirmed(
            build=signed_up_resident,
            url="/activities/occurrences/{occurrence.id}/cancel",
            linked_from="/activities/occurrences/{occurrence.id}",
            shows=("Cancel your place at Tricot?", "Yes, cancel my place", "No, keep my place"),
            untouched=lambda s, _c: (
                activities.get_signup_status(s["me"], s["occurrence"].id) == SignupStatus.CONFIRMED
            ),
            done=lambda s, _c: (
                activities.get_signup_status(s["me"], s["occurrence"].id) == SignupStatus.CANCELLED
            ),
            then=not_asked_again,
        ),
        id="cancel-my-place",
    ),
    pytest.param(
        Confirmed(
            build=open_request,
            url="/neighbours/requests/{request.id}/cancel",
            # A neighbour may not cancel it; a resident of another building never sees it.
            not_asked=(("paul", 403), ("stranger", 404)),
            linked_from="/neighbours/requests/{request.id}",
            shows=("You no longer need help with: Groceries?", "No, keep my request"),
            untouched=lambda s, _c: fresh(s["request"]).status == HelpStatus.OPEN,
            done=lambda s, _c: fresh(s["request"]).status == HelpStatus.CANCELLED,
        ),
        id="no-longer-need-help",
    ),
    pytest.param(
        Confirmed(
            build=taken_request,
            url="/neighbours/requests/{request.id}/give-back",
            not_asked=(("jeanne", 302),),  # not her help to give back: no question
            shows=(),
            untouched=lambda s, _c: fresh(s["request"]).status == HelpStatus.TAKEN,
            done=lambda s, _c: fresh(s["request"]).status == HelpStatus.OPEN,
        ),
        id="give-a-request-back",
    ),
    pytest.param(
        Confirmed(
            build=active_offer,
            url="/neighbours/offers/{offer.id}/withdraw",
            not_asked=(("lucie", 404),),
            shows=(),
            untouched=lambda s, _c: fresh(s["offer"]).active,
            done=lambda s, _c: not fresh(s["offer"]).active,
        ),
        id="withdraw-an-offer",
    ),
    pytest.param(
        Confirmed(
            build=group_of_two,
            url="/messages/{group.id}/leave",
            not_asked=(("carol", 404),),
            linked_from="/messages/{group.id}",
            shows=("Leave the group Tricot du jeudi?", "No, stay in the group"),
            # Still a member.
            untouched=lambda s, _c: bool(messaging.access_conversation(s["me"], s["group"].id)),
            done=lambda _s, c: "Tricot du jeudi" not in text_of(c, "/messages"),
        ),
        id="leave-a-group",
    ),
    pytest.param(
        Confirmed(
            build=direct_conversation,
            url="/messages/{conversation.id}/block",
            posts_to="/messages/block/{bob.id}",
            not_asked=(("carol", 404),),
            linked_from="/messages/{conversation.id}",
            shows=("Block Jeanne?", "Yes, block Jeanne"),
            untouched=lambda s, _c: not messaging.has_blocked(s["me"], s["bob"].id),
            done=lambda s, _c: messaging.has_blocked(s["me"], s["bob"].id),
            then=offers_unblock,
        ),
        id="block-a-neighbour",
    ),
    pytest.param(
        Confirmed(
            build=enrolled_resident,
            url="/wellbeing/stop",
            linked_from="/wellbeing",
            shows=("Stop the daily check-in?", "No, keep the check-in"),
            untouched=lambda s, _c: wellbeing.get_enrolment(s["me"]) is not None,
            done=no_longer_enrolled,
            then=not_asked_again,
        ),
        id="stop-the-daily-check-in",
    ),
    pytest.param(
        Confirmed(
            build=room_booking,
            url="/activities/bookings/{booking.id}/cancel",
            not_asked=(("bob", 404),),
            linked_from="/activities/rooms/{room.id}",
            shows=("Cancel this booking?", "No, keep the booking"),
            untouched=lambda s, _c: fresh(s["booking"]).status == BookingStatus.CONFIRMED,
            done=lambda s, _c: fresh(s["booking"]).status == BookingStatus.CANCELLED,
        ),
        id="cancel-a-room-booking",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_a_destructive_tap_asks_first_and_only_the_person_concerned(
    client: FlaskClient, login: Callable[..., Any], case: Confirmed
) -> None:
    scene = case.build()
    url = case.url.format(**scene)
    action = (case.posts_to or case.url).format(**scene)
    for name, status in case.not_asked:
        login(scene[name])
        assert client.get(url).status_code == status
    login(scene["me"])
    if case.linked_from:
        # The tap opens the question, it does not act.
        assert f'href="{url}"' in text_of(client, case.linked_from.format(**scene))

    asked = client.get(url)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    for text in case.shows:
        assert text in html
    token = confirm_form(html, action)
    assert case.untouched(scene, client)

    assert client.post(action).status_code == 400  # no CSRF token: nothing happens
    assert case.untouched(scene, client)
    assert client.post(action, data={"csrf_token": token}).status_code == 302
    assert case.done(scene, client)
    if case.then:
        case.then(scene, client, url)


def test_a_resident_of_another_building_is_never_asked(client, login):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(coordinator, building).occurrences[0]
    login(make_resident(make_building()))
    assert client.get(f"/activities/occurrences/{occurrence.id}/cancel").status_code == 404
