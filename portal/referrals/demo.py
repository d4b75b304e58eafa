"""Demo content of the referrals: a social worker of the town's social services, attached to
the building, whose referral about an elder living alone the coordinator answered "in
progress"."""

from __future__ import annotations

from flask import current_app

from portal.auth import links
from portal.auth.models import LinkPurpose
from portal.demo import DEMO_PASSWORD, YEAR, on_demo_built, on_demo_logins
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.referrals import service
from portal.urls import path_for, public_base_url

FIRST_NAME, LAST_NAME = "Nadia", "Lefort"
EMAIL = "n.lefort@ccas-lille.example.org"
ORGANISATION = "CCAS de Lille"
TEXT = (
    "Lors de ma visite, Madame {name} m'a dit qu'elle ne sortait presque plus et qu'elle se "
    "sentait seule l'après-midi. Elle aimerait de la visite."
)
NOTE = "Merci. Je l'ai appelée : une voisine passe la voir mardi, et l'atelier du jeudi l'attend."


def _elder_alone(building: Building) -> Person | None:
    """The first resident over 80 who lives alone, other than Jeanne (the showcase)."""
    residents = [p for p in people.list_residents(building) if p.active]
    per_flat: dict[int | None, int] = {}
    for person in residents:
        per_flat[person.dwelling_id] = per_flat.get(person.dwelling_id, 0) + 1
    return next(
        (
            p
            for p in residents
            if p.birth_year
            and YEAR - p.birth_year >= 80
            and p.dwelling is not None
            and per_flat[p.dwelling_id] == 1
            and not (p.first_name == "Jeanne" and p.last_name == "Martin")
        ),
        None,
    )


@on_demo_built
def seed_referrals(building: Building) -> None:
    """The coordinator invites a social worker, who chooses a password and sends a referral;
    the coordinator records the resident's consent and answers "in progress"."""
    coordinators = people.list_staff(building.id, [Role.COORDINATOR])
    elder = _elder_alone(building)
    if not coordinators or elder is None or elder.dwelling is None:
        return
    coordinator = coordinators[0]
    # A command has no request: the invitation's mail builds its link from the portal's
    # address, as the printed logins do.
    with current_app.test_request_context(base_url=public_base_url()):
        partner, _created = service.do_invite_partner(
            coordinator,
            email=EMAIL,
            first_name=FIRST_NAME,
            last_name=LAST_NAME,
            kind="social_worker",
            organisation_name=ORGANISATION,
            building_ids=[building.id],
        )
    # The demo sets the password through a link of its own (the mailed one stops working).
    token = links.do_issue_link(partner, LinkPurpose.PARTNER, coordinator)
    links.do_use_link(token, DEMO_PASSWORD, DEMO_PASSWORD)
    referral = service.do_send_referral(
        partner,
        building_id=building.id,
        dwelling_number=elder.dwelling.number,
        resident_name=elder.last_name,
        concern="isolation",
        urgency="soon",
        text=TEXT.format(name=elder.last_name),
    )
    service.do_record_consent(coordinator, referral.id)
    service.do_answer(coordinator, referral.id, "in_progress", NOTE)


@on_demo_logins
def partner_logins(building: Building, base: str) -> list[str]:
    """The partners attached to the building who chose a password."""
    coordinators = people.list_staff(building.id, [Role.COORDINATOR])
    if not coordinators:
        return []
    found = [p for p in service.list_partners(coordinators[0], building.id) if p.has_password]
    if not found:
        return []
    lines = [f"Partners — {base}{path_for('auth.staff_login')}, password: {DEMO_PASSWORD}"]
    for partner in found:
        lines.append(
            f"  {'partner':<12} {partner.full_name:<20} {partner.email}"
            f"  ({partner.kind.label}, {partner.organisation_name})"
        )
    return lines
