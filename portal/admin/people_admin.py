"""Managing people: roles, closing and reopening accounts, moving households."""

from __future__ import annotations

from functools import partial

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal import realtime
from portal.audit import service as audit
from portal.auth import service as auth
from portal.db import begin_write
from portal.errors import Invalid, PermissionDenied
from portal.extensions import db
from portal.people import service as people
from portal.people.models import STAFF_ROLES, Building, Dwelling, Person, Role, staff_buildings
from portal.transaction import after_commit

# Who a coordinator may close or reopen; managers act on everyone of their organisation.
COORDINATOR_MANAGES = frozenset({Role.RESIDENT, Role.CONCIERGE})


# Access and reading -----------------------------------------------------------------------


def access_managed_person(viewer: Person, person_id: int) -> Person:
    """A person of the viewer's buildings and organisation, for staff only; else 404."""
    if not viewer.is_staff:
        raise people.not_found()
    person = people.access_person(viewer, person_id)
    if person.organisation_id != viewer.organisation_id:
        raise people.not_found()
    return person


def list_staff_of(building: Building) -> list[Person]:
    """Staff who work in or cover a building, closed accounts included."""
    covers = select(staff_buildings.c.person_id).where(staff_buildings.c.building_id == building.id)
    stmt = (
        select(Person)
        .where(
            Person.role.in_(list(STAFF_ROLES)),
            Person.organisation_id == building.organisation_id,
            or_(Person.building_id == building.id, Person.id.in_(covers)),
        )
        .order_by(Person.active.desc(), Person.last_name, Person.first_name)
    )
    return list(db.session.scalars(stmt))


def list_move_targets(viewer: Person, person: Person) -> list[Dwelling]:
    """Dwellings the viewer may move this resident to: same building, or the organisation's
    buildings for a manager."""
    if viewer.role == Role.MANAGER:
        ids = people.building_ids_for(viewer)
    else:
        ids = {person.building_id} if person.building_id is not None else set()
    stmt = (
        select(Dwelling)
        .join(Building, Building.id == Dwelling.building_id)
        .where(Dwelling.building_id.in_(ids))
        .order_by(Building.name, Dwelling.floor, Dwelling.number)
    )
    return [d for d in db.session.scalars(stmt) if d.id != person.dwelling_id]


def may_change_role(viewer: Person, person: Person) -> bool:
    return viewer.role == Role.MANAGER and viewer.id != person.id


def may_close(viewer: Person, person: Person) -> bool:
    if viewer.id == person.id or not viewer.is_staff:
        return False
    return viewer.role == Role.MANAGER or (
        viewer.role == Role.COORDINATOR and person.role in COORDINATOR_MANAGES
    )


# Checks ---------------------------------------------------------------------------------


def check_same_organisation(viewer: Person, person: Person) -> None:
    if person.organisation_id != viewer.organisation_id:
        raise PermissionDenied()
    people.check_staff_may_manage(viewer, person)


def check_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid(str(_l("Please choose one of the roles shown.")), "bad_role") from None


# Writing --------------------------------------------------------------------------------

# The roles a manager moves people between (the building's own people).
CHANGEABLE_ROLES = STAFF_ROLES | {Role.RESIDENT}


def do_change_role(viewer: Person, person: Person, role: Role) -> None:
    """Give a person another role (managers only); their sessions end so it applies at once."""
    check_same_organisation(viewer, person)
    if not may_change_role(viewer, person):
        raise PermissionDenied(str(_l("Only a manager may change roles, and not their own.")))
    if role == person.role:
        raise Invalid(str(_l("This person already has this role.")), "same_role")
    if role not in CHANGEABLE_ROLES or person.role not in CHANGEABLE_ROLES:
        # People from outside (a partner, a relative) are invited as such, never made so.
        raise Invalid(str(_l("Choose a role.")), "bad_role")
    if role == Role.RESIDENT and person.dwelling_id is None:
        message = _l("A resident needs a dwelling: move this person into one first.")
        raise Invalid(str(message), "no_dwelling")
    begin_write(db.session)
    before = person.role
    person.role = role
    if role == Role.RESIDENT:
        person.staff_buildings = []
    elif not person.staff_buildings and person.building is not None:
        person.staff_buildings = [person.building]
    change = {"from": before.value, "to": role.value}
    audit.record("person.role_changed", actor=viewer, subject=person, detail=change)
    auth.do_end_sessions(person)


