"""Messaging's figure: messages written each week, by kind of conversation."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from messaging.models import Conversation, ConversationKind, Message
from portal.extensions import db
from portal.figures.service import (
    Column,
    Figure,
    Number,
    Period,
    Scope,
    bucket,
    grouped,
    in_period,
    register_figure,
    week_rows,
)


def _conversation_of_message() -> Any:
    """On SQLite, "+ 0" keeps the planner from walking every message of the building
    through the conversation index (a row lookup each, all years): it reads the period's
    messages by date instead, then each one's conversation by primary key. PostgreSQL
    plans the plain join well and the expression badly (a nested loop: 0.8 s a year)."""
    if db.engine.dialect.name == "sqlite":
        return Message.conversation_id + 0
    return Message.conversation_id


def get_messages(scope: Scope, period: Period) -> Figure:
    """Messages written each week, by kind of conversation."""
    bounds = period.moment_bounds()
    inner = (
        select(
            bucket(Message.created_at, bounds).label("week"),
            Conversation.kind.label("kind"),
        )
        .join(Conversation, Conversation.id == _conversation_of_message())
        .where(
            Conversation.building_id.in_(scope.building_ids),
            in_period(Message.created_at, bounds),
        )
    )
    counts: dict[tuple[int, str], Number] = {}
    for week, kind, n in grouped(inner, "week", "kind"):
        counts[(week, str(kind))] = n
        counts[(week, "total")] = int(counts.get((week, "total")) or 0) + n
    columns = (
        *(Column(kind.value, kind.label) for kind in ConversationKind),
        Column("total", str(_l("All messages")), charted=False),
    )
    return Figure(
        key="messages",
        title=str(_l("Messages each week")),
        description=str(_l("Messages written in the building's conversations.")),
        row_header=str(_l("Week starting")),
        columns=columns,
        rows=week_rows(period, columns, counts),
        chart="stacked",
        weekly=True,
    )


register_figure("messages", lambda r: get_messages(r.scope, r.period), 40)
