"""Calls' pages: the call log with the people one may call, and the conversation's call
button (a template helper); the call screens themselves are the overlay every page has."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from messaging.calls import bp, service
from messaging.calls.rules import STAFF_WHO_CALL
from messaging.family import service as family
from portal.people import service as people
from portal.people.models import Person, Role


@bp.app_template_global("call_target")
def call_target(conversation: Any) -> Person | None:
    """For the conversation page: the person its "Video call" button calls, or None."""
    if not current_user.is_authenticated:
        return None
    return service.call_target(current_user, conversation)


def _callable_people() -> list[Person]:
    """Whom the person may call from the calls page: for a resident, their building's
    coordinators and concierges and their family circle; for a relative, the residents who
    invited them (staff call residents from their conversations)."""
    if current_user.role == Role.RELATIVE:
        candidates = [link.resident for link in family.list_residents_of(current_user)]
    elif current_user.is_resident and current_user.building_id is not None:
        candidates = people.list_staff(current_user.building_id, STAFF_WHO_CALL)
        relatives = family.relative_ids_of(current_user.id)
        candidates += [p for p in map(people.get_person, relatives) if p is not None]
    else:
        return []
    return service.list_callable(current_user, candidates)


@bp.get("/calls")
@login_required
def index() -> str:
    """Video calls: the people one may call, and the calls made and received."""
    return render_template(
        "calls/index.html",
        callable_people=_callable_people(),
        calls=service.list_calls(current_user),
        me=current_user,
    )
