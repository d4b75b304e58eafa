"""Referrals on the desk's queue: open ones, for the coordinators and managers who read it."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.desk_queue import (
    RANK_HIGH,
    RANK_NORMAL,
    RANK_URGENT,
    QueueContext,
    QueueItem,
    paths,
    register_queue_source,
)
from portal.referrals import service
from portal.referrals.models import Urgency

URGENCY_RANK = {Urgency.URGENT: RANK_URGENT, Urgency.SOON: RANK_HIGH, Urgency.LOW: RANK_NORMAL}


def referral_items(context: QueueContext) -> list[QueueItem]:
    """The building's open referrals (none for a concierge: they hold a resident's concern)."""
    lines = service.list_referrals(context.staff, context.building.id)
    url = paths("referrals.staff_referral", "referral_id")
    words = context.words
    items = []
    for line in lines:
        place = words.place(line.dwelling_number) if line.about_resident else _("The building")
        items.append(
            QueueItem(
                kind="referral",
                icon=line.concern.icon,
                title=_("Referral: %(concern)s", concern=line.concern.label),
                detail=f"{place} · {line.status.label}",
                url=url(line.id),
                rank=URGENCY_RANK[line.urgency],
                since=line.sent_at,
                when=words.since_when(line.sent_at),
            )
        )
    return items


register_queue_source("referrals", referral_items)
