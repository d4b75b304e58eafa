"""Who may call whom: the one rule that every call, every answer and every signal is checked
against, on the server."""

from __future__ import annotations

from messaging import service as messaging
from messaging.family.service import in_circle
from portal.people import service as people
from portal.people.models import Person, Role

# The building's staff a resident's tablet calls, and who call it: not the landlord's managers.
STAFF_WHO_CALL = frozenset({Role.COORDINATOR, Role.CONCIERGE})


def may_call(caller: Person | None, callee: Person | None) -> bool:
    """Whether these two may be in a call together (either may have started it): a resident
    with a coordinator or concierge covering the resident's building, or with a relative of
    the resident's family circle; both active, and neither blocked the other."""
    if caller is None or callee is None or caller.id == callee.id:
        return False
    if not (caller.active and callee.active):
        return False
    resident, other = (caller, callee) if caller.is_resident else (callee, caller)
    if not resident.is_resident or other.is_resident:
        return False
    if other.role in STAFF_WHO_CALL:
        allowed = resident.building_id is not None and resident.building_id in (
            people.building_ids_for(other)
        )
    elif other.role == Role.RELATIVE:
        allowed = in_circle(resident.id, other.id)
    else:
        allowed = False
    return allowed and not messaging.is_blocked_between(caller.id, callee.id)
