"""The voice's pages cost the same number of SQL statements however many answers, meetings,
decisions or questions there are: no statement per answer, meeting, decision or question."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from activities.voice import service
from activities.voice.service import ChoiceInput
from portal.extensions import db
from portal.people.models import Role
from tests.factories import make_building, make_resident, make_staff
from tests.queries import statements_for
from tests.voice.test_service import make_poll

ANSWERS = [
    ChoiceInput(label, icon)
    for label, icon in [
        ("Yes", "thumbs-up"),
        ("No", "thumbs-down"),
        ("Maybe", "meh"),
        ("In the day", "sun"),
        ("In the evening", "moon"),
        ("A meal", "utensils"),
    ]
]


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def coordinator(building):
    return make_staff(Role.COORDINATOR, [building])


def voted_poll(coordinator, building, voters, answers: int):
    """A named question with `answers` answers, each chosen by one of the voters."""
    poll = make_poll(
        coordinator,
        building,
        anonymous=False,
        choices=ANSWERS[:answers],
        question=f"Question with {answers} answers",
    )
    for voter, choice in zip(voters, poll.choices, strict=False):
        service.do_vote(voter, poll.id, choice.id)
    db.session.commit()  # the requests read it through their own connections
    return poll


PAGES = {"poll": "/voice/polls/{id}", "print": "/voice/polls/{id}/print", "home": "/"}


@pytest.mark.parametrize("page", PAGES)
def test_a_question_costs_the_same_with_two_or_six_answers(
    building, coordinator, client, login, page
):
    voters = [make_resident(building, pin=None) for _ in range(6)]
    # The home's panel shows the newest question, and its bars to those who answered.
    login(voters[0] if page == "home" else coordinator)
    few = voted_poll(coordinator, building, voters, 2)
    cost_few = statements_for(client, PAGES[page].format(id=few.id))
    many = voted_poll(coordinator, building, voters, 6)
    assert service.get_question_of_the_week(voters[0]).id == many.id
    assert statements_for(client, PAGES[page].format(id=many.id)) == cost_few


def add_meetings(coordinator, building, count: int) -> None:
    """Meetings, each with a decision that answers an idea."""
    resident = make_resident(building, pin=None)
    for _ in range(count):
        idea = service.do_post_idea(resident, kind="idea", text="A bench by the door")
        starts = datetime.now(UTC) + timedelta(days=3)
        meeting = service.do_create_meeting(
            coordinator,
            building.id,
            title="Café concertation",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            idea_ids=[idea.id],
        )
        service.do_add_decision(coordinator, meeting.id, text="Buy a bench", idea_ids=[idea.id])
        make_poll(coordinator, building)
    db.session.commit()


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.MANAGER])
@pytest.mark.parametrize("path", ["/voice", "/voice/decisions", "/voice/decisions/live"])
def test_the_lists_cost_the_same_for_one_or_many_meetings(
    building, coordinator, client, login, path, role
):
    viewer = coordinator if role == Role.COORDINATOR else make_staff(role, [building])
    login(viewer)
    add_meetings(coordinator, building, 1)
    few = statements_for(client, path)
    add_meetings(coordinator, building, 4)
    assert statements_for(client, path) == few


def test_a_meeting_page_costs_the_same_for_one_or_many_decisions(
    building, coordinator, client, login
):
    login(coordinator)
    add_meetings(coordinator, building, 1)
    meeting = service.list_meetings(coordinator)[0][0]
    path = f"/voice/meetings/{meeting.id}"
    few = statements_for(client, path)
    resident = make_resident(building, pin=None)
    for _ in range(4):
        idea = service.do_post_idea(resident, kind="idea", text="Flowers on the balcony")
        service.do_add_decision(coordinator, meeting.id, text="Plant flowers", idea_ids=[idea.id])
    db.session.commit()
    assert statements_for(client, path) == few
