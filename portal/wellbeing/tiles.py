"""The "I'm fine today" panel on a resident's home and the staff's "To call" tile."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.home.tiles import Panel, Tile, register_panel, register_tile
from portal.people.models import STAFF_ROLES, Person, Role
from portal.urls import path_for
from portal.wellbeing import service


def checkin_panel(person: Person) -> dict[str, Any] | None:
    """Shown only to an enrolled resident: the one-tap button, or today's thanks."""
    enrolment = service.get_enrolment(person)
    if enrolment is None:
        return None
    return {
        "checked_in": service.has_checked_in(person),
        "check_time": enrolment.check_time.strftime("%H:%M"),
        "action_url": path_for("wellbeing.check_in"),
        "settings_url": path_for("wellbeing.settings"),
    }


register_panel(
    Panel(
        key="checkin",
        template="wellbeing/_home_panel.html",
        context=checkin_panel,
        order=10,
        roles=frozenset({Role.RESIDENT}),
    )
)

register_tile(
    Tile(
        key="wellbeing",
        endpoint="wellbeing.staff_page",
        icon="📞",
        label=_l("To call"),
        order=15,
        roles=frozenset(STAFF_ROLES),
        badge=service.count_to_call,
        badge_endpoint="wellbeing.badge",
        badge_events=(service.EVENT_CHANGED,),
        badge_text=_l("%(num)s to call"),
    )
)
