"""The referrals' part of a person's data rights.

Export: a partner's account (kind, organisation, buildings) and the referrals they sent,
with the coordinator's answers; a resident, the referrals about them (what kind, how urgent,
when, where it stands; not the partner's words, which the coordinator keeps for them).
Erasure: referrals about an erased resident go; a partner's own referrals stay for the
building's follow-up, without them (their id is unset); their profile and buildings go.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.datarights.erasure import DomainErasure, register_erasure
from portal.datarights.export import register_exporter
from portal.extensions import db
from portal.people.models import Person, Role
from portal.referrals import service
from portal.referrals.models import PartnerProfile, Referral


def export_referrals(person: Person) -> dict[str, Any]:
    """A partner's account and referrals; a resident's referrals about them."""
    if person.role == Role.PARTNER:
        profile = db.session.get(PartnerProfile, person.id)
        sent = db.session.scalars(
            select(Referral).where(Referral.partner_id == person.id).order_by(Referral.id)
        )
        return {
            "partner": {
                "kind": profile.kind if profile else None,
                "organisation": profile.organisation_name if profile else "",
                "building_ids": sorted(service.partner_building_ids(person)),
            },
            "sent": [
                {
                    "id": r.id,
                    "building_id": r.building_id,
                    "flat": r.dwelling_number,
                    "name_typed": r.resident_name,
                    "concern": r.concern,
                    "urgency": r.urgency,
                    "text": r.text,
                    "status": r.status,
                    "answer": r.answer_note,
                    "sent_at": r.sent_at,
                    "answered_at": r.answered_at,
                    "closed_at": r.closed_at,
                }
                for r in sent
            ],
        }
    about = db.session.scalars(
        select(Referral).where(Referral.resident_id == person.id).order_by(Referral.id)
    )
    return {
        "about_me": [
            {
                "concern": r.concern,
                "urgency": r.urgency,
                "status": r.status,
                "sent_at": r.sent_at,
                "closed_at": r.closed_at,
                "consent_recorded_at": r.consent_recorded_at,
            }
            for r in about
        ]
    }


register_exporter("referrals", export_referrals, order=78)
register_erasure("referrals", DomainErasure(overrides={"referrals.resident_id": "delete"}))
