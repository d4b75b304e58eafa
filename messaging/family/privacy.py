"""The family circle's part of data rights.

Export: a resident's circle (who they invited, what each may see), or a relative's
circles. Erasure: erasing a resident removes their circle (the relatives leave the
conversations; a relative left in no circle is closed, then erased after the usual delay
for closed accounts); erasing a relative deletes their links (ON DELETE CASCADE)."""

from __future__ import annotations

from typing import Any

from messaging.family import service
from portal.datarights.erasure import DomainErasure, ErasurePlan, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_family(person: Person) -> dict[str, Any]:
    """The person's family circle, as a resident or as a relative."""
    return service.export_of(person)


def remove_circle(plan: ErasurePlan, person_id: int) -> None:
    """Before the rows go: the resident's relatives leave the conversations and the group."""
    person = db.session.get(Person, person_id)
    if person is not None:
        service.erase_circle_of(person)


register_exporter("family", export_family, order=25)
register_erasure(
    "messaging.family",
    DomainErasure(
        overrides={"family_links.invited_by_id": "null"},
        before=remove_circle,
    ),
)
