"""The alerts' part of a person's data rights.

Export: the alerts raised about the person (what, when, when someone was on it, when it
closed; not who among the staff was told), the times they were told of an alert, and
their lines on an on-call rota.
Erasure needs no rule of its own: alerts about the person go, timeline included (their
foreign keys cascade), so do their rota lines; on other alerts their id is unset (staff
names are never copied onto a timeline, only read from the account).

portal.datarights registers this section (it imports the alerts, not the other way round:
portal.wellbeing, which datarights reads, already imports portal.alerts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.alerts.models import Alert, AlertStep, RotaEntry
from portal.alerts.service import days_of
from portal.extensions import db
from portal.people.models import Person


def export_alerts(person: Person) -> dict[str, Any]:
    """The person's alerts, the alerts they were told of, their rota lines."""
    about = db.session.scalars(select(Alert).where(Alert.person_id == person.id).order_by(Alert.id))
    told = db.session.scalars(
        select(AlertStep).where(AlertStep.person_id == person.id).order_by(AlertStep.id)
    )
    rota = db.session.scalars(
        select(RotaEntry).where(RotaEntry.person_id == person.id).order_by(RotaEntry.id)
    )
    return {
        "about_me": [
            {
                "kind": a.kind,
                "raised_at": a.raised_at,
                "acknowledged_at": a.acknowledged_at,
                "closed_at": a.closed_at,
            }
            for a in about
        ],
        "my_steps": [
            {"alert_id": s.alert_id, "at": s.at, "what": s.what, "channel": s.channel} for s in told
        ],
        "on_call": [
            {
                "building_id": r.building_id,
                "weekdays": days_of(r.days),
                "start": r.start_time.strftime("%H:%M"),
                "end": r.end_time.strftime("%H:%M"),
                "order": r.position,
            }
            for r in rota
        ],
    }
