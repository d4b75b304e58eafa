"""The exchange's figure: help asked and done each week, and how fast a neighbour took it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from concierge.exchange.models import HelpRequest, HelpStatus
from portal.extensions import db
from portal.figures.service import (
    TOTAL,
    Column,
    Figure,
    Period,
    Row,
    Scope,
    in_period,
    median,
    register_figure,
    week_of,
)

HELPED = (HelpStatus.DONE, HelpStatus.THANKED)
TAKEN = (HelpStatus.TAKEN, *HELPED)


def get_help(scope: Scope, period: Period) -> Figure:
    """Requests asked and fulfilled each week; median minutes before a neighbour took one.

    One statement reads the moments of each request asked or done in the period (the medians
    need them anyway, and a building asks for help a few times a day at most)."""
    bounds = period.moment_bounds()
    utc_bounds = [moment.astimezone(UTC) for moment in bounds]  # compared as stored: quicker
    stmt = select(
        HelpRequest.status, HelpRequest.created_at, HelpRequest.taken_at, HelpRequest.done_at
    ).where(
        HelpRequest.building_id.in_(scope.building_ids),
        or_(
            in_period(HelpRequest.created_at, bounds),
            and_(HelpRequest.status.in_(HELPED), in_period(HelpRequest.done_at, bounds)),
        ),
    )
    asked_by_week: dict[int, int] = defaultdict(int)
    done_by_week: dict[int, int] = defaultdict(int)
    waits: dict[int, list[float]] = defaultdict(list)
    for status, created, taken_at, done_at in db.session.execute(stmt):
        week = week_of(created, utc_bounds)
        if week is not None:
            asked_by_week[week] += 1
            if status in TAKEN and taken_at is not None:
                waits[week].append((taken_at - created).total_seconds() / 60)
        done_week = week_of(done_at, utc_bounds) if status in HELPED else None
        if done_week is not None:
            done_by_week[done_week] += 1
    columns = (
        Column("asked", str(_l("Asked"))),
        Column("fulfilled", str(_l("Done"))),
        Column("median_minutes", str(_l("Minutes before a neighbour took it (median)")), False),
    )
    weeks = [
        Row(
            monday.isoformat(),
            monday.isoformat(),
            (asked_by_week.get(i, 0), done_by_week.get(i, 0), median(waits.get(i, []))),
        )
        for i, monday in enumerate(period.mondays)
    ]
    every_wait = [minutes for week in waits.values() for minutes in week]
    total = Row(
        TOTAL,
        str(_l("Whole period")),
        (sum(asked_by_week.values()), sum(done_by_week.values()), median(every_wait)),
    )
    return Figure(
        key="help",
        title=str(_l("Help between neighbours each week")),
        description=str(_l("Asked: requests made that week. Done: requests done that week.")),
        row_header=str(_l("Week starting")),
        columns=columns,
        rows=(*weeks, total),
        chart="bar",
        weekly=True,
    )


register_figure("help", lambda r: get_help(r.scope, r.period), 60)
