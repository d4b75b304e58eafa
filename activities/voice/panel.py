"""The "Question of the week" panel of the resident's home, drawn the same on the home page
and when live.js reads it again."""

from __future__ import annotations

from typing import Any

from flask import url_for

from activities.voice import service
from portal.people.models import Person

PANEL_EVENTS = (service.EVENT_POLL_OPENED, service.EVENT_POLL_VOTED, service.EVENT_POLL_CLOSED)


def panel_context(person: Person) -> dict[str, Any] | None:
    """The open question of the building (answer it in one tap), and the ways to the idea
    box and the decisions."""
    if person.building_id is None:
        return None
    poll = service.get_question_of_the_week(person)
    context: dict[str, Any] = {
        "poll": poll,
        "live_url": url_for("voice.home_panel"),
        "events": " ".join(PANEL_EVENTS),
    }
    if poll is not None:
        my_choice = service.get_my_choice_id(person, poll)
        context.update(
            {
                "open": True,
                "may_vote": service.may_vote(person, poll),
                "my_choice": my_choice,
                # Those who answered see the bars (their answer is found through their key).
                "results": service.get_results(poll) if my_choice is not None else None,
                "staff": False,
                "next_url": url_for("home.index"),
            }
        )
    return context
