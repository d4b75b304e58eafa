"""The desk's figure: problems reported by category, and the time to resolve them."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from concierge.desk.models import Ticket, TicketCategory
from portal.extensions import db
from portal.figures.service import (
    Column,
    Figure,
    Period,
    Row,
    Scope,
    in_period,
    median,
    register_figure,
)


def get_tickets(scope: Scope, period: Period) -> Figure:
    """Problems reported in the period by category, how many are resolved, and how fast.

    One statement reads the two moments of each problem of the period (the medians need
    them anyway); they are counted here."""
    bounds = period.moment_bounds()
    stmt = select(Ticket.category, Ticket.created_at, Ticket.resolved_at).where(
        Ticket.building_id.in_(scope.building_ids), in_period(Ticket.created_at, bounds)
    )
    reported: dict[str, int] = defaultdict(int)
    hours: dict[str, list[float]] = defaultdict(list)
    for category, created, resolved in db.session.execute(stmt):
        reported[str(category)] += 1
        if resolved is not None:
            hours[str(category)].append((resolved - created).total_seconds() / 3600)
    columns = (
        Column("reported", str(_l("Reported"))),
        Column("resolved", str(_l("Resolved"))),
        Column("median_hours", str(_l("Hours to resolve (median)")), charted=False),
    )
    rows = tuple(
        Row(
            str(category),
            category.label,
            (
                reported.get(str(category), 0),
                len(hours.get(str(category), [])),
                median(hours.get(str(category), [])),
            ),
        )
        for category in TicketCategory
    )
    return Figure(
        key="tickets",
        title=str(_l("Problems reported, by category")),
        description=str(_l("Problems reported during the period, and the time to resolve them.")),
        row_header=str(_l("Category")),
        columns=columns,
        rows=rows,
        chart="bar",
    )


register_figure("tickets", lambda r: get_tickets(r.scope, r.period), 70)
