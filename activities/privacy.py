"""Activities' part of a person's export: their sign-ups (erasure follows the generic rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from activities.models import Activity, Occurrence, Signup
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person


def export_activities(person: Person) -> list[dict[str, Any]]:
    """Sign-ups (and waiting-list places) with the activity's title and date."""
    stmt = (
        select(Signup, Occurrence.starts_at, Activity.title)
        .join(Occurrence, Signup.occurrence_id == Occurrence.id)
        .join(Activity, Occurrence.activity_id == Activity.id)
        .where(Signup.person_id == person.id)
        .order_by(Occurrence.starts_at)
    )
    return [
        {
            "activity": title,
            "starts_at": starts_at,
            "status": s.status,
            "guests": s.guests,
            "attended": s.attended,
            "signed_up_at": s.created_at,
        }
        for s, starts_at, title in db.session.execute(stmt)
    ]


register_exporter("activities", export_activities, order=30)
