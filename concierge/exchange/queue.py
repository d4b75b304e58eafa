"""The exchange's lines on the desk's queue: help requests that need the staff's attention."""

from __future__ import annotations

from concierge.exchange import service as helping
from portal.desk_queue import (
    RANK_HIGH,
    RANK_NORMAL,
    RANK_URGENT,
    QueueContext,
    QueueItem,
    paths,
    register_queue_source,
)

URGENCY_RANK = {"urgent": RANK_URGENT, "soon": RANK_HIGH, "flexible": RANK_NORMAL}


def help_items(context: QueueContext) -> list[QueueItem]:
    """Open requests of the desk's building that are urgent, escalated or nearly too late."""
    requests = [
        r
        for r in helping.list_needing_attention(context.staff)
        if r.building_id == context.building.id
    ]
    requesters = helping.names_of({r.requester_id for r in requests})
    url = paths("concierge.help_request", "request_id")
    items = []
    for request in requests:
        requester = requesters.get(request.requester_id)
        items.append(
            QueueItem(
                kind="help",
                icon=request.kind.icon,
                title=request.kind.label,
                detail=requester.full_name if requester else "",
                url=url(request.id),
                rank=URGENCY_RANK.get(str(request.urgency.value), RANK_NORMAL),
                since=request.created_at,
                when=context.words.since_when(request.created_at),
            )
        )
    return items


register_queue_source("concierge.help", help_items)
