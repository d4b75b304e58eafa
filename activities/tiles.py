"""The Activities tile on every home screen, and today's activities on the resident's home."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import format_time
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, select

from activities import service
from activities.models import Activity, Occurrence, SignupStatus
from portal.db import utcnow
from portal.home.tiles import (
    Tile,
    TodayItem,
    building_ids_for,
    register_tile,
    register_today,
    today_bounds,
)
from portal.people.models import Person


def _rest_of_today(person: Person) -> tuple[datetime, datetime]:
    """From now to the end of the person's today."""
    start, end = today_bounds(person)
    return max(start, utcnow()), end


def list_today(person: Person) -> list[service.OccurrenceView]:
    """The activities of the person's building that have not ended yet today."""
    return service.list_upcoming(person, *_rest_of_today(person))


def count_today(person: Person) -> ColumnElement[int]:
    """The badge as SQL: how many activities are still to come today (the occurrences
    service.list_upcoming lists for the same moments, counted)."""
    start, end = _rest_of_today(person)
    return (
        select(func.count(Occurrence.id))
        .join(Activity, Occurrence.activity_id == Activity.id)
        .where(
            Activity.building_id.in_(building_ids_for(person)),
            Activity.cancelled_at.is_(None),
            Occurrence.cancelled_at.is_(None),
            Occurrence.ends_at > start,
            Occurrence.starts_at < end,
        )
        .scalar_subquery()
    )


def today_items(person: Person) -> list[TodayItem]:
    """Today's activities I joined, and those I may still join with one tap."""
    items = []
    for view in list_today(person):
        occurrence, joined = view.occurrence, view.my_status == SignupStatus.CONFIRMED
        if view.my_status not in (None, SignupStatus.CANCELLED, SignupStatus.CONFIRMED):
            continue  # on the waiting list: the activity page says so
        url = url_for("activities.occurrence", occurrence_id=occurrence.id)
        may_join = not joined and view.places_left != 0
        items.append(
            TodayItem(
                icon=view.activity.category.icon,
                text=view.activity.title,
                url=url,
                time=format_time(occurrence.starts_at, "short"),
                sort_key=occurrence.starts_at.isoformat(),
                done_label=str(_l("I am going")) if joined else "",
                action_url=url_for("activities.sign_up", occurrence_id=occurrence.id)
                if may_join
                else "",
                action_label=str(_l("Join")) if may_join else "",
                action_fields=(("guests", "0"), ("show_name", "y")),
            )
        )
    return items


register_tile(
    Tile(
        key="activities",
        endpoint="activities.calendar",
        icon="calendar",
        label=_l("Activities"),
        order=20,
        badge_count=count_today,
        badge_events=(service.EVENT_SIGNUP, service.EVENT_CHANGED, service.EVENT_CANCELLED),
        badge_text=_l("%(num)s today"),
    )
)
register_today("activities", today_items)