def do_deactivate(viewer: Person, person: Person) -> None:
    """Close an account: every session and open socket of the person ends at once."""
    check_same_organisation(viewer, person)
    if not may_close(viewer, person):
        raise PermissionDenied()
    if not person.active:
        raise Invalid(str(_l("This account is already closed.")), "already_closed")
    begin_write(db.session)
    person.active = False
    audit.record("person.deactivated", actor=viewer, subject=person)
    auth.do_end_sessions(person)


def do_reactivate(viewer: Person, person: Person) -> None:
    """Open a closed account again; the person logs in as before (card, code or password)."""
    check_same_organisation(viewer, person)
    if not may_close(viewer, person):
        raise PermissionDenied()
    if person.active:
        raise Invalid(str(_l("This account is already open.")), "already_open")
    begin_write(db.session)
    person.active = True
    audit.record("person.reactivated", actor=viewer, subject=person)


def do_move(viewer: Person, person: Person, dwelling_id: int, *, household: bool) -> list[Person]:
    """Move a resident, or everyone of their dwelling, to another dwelling.

    Coordinators move within the building; managers across their organisation's buildings.
    """
    check_same_organisation(viewer, person)
    if viewer.role not in (Role.COORDINATOR, Role.MANAGER):
        raise PermissionDenied()
    if person.role != Role.RESIDENT or person.dwelling_id is None:
        raise Invalid(str(_l("Only a resident with a dwelling can be moved.")), "not_resident")
    target = db.session.get(Dwelling, dwelling_id)
    if target is None or target.id not in {d.id for d in list_move_targets(viewer, person)}:
        raise Invalid(str(_l("Please choose one of the dwellings shown.")), "bad_dwelling")
    begin_write(db.session)
    movers = _household_of(person) if household else [person]
    old_building_id = person.building_id
    for mover in movers:
        detail = {
            "from_dwelling": mover.dwelling_id,
            "to_dwelling": target.id,
            "to_building": target.building_id,
        }
        audit.record("person.moved", actor=viewer, subject=mover, detail=detail)
        mover.dwelling_id = target.id
        mover.building_id = target.building_id
    if target.building_id != old_building_id:
        # Once the move is saved, their sockets reconnect and join the new building's rooms.
        for mover in movers:
            after_commit(partial(realtime.disconnect_room, realtime.user_room(mover.id)))
    return movers


def _household_of(person: Person) -> list[Person]:
    stmt = select(Person).where(
        Person.dwelling_id == person.dwelling_id, Person.role == Role.RESIDENT
    )
    return list(db.session.scalars(stmt))


# Login cards and codes, each change written in the audit log ---------------------------


def do_issue_card(viewer: Person, person: Person) -> str:
    """Print a new login card for a resident (the old one stops working); returns its token."""
    token = auth.do_issue_card(person, viewer)
    audit.record("card.issued", actor=viewer, subject=person)
    return token


def do_revoke_card(viewer: Person, person: Person) -> None:
    """Cancel a resident's card; every session of theirs ends."""
    auth.do_revoke_card(person, viewer)
    audit.record("card.revoked", actor=viewer, subject=person)


def do_reset_pin(viewer: Person, person: Person, pin: str, confirm: str) -> None:
    """Give a resident a new 4-digit code, set by staff of their building."""
    auth.do_set_pin(person, pin, confirm, set_by=viewer)
    audit.record("pin.reset", actor=viewer, subject=person)


# Reading mode -----------------------------------------------------------------------------

# Who may switch a resident's pages to easy-to-read: the staff who plan their support.
READING_MODE_ROLES = frozenset({Role.COORDINATOR, Role.MANAGER})


def may_set_reading_mode(viewer: Person, person: Person) -> bool:
    """Coordinators and managers of the resident's building choose easy-to-read for them."""
    return (
        viewer.role in READING_MODE_ROLES
        and viewer.active
        and person.is_resident
        and person.organisation_id == viewer.organisation_id
        and person.building_id in people.building_ids_for(viewer)
    )


def do_set_easy_read(actor: Person, person: Person, on: bool) -> Person:
    """Switch a resident's pages to easy-to-read wording (or back), for a coordinator."""
    if not may_set_reading_mode(actor, person):
        raise PermissionDenied()
    begin_write(db.session)
    person.easy_read = on
    audit.record("person.easy_read_set", actor=actor, subject=person, detail={"on": on})
    return person
