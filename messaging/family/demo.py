"""Demo content of the family circle: Jeanne's daughter joined her circle (she logs in with
a password) and they have written to each other."""

from __future__ import annotations

from flask import current_app

from messaging import service as messaging
from messaging.family import service
from portal.auth import links
from portal.auth.models import LinkPurpose
from portal.demo import DEMO_PASSWORD, on_demo_built, on_demo_logins
from portal.people import service as people
from portal.people.models import Building, Person
from portal.urls import path_for, public_base_url

FIRST_NAME, LAST_NAME = "Catherine", "Martin"
EMAIL = "catherine.martin@example.org"
RELATION = "Ma fille"
# (who writes, the text): "relative" is the daughter, "resident" Jeanne.
MESSAGES = (
    ("relative", "Bonjour maman ! Je viens te voir dimanche avec les enfants."),
    ("resident", "Quelle bonne nouvelle ! Je vous attends pour le goûter."),
    ("relative", "Parfait, on apporte une tarte aux pommes. Bisous !"),
)


def _jeanne(building: Building) -> Person | None:
    """The showcase resident: Jeanne Martin, 84, who lives alone."""
    return next(
        (
            p
            for p in people.list_residents(building)
            if p.first_name == "Jeanne" and p.last_name == "Martin" and p.active
        ),
        None,
    )


@on_demo_built
def seed_family(building: Building) -> None:
    """Jeanne invites her daughter, who joins with a password; they exchange a few words and
    Jeanne shows her the activities she goes to and her daily check-in."""
    jeanne = _jeanne(building)
    if jeanne is None:
        return
    # A command has no request: the invitation's mail builds its link from the portal's
    # address, as the printed logins do.
    with current_app.test_request_context(base_url=public_base_url()):
        link = service.do_invite(
            jeanne,
            jeanne.id,
            first_name=FIRST_NAME,
            last_name=LAST_NAME,
            relation=RELATION,
            channel="email",
            email=EMAIL,
        )
    # The demo joins through a link of its own (the mailed one stops working).
    token = links.do_issue_link(link.relative, LinkPurpose.FAMILY, jeanne)
    daughter = service.do_join(
        token,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        email=EMAIL,
        use_password=True,
        password=DEMO_PASSWORD,
        confirm=DEMO_PASSWORD,
    )
    service.do_set_visibility(jeanne, link.id, activities_shown=True, check_in_shown=True)
    if link.conversation_id is None:
        return
    writers = {"relative": daughter, "resident": jeanne}
    for n, (who, text) in enumerate(MESSAGES, start=1):
        messaging.add_message(
            writers[who], link.conversation_id, client_id=f"demo-family-{n}", body=text
        )


@on_demo_logins
def relative_logins(building: Building, base: str) -> list[str]:
    """Jeanne's relatives who joined her circle with a password."""
    jeanne = _jeanne(building)
    joined = [
        link
        for link in (service.list_circle(jeanne.id) if jeanne is not None else [])
        if link.is_active and link.relative.password_hash is not None
    ]
    if not joined:
        return []
    lines = [f"Family — {base}{path_for('family.login')}, password: {DEMO_PASSWORD}"]
    for link in joined:
        relative = link.relative
        lines.append(
            f"  {'relative':<12} {relative.full_name:<20} {relative.email}"
            f"  (famille de {link.resident.full_name})"
        )
    return lines
