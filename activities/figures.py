"""Activities' figure: who comes to each activity, by age band."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from activities.models import Activity, Occurrence, Signup, SignupStatus
from portal.figures.service import (
    AGE_BANDS,
    KNOWN_BANDS,
    Column,
    Figure,
    Period,
    Row,
    Scope,
    age_band,
    grouped,
    register_figure,
)
from portal.people.models import Building, Person


def get_attendance(scope: Scope, period: Period, now: datetime) -> Figure:
    """Who came to each activity, by age band: how intergenerational it really is."""
    bounds = period.moment_bounds()
    last = min(bounds[-1], now)
    inner = (
        select(
            Activity.id.label("activity_id"),
            Activity.title.label("title"),
            Building.name.label("building"),
            age_band(Person.birth_year, period.ref_year).label("band"),
        )
        .select_from(Signup)
        .join(Occurrence, Occurrence.id == Signup.occurrence_id)
        .join(Activity, Activity.id == Occurrence.activity_id)
        .join(Building, Building.id == Activity.building_id)
        .join(Person, Person.id == Signup.person_id)
        .where(
            Activity.building_id.in_(scope.building_ids),
            Occurrence.starts_at >= bounds[0],
            Occurrence.starts_at < last,
            Occurrence.cancelled_at.is_(None),
            Signup.status == SignupStatus.CONFIRMED,
            or_(Signup.attended.is_(None), Signup.attended.is_(True)),
        )
    )
    many = len(scope.building_ids) > 1
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    for activity_id, title, building, band, n in grouped(
        inner, "activity_id", "title", "building", "band"
    ):
        counts[activity_id][band] = n
        names[activity_id] = f"{title} ({building})" if many else title
    columns = (
        *(Column(k, str(v)) for k, v in AGE_BANDS.items()),
        Column("total", str(_l("All ages")), charted=False),
        Column("bands", str(_l("Age bands present (of 4)")), charted=False),
    )
    rows = []
    for activity_id in sorted(counts, key=lambda a: (names[a].casefold(), a)):
        by_band = counts[activity_id]
        values = [by_band.get(k, 0) for k in AGE_BANDS]
        present = sum(1 for k in KNOWN_BANDS if by_band.get(k, 0) > 0)
        rows.append(Row(str(activity_id), names[activity_id], (*values, sum(values), present)))
    return Figure(
        key="attendance",
        title=str(_l("Who comes to each activity, by age")),
        description=str(
            _l("Places taken at the dates of the period, without those marked absent.")
        ),
        row_header=str(_l("Activity")),
        columns=columns,
        rows=tuple(rows),
        chart="hbar-stacked",
    )


register_figure("attendance", lambda r: get_attendance(r.scope, r.period, r.now), 50)
