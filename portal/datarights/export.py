"""Everything the portal holds about a person, as JSON ("My data").

Each part of the portal contributes a section through `register_exporter(name, fn, order)`;
`fn(person)` returns a list or a dict of JSON-ready values (no secrets: no hashes, no tokens,
no other person's private data). The portal's own sections are registered here; each domain
registers its own from its `privacy.py` when its package is imported, the way tiles do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal.audit.service import record
from portal.db import utcnow
from portal.extensions import db
from portal.people.models import Person
from portal.registry import Registry

Section = list[Any] | dict[str, Any]
Exporter = Callable[[Person], Section]


_EXPORTERS: Registry[Exporter] = Registry()


def register_exporter(name: str, fn: Exporter, order: int = 100) -> None:
    """Add (or replace) the section `name` of every person's export, placed by `order`."""
    _EXPORTERS.register(name, fn, order)


def exporter_names() -> list[str]:
    """The section names in export order, whatever order the packages were imported in."""
    return _EXPORTERS.ordered_keys()


def build_export(person: Person) -> dict[str, Any]:
    """The whole export of one person, section by section (read only)."""
    sections = {name: _jsonable(_EXPORTERS[name](person)) for name in exporter_names()}
    return {"generated_at": utcnow().isoformat(), "format": "bon-voisin/1", **sections}


def do_export(actor: Person, person: Person) -> dict[str, Any]:
    """Build the export and write `data.exported` to the audit log (committed with the
    request that downloads it)."""
    data = build_export(person)
    record("data.exported", actor=actor, subject=person, detail={"sections": len(_EXPORTERS)})
    return data


def _jsonable(value: Any) -> Any:
    """Datetimes as ISO 8601, enums as their value, containers walked."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# The portal's own sections ------------------------------------------------------------

PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "role",
    "birth_year",
    "phone",
    "email",
    "locale",
    "time_zone",
    "text_size",
    "high_contrast",
    "simplified_mode",
    "read_aloud",
    "easy_read",
    "show_presence",
    "languages",
    "interests",
    "can_help_with",
    "in_directory",
    "created_at",
    "last_login_at",
    "last_seen_at",
)


def export_profile(person: Person) -> dict[str, Any]:
    """Who the person is and their settings; never a password, code or card token."""
    from portal.auth.models import LoginCard

    profile = {name: getattr(person, name) for name in PROFILE_FIELDS}
    profile["building"] = person.building.name if person.building else None
    profile["dwelling"] = person.dwelling.number if person.dwelling else None
    profile["has_photo"] = person.photo_path is not None
    cards = db.session.scalars(select(LoginCard).where(LoginCard.person_id == person.id))
    profile["login_cards"] = [
        {"printed_at": c.created_at, "cancelled_at": c.revoked_at, "last_used_at": c.last_used_at}
        for c in cards
    ]
    return profile


def export_notifications(person: Person) -> list[dict[str, Any]]:
    """The notifications the person received, read or not, with where they led."""
    from portal.notifications.models import Notification

    stmt = select(Notification).where(Notification.person_id == person.id).order_by(Notification.id)
    return [
        {"at": n.created_at, "kind": n.kind, "title": n.title, "link": n.url, "read_at": n.read_at}
        for n in db.session.scalars(stmt)
    ]


def export_wellbeing(person: Person) -> dict[str, Any]:
    """The daily check-in: enrolment, the days pressed, the days missed, help calls, its
    pauses, and the emergency contacts the person named."""
    from portal.wellbeing.models import (
        Checkin,
        CheckinEnrolment,
        CheckinPause,
        EmergencyContact,
        HelpCall,
        MissedCheckin,
    )

    enrolment = db.session.scalar(
        select(CheckinEnrolment).where(CheckinEnrolment.person_id == person.id)
    )
    own = {
        model: db.session.scalars(
            select(model).where(model.person_id == person.id).order_by(model.id)
        ).all()
        for model in (Checkin, MissedCheckin, HelpCall, CheckinPause, EmergencyContact)
    }
    return {
        "enrolment": None
        if enrolment is None
        else {
            "check_time": enrolment.check_time.isoformat(),
            "active": enrolment.active,
            "started_at": enrolment.started_at,
            "consent_recorded_at": enrolment.consent_recorded_at,
            "stopped_at": enrolment.stopped_at,
        },
        "checkins": [{"day": c.local_day, "at": c.checked_at} for c in own[Checkin]],
        "missed": [
            {"day": m.local_day, "status": m.status, "closed_at": m.closed_at, "note": m.note}
            for m in own[MissedCheckin]
        ],
        "help_calls": [
            {"at": h.created_at, "status": h.status, "seen_at": h.seen_at} for h in own[HelpCall]
        ],
        "pauses": [
            {"from": p.starts_on, "until": p.until, "reason": p.reason, "resumed_at": p.resumed_at}
            for p in own[CheckinPause]
        ],
        "emergency_contacts": [
            {
                "name": c.name,
                "relation": c.relation,
                "email": c.email,
                "phone": c.phone,
                "language": c.locale,
                "agreement_recorded_at": c.consent_recorded_at,
            }
            for c in own[EmergencyContact]
        ],
    }


def export_days_active(person: Person) -> list[date]:
    """The days the person had the portal open (kept for the building's figures)."""
    from portal.people.models import ActivityDay

    stmt = (
        select(ActivityDay.day).where(ActivityDay.person_id == person.id).order_by(ActivityDay.day)
    )
    return list(db.session.scalars(stmt))


register_exporter("profile", export_profile, order=10)
register_exporter("notifications", export_notifications, order=60)
register_exporter("wellbeing", export_wellbeing, order=70)
register_exporter("days_active", export_days_active, order=90)


def export_alerts(person: Person) -> dict[str, Any]:
    """Alerts about the person, those they were told of, their on-call rota lines."""
    from portal.alerts.privacy import export_alerts as build

    return build(person)


register_exporter("alerts", export_alerts, order=75)
