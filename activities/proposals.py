"""Residents propose activities; the coordinator approves (resident co-hosts) or declines."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from activities import service
from activities.models import Activity, Proposal, ProposalStatus
from activities.rules import check_planner, check_times, check_title
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.notifications.service import notify
from portal.people import service as people
from portal.people.models import Person, Role
from portal.urls import path_for


def do_propose(
    resident: Person,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    place: str = "",
) -> Proposal:
    """Record a proposal and tell the building's coordinators."""
    if resident.building_id is None:
        # Shown on the proposal form, as the other refusals are.
        raise Invalid(_("You have no building."), "no_building")
    title = check_title(title)
    check_times(starts_at, ends_at)
    proposal = Proposal(
        building_id=resident.building_id,
        proposer_id=resident.id,
        title=title,
        description=description.strip(),
        place=place.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    db.session.add(proposal)
    db.session.flush()
    name, url = resident.first_name, path_for("activities.proposals_page")
    for coordinator in _coordinators(resident.building_id):
        notify(
            coordinator,
            "activities.proposed",
            lambda: _("%(name)s proposes an activity: %(title)s", name=name, title=title),
            url,
        )
    return proposal


def _coordinators(building_id: int) -> list[Person]:
    """The building's coordinators, who answer proposals."""
    return people.list_staff(building_id, [Role.COORDINATOR])


def access_pending(staff: Person, proposal_id: int) -> Proposal:
    """A proposal of the staff member's buildings that still waits for an answer."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    check_planner(staff, proposal.building_id)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict(_("This proposal has already been answered."), "answered")
    return proposal


def do_approve(staff: Person, proposal_id: int, capacity: int | None = None) -> Activity:
    """The proposal becomes an activity, with the resident as co-host; the resident is told."""
    proposal = access_pending(staff, proposal_id)
    activity = service.do_create_activity(
        staff,
        proposal.building_id,
        title=proposal.title,
        description=proposal.description,
        place=proposal.place,
        starts_at=proposal.starts_at,
        ends_at=proposal.ends_at,
        capacity=capacity,
    )
    activity.cohost_id = proposal.proposer_id
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by_id = staff.id
    proposal.activity_id = activity.id
    proposer = db.session.get(Person, proposal.proposer_id) if proposal.proposer_id else None
    if proposer is not None:
        title = proposal.title
        url = path_for("activities.occurrence", occurrence_id=activity.occurrences[0].id)
        notify(
            proposer,
            "activities.approved",
            lambda: _("Your activity is in the calendar: %(title)s", title=title),
            url,
        )
    return activity


def do_decline(staff: Person, proposal_id: int, message: str) -> Proposal:
    """Decline with a message the resident receives."""
    proposal = access_pending(staff, proposal_id)
    message = (message or "").strip()
    if not message:
        raise Invalid(_("Please write a few words for the resident."), "empty")
    proposal.status = ProposalStatus.DECLINED
    proposal.decided_by_id = staff.id
    proposal.decision_message = message[:500]
    proposer = db.session.get(Person, proposal.proposer_id) if proposal.proposer_id else None
    if proposer is not None:
        title, said = proposal.title, proposal.decision_message
        notify(
            proposer,
            "activities.declined",
            lambda: _("About your proposal %(title)s: %(message)s", title=title, message=said),
        )
    return proposal


def list_pending(staff: Person) -> list[Proposal]:
    """Proposals of the staff member's buildings waiting for an answer, oldest first."""
    stmt = (
        select(Proposal)
        .where(
            Proposal.building_id.in_(people.building_ids_for(staff)),
            Proposal.status == ProposalStatus.PENDING,
        )
        .order_by(Proposal.created_at)
    )
    return list(db.session.scalars(stmt))
