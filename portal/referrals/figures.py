"""The referrals' figure: referrals partners sent each week, by urgency, and those closed."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from portal.extensions import db
from portal.figures.service import (
    TOTAL,
    Column,
    Figure,
    Period,
    Row,
    Scope,
    in_period,
    register_figure,
    week_of,
)
from portal.referrals.models import Referral, ReferralStatus, Urgency


def get_referrals(scope: Scope, period: Period) -> Figure:
    """Referrals received each week (all, and urgent ones) and referrals closed that week.

    One statement reads the moments of each referral sent or closed in the period."""
    bounds = period.moment_bounds()
    utc_bounds = [moment.astimezone(UTC) for moment in bounds]
    stmt = select(Referral.urgency, Referral.status, Referral.sent_at, Referral.closed_at).where(
        Referral.building_id.in_(scope.building_ids),
        or_(in_period(Referral.sent_at, bounds), in_period(Referral.closed_at, bounds)),
    )
    sent: dict[int, int] = defaultdict(int)
    urgent: dict[int, int] = defaultdict(int)
    closed: dict[int, int] = defaultdict(int)
    for urgency, status, sent_at, closed_at in db.session.execute(stmt):
        week = week_of(sent_at, utc_bounds)
        if week is not None:
            sent[week] += 1
            if urgency == Urgency.URGENT:
                urgent[week] += 1
        closed_week = week_of(closed_at, utc_bounds) if status == ReferralStatus.CLOSED else None
        if closed_week is not None:
            closed[closed_week] += 1
    columns = (
        Column("received", str(_l("Received"))),
        Column("urgent", str(_l("Of which urgent"))),
        Column("closed", str(_l("Closed"))),
    )
    weeks = [
        Row(
            monday.isoformat(),
            monday.isoformat(),
            (sent.get(i, 0), urgent.get(i, 0), closed.get(i, 0)),
        )
        for i, monday in enumerate(period.mondays)
    ]
    total = Row(
        TOTAL,
        str(_l("Whole period")),
        (sum(sent.values()), sum(urgent.values()), sum(closed.values())),
    )
    return Figure(
        key="referrals",
        title=str(_l("Partners' referrals each week")),
        description=str(
            _l("Received: referrals partners sent that week. Closed: referrals closed that week.")
        ),
        row_header=str(_l("Week starting")),
        columns=columns,
        rows=(*weeks, total),
        chart="bar",
        weekly=True,
    )


register_figure("referrals", lambda r: get_referrals(r.scope, r.period), 75)
