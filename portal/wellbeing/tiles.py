"""The "I'm fine today" panel on a resident's home and the staff's "To call" tile."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from portal.home.tiles import Panel, Tile, building_ids_for, register_panel, register_tile
from portal.people.models import STAFF_ROLES, Person, Role
from portal.urls import path_for
from portal.wellbeing import pauses, service
from portal.wellbeing.models import AlertStatus, HelpCall, MissedCheckin, WellbeingSettings


def checkin_panel(person: Person) -> dict[str, Any] | None:
    """Shown only to an enrolled resident: the one-tap button, or today's thanks (or, while
    away, until when the check-in is paused)."""
    today = pauses.get_checkin_today(person)
    if today is None:
        return None
    return {
        "paused_until": today.pause.until if today.pause is not None else None,
        "pause_url": path_for("wellbeing.pause_page"),
        "resume_url": path_for("wellbeing.pause_resume", person_id=person.id),
        "checked_in": today.checked_in,
        "check_time": today.enrolment.check_time.strftime("%H:%M"),
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


def to_call_count(staff: Person) -> ColumnElement[int] | int:
    """The "To call" badge as SQL: open help calls of every building the staff member sees,
    and their missed check-ins where they may see them (a concierge only where the building
    chose so); the same count as service.count_to_call."""
    if staff.role not in STAFF_ROLES:
        return 0
    buildings = building_ids_for(staff)
    calls = (
        select(func.count(HelpCall.id))
        .where(HelpCall.building_id.in_(buildings), HelpCall.active.is_(True))
        .scalar_subquery()
    )
    missed_where = [
        MissedCheckin.building_id.in_(buildings),
        MissedCheckin.status == AlertStatus.OPEN,
    ]
    if staff.role == Role.CONCIERGE:  # see service.may_see_missed
        alerted = select(WellbeingSettings.building_id).where(
            WellbeingSettings.alert_concierge.is_(True)
        )
        missed_where.append(MissedCheckin.building_id.in_(alerted))
    missed = select(func.count(MissedCheckin.id)).where(*missed_where).scalar_subquery()
    return calls + missed


register_tile(
    Tile(
        key="wellbeing",
        endpoint="wellbeing.staff_page",
        icon="phone",
        label=_l("To call"),
        order=15,
        roles=frozenset(STAFF_ROLES),
        badge_count=to_call_count,
        badge_endpoint="wellbeing.badge",
        badge_events=(service.EVENT_CHANGED,),
        badge_text=_l("%(num)s to call"),
    )
)
