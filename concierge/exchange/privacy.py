"""The exchange's part of a person's export: help asked, given and offered (erasure is generic)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from concierge.exchange.models import HelpOffer, HelpRequest
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_help(person: Person) -> dict[str, Any]:
    """Requests made (a pharmacy's name only while held), help given, and help offered."""
    asked = db.session.scalars(
        select(HelpRequest).where(HelpRequest.requester_id == person.id).order_by(HelpRequest.id)
    )
    given = db.session.scalars(
        select(HelpRequest).where(HelpRequest.helper_id == person.id).order_by(HelpRequest.id)
    )
    offers = db.session.scalars(
        select(HelpOffer).where(HelpOffer.person_id == person.id).order_by(HelpOffer.id)
    )
    return {
        "requests": [_help_request(r, own=True) for r in asked],
        "helped_with": [_help_request(r, own=False) for r in given],
        "offers": [
            {
                "kind": o.kind,
                "availability": o.availability,
                "active": o.active,
                "created_at": o.created_at,
            }
            for o in offers
        ],
    }


def _help_request(request: HelpRequest, *, own: bool) -> dict[str, Any]:
    """One request as exported; urgency and details only to the person who asked."""
    item = {
        "id": request.id,
        "kind": request.kind,
        "status": request.status,
        "window_start": request.window_start,
        "window_end": request.window_end,
        "created_at": request.created_at,
        "done_at": request.done_at,
        "minutes_given": request.minutes_given,
        "thanks_note": request.thanks_note,
    }
    if own:
        item["urgency"] = request.urgency
        item["details"] = request.details  # None once a pharmacy run's name is erased
    return item


register_exporter("help", export_help, order=40)
