"""Calls for help on the desk's queue: above everything else."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.desk_queue import RANK_HELP_CALL, QueueContext, QueueItem, register_queue_source
from portal.urls import path_for
from portal.wellbeing import service


def help_call_items(context: QueueContext) -> list[QueueItem]:
    """Residents who pressed "I need help"."""
    words, building = context.words, context.building
    items = []
    for call in service.list_help_calls(context.staff, building.id):
        seen = call.status == "seen"
        state = _("Someone is on the way") if seen else _("Nobody has answered yet")
        place = words.place(call.dwelling.number if call.dwelling else None)
        items.append(
            QueueItem(
                kind="helpcall",
                icon="siren",
                title=_("Call for help: %(name)s", name=call.person.full_name),
                detail=f"{place} · {state}",
                url=path_for("wellbeing.staff_page", building=building.id),
                rank=RANK_HELP_CALL,
                since=call.since,
                when=words.since_when(call.since),
            )
        )
    return items


register_queue_source("wellbeing.help_calls", help_call_items)
