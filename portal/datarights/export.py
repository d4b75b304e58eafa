"""Everything the portal holds about a person, as JSON ("My data").

Each domain contributes a section through `register_exporter(name, fn)`; `fn(person)`
returns a list or a dict of JSON-ready values (no secrets: no hashes, no tokens, no other
person's private data). The domains that exist today register here; a new domain calls
`register_exporter` from its own package when it is imported.
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

Section = list[Any] | dict[str, Any]
Exporter = Callable[[Person], Section]

_EXPORTERS: dict[str, Exporter] = {}


def register_exporter(name: str, fn: Exporter) -> None:
    """Add (or replace) the section `name` of every person's export."""
    _EXPORTERS[name] = fn


def exporter_names() -> list[str]:
    return list(_EXPORTERS)


def build_export(person: Person) -> dict[str, Any]:
    """The whole export of one person, section by section (read only)."""
    sections = {name: _jsonable(fn(person)) for name, fn in _EXPORTERS.items()}
    return {"generated_at": utcnow().isoformat(), "format": "bon-voisin/1", **sections}


def do_export(actor: Person, person: Person) -> dict[str, Any]:
    """Build the export and write `data.exported` to the audit log."""
    data = build_export(person)
    record("data.exported", actor=actor, subject=person, detail={"sections": len(_EXPORTERS)})
    db.session.commit()
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


# The sections of the domains present today ------------------------------------------------

PROFILE_FIELDS = (
    "first_name", "last_name", "display_name", "role", "birth_year", "phone", "email",
    "locale", "time_zone", "text_size", "high_contrast", "simplified_mode", "read_aloud",
    "show_presence", "languages", "interests", "can_help_with", "in_directory",
    "created_at", "last_login_at", "last_seen_at",
)  # fmt: skip


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


def export_messages(person: Person) -> list[dict[str, Any]]:
    """Messages the person wrote, with their conversation and time (files are not copied)."""
    from messaging.models import Attachment, Message

    stmt = (
        select(Message, Attachment.kind)
        .outerjoin(Attachment, Message.attachment_id == Attachment.id)
        .where(Message.sender_id == person.id)
        .order_by(Message.id)
    )
    return [
        {
            "conversation_id": m.conversation_id,
            "sent_at": m.created_at,
            "kind": m.kind,
            "text": m.body,
            "attachment": kind,
            "hidden": m.hidden_at is not None,
        }
        for m, kind in db.session.execute(stmt)
    ]


def export_activities(person: Person) -> list[dict[str, Any]]:
    """Sign-ups (and waiting-list places) with the activity's title and date."""
    from activities.models import Activity, Occurrence, Signup

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


def export_help(person: Person) -> dict[str, Any]:
    """Requests the person made (their own details, a pharmacy's name only while held),
    help they gave, and the help they offer."""
    from concierge.exchange.models import HelpOffer, HelpRequest

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
            {"kind": o.kind, "availability": o.availability, "active": o.active,
             "created_at": o.created_at}
            for o in offers
        ],
    }  # fmt: skip


def _help_request(request: Any, *, own: bool) -> dict[str, Any]:
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


def export_tickets(person: Person) -> list[dict[str, Any]]:
    """Problems the person reported, with the public replies; never the internal notes."""
    from concierge.desk.models import Ticket, TicketUpdate

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
                    {"at": u.created_at, "kind": u.kind, "text": u.body,
                     "from": u.old_value, "to": u.new_value}
                    for u in updates
                ],
            }
        )  # fmt: skip
    return result


def export_notifications(person: Person) -> list[dict[str, Any]]:
    from portal.notifications.models import Notification

    stmt = select(Notification).where(Notification.person_id == person.id).order_by(Notification.id)
    return [
        {"at": n.created_at, "kind": n.kind, "title": n.title, "link": n.url, "read_at": n.read_at}
        for n in db.session.scalars(stmt)
    ]


def export_wellbeing(person: Person) -> dict[str, Any]:
    """The daily check-in: enrolment, the days pressed, the days missed, help calls."""
    from portal.wellbeing.models import Checkin, CheckinEnrolment, HelpCall, MissedCheckin

    enrolment = db.session.scalar(
        select(CheckinEnrolment).where(CheckinEnrolment.person_id == person.id)
    )
    own = {
        model: db.session.scalars(
            select(model).where(model.person_id == person.id).order_by(model.id)
        ).all()
        for model in (Checkin, MissedCheckin, HelpCall)
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
    }


def export_announcements_read(person: Person) -> list[dict[str, Any]]:
    from messaging.announcements.models import Announcement, AnnouncementRead

    stmt = (
        select(Announcement.title, AnnouncementRead.read_at)
        .join(Announcement, Announcement.id == AnnouncementRead.announcement_id)
        .where(AnnouncementRead.person_id == person.id)
        .order_by(AnnouncementRead.read_at)
    )
    return [{"title": title, "read_at": at} for title, at in db.session.execute(stmt)]


def export_days_active(person: Person) -> list[date]:
    """The days the person had the portal open (kept for the building's figures)."""
    from portal.figures.models import ActivityDay

    stmt = (
        select(ActivityDay.day).where(ActivityDay.person_id == person.id).order_by(ActivityDay.day)
    )
    return list(db.session.scalars(stmt))


for _name, _fn in (
    ("profile", export_profile),
    ("messages", export_messages),
    ("activities", export_activities),
    ("help", export_help),
    ("tickets", export_tickets),
    ("notifications", export_notifications),
    ("wellbeing", export_wellbeing),
    ("announcements_read", export_announcements_read),
    ("days_active", export_days_active),
):
    register_exporter(_name, _fn)
