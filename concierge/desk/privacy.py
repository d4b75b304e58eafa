"""The desk's part of a person's data rights: their tickets in the export, and erasure.

Erasure decisions: tickets they reported stay in the building's logbook with reporter NULL,
public and internal history kept; the photos they uploaded are deleted, rows and files,
since photos of a home show the person's belongings and life.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from concierge.desk.models import Ticket, TicketPhoto, TicketUpdate
from portal.datarights.erasure import DomainErasure, ErasurePlan, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_tickets(person: Person) -> list[dict[str, Any]]:
    """Problems the person reported, with the public replies; never the internal notes."""
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.reporter_id == person.id).order_by(Ticket.id)
    )
    result = []
    for ticket in tickets:
        updates = db.session.scalars(
            select(TicketUpdate)
            .where(TicketUpdate.ticket_id == ticket.id, TicketUpdate.internal.is_(False))
            .order_by(TicketUpdate.id)
        )
        result.append(
            {
                "id": ticket.id,
                "category": ticket.category,
                "description": ticket.description,
                "status": ticket.status,
                "created_at": ticket.created_at,
                "resolved_at": ticket.resolved_at,
                "closed_at": ticket.closed_at,
                "rating": ticket.rating,
                "rating_comment": ticket.rating_comment,
                "photos": len(ticket.photos),
                "updates": [
                    {
                        "at": u.created_at,
                        "kind": u.kind,
                        "text": u.body,
                        "from": u.old_value,
                        "to": u.new_value,
                    }
                    for u in updates
                ],
            }
        )
    return result


def collect_photo_files(plan: ErasurePlan, person_id: int) -> None:
    """The files of the ticket photos the person uploaded, read before their rows go."""
    photos = db.session.execute(
        select(TicketPhoto.file_name, TicketPhoto.thumb_name).where(
            TicketPhoto.uploaded_by_id == person_id
        )
    )
    for name, thumb in photos:
        plan.files.extend(n for n in (name, thumb) if n)


register_exporter("tickets", export_tickets, order=50)
register_erasure(
    "concierge.desk",
    DomainErasure(
        overrides={
            "tickets.reporter_id": "null",
            "ticket_photos.uploaded_by_id": "delete",  # files listed by collect_photo_files
        },
        before=collect_photo_files,
    ),
)
