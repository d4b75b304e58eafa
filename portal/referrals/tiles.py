"""The staff's "Referrals" tile and the referrals' section of the "To call" list."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from portal.home.tiles import Tile, building_ids_for, register_tile
from portal.people.models import Building, Person
from portal.referrals import service
from portal.to_call import ToCallSection, register_section

register_tile(
    Tile(
        key="referrals",
        endpoint="referrals.staff_list",
        icon="hand-heart",
        label=_l("Referrals"),
        order=17,
        roles=service.HANDLER_ROLES,
        badge_count=lambda staff: service.open_count(staff, building_ids_for(staff)),
        badge_endpoint="referrals.badge",
        badge_events=(service.EVENT_CHANGED,),
        badge_text=_l("%(num)s new"),
    )
)


def to_call_section(staff: Person, building: Building) -> dict[str, Any] | None:
    """The building's open referrals, for its coordinators and managers only."""
    if not service.may_handle(staff, building.id):
        return None
    return {"lines": service.list_referrals(staff, building.id), "building": building}


register_section(
    ToCallSection(
        key="referrals",
        template="referrals/_to_call.html",
        context=to_call_section,
        events=(service.EVENT_CHANGED,),
        order=30,
    )
)
