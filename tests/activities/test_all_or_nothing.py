"""Operations of several steps are all or nothing: a failure half-way through a request
leaves no trace of the steps already done (the request owns the transaction)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from activities import proposals, service
from activities.models import Activity, Occurrence, ProposalStatus, SignupStatus
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Role
from tests.activities.test_routes import token
from tests.activities.test_service import in_days, make_weekly
from tests.factories import make_building, make_resident, make_staff


class Injected(RuntimeError):
    """The failure a test injects."""


def fail_on_call(real: Callable[..., Any], failing_call: int) -> Callable[..., Any]:
    """`real`, except that its n-th call raises (the earlier ones did their work)."""
    calls = {"n": 0}

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == failing_call:
            raise Injected("the disk is full")
        return real(*args, **kwargs)

    return wrapper


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(app):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    activity = make_weekly(coordinator, building, title="Marche", capacity=5, weeks=2, hour=10)
    going = [make_resident(building), make_resident(building)]
    for occurrence in activity.occurrences:
        for person in going:
            service.do_sign_up(person, occurrence.id)
    return {
        "building": building,
        "coordinator": coordinator,
        "activity": activity,
        "going": going,
    }


def moments(activity: Activity) -> list[tuple[Any, ...]]:
    """What a change or a cancellation would alter, for each date."""
    return [(o.starts_at, o.ends_at, o.capacity, o.cancelled_at) for o in activity.occurrences]


@pytest.mark.parametrize("scope", ["one", "series"])
def test_a_change_that_fails_half_way_changes_no_date_and_tells_no_one(
    world, client, login, events, monkeypatch, scope
):
    activity, coordinator = world["activity"], world["coordinator"]
    second = activity.occurrences[1]
    login(coordinator)
    before = moments(activity)
    path = f"/activities/occurrences/{second.id}/edit"
    data = {
        "csrf_token": token(client, path),
        "scope": scope,
        "title": "Marche douce",
        "start": "14:00",
        "end": "15:30",
        "capacity": "6",
    }
    # A notice fails half-way: for one date, the second person's (the date and the first
    # notice are written); for the series, the next date's first (the first date is done).
    failing = 2 if scope == "one" else 3
    monkeypatch.setattr(service, "_notify_changed", fail_on_call(service._notify_changed, failing))
    events.clear()
    assert client.post(path, data=data).status_code == 500
    assert moments(activity) == before
    assert activity.title == "Marche"
    assert count(Notification) == 0
    assert list(events) == []

    monkeypatch.undo()  # the same request, without the failure, does change the dates
    assert client.post(path, data=data).status_code == 302
    assert moments(activity) != before and activity.title == "Marche douce"


@pytest.mark.parametrize("scope", ["one", "series"])
def test_a_cancellation_that_fails_half_way_cancels_nothing_and_tells_no_one(
    world, client, login, events, monkeypatch, scope
):
    activity, coordinator, going = world["activity"], world["coordinator"], world["going"]
    second = activity.occurrences[1]
    login(coordinator)
    before = moments(activity)
    page = f"/activities/occurrences/{second.id}"
    data = {"csrf_token": token(client, page), "scope": scope}
    failing = 2 if scope == "one" else 3  # as for a change, above
    real = service._notify_cancelled
    monkeypatch.setattr(service, "_notify_cancelled", fail_on_call(real, failing))
    events.clear()
    assert client.post(f"{page}/cancel-activity", data=data).status_code == 500
    assert moments(activity) == before
    assert [service.get_signup_status(p, second.id) for p in going] == [
        SignupStatus.CONFIRMED,
        SignupStatus.CONFIRMED,
    ]
    assert count(Notification) == 0
    assert list(events) == []

    monkeypatch.undo()
    assert client.post(f"{page}/cancel-activity", data=data).status_code == 302
    assert second.cancelled_at is not None


def test_an_approval_that_fails_half_way_leaves_the_proposal_pending_and_no_activity(
    app, client, login, events, monkeypatch
):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    resident = make_resident(building)
    start = in_days(5, hour=19)
    proposal = proposals.do_propose(
        resident, title="Soirée jeux", starts_at=start, ends_at=start + timedelta(hours=2)
    )
    login(coordinator)
    notes_before = count(Notification)  # the coordinator was told of the proposal
    data = {"csrf_token": token(client, "/activities/proposals"), "capacity": "8"}
    # The activity is created and the proposal marked approved; telling the resident fails.
    monkeypatch.setattr(proposals, "notify", fail_on_call(proposals.notify, 1))
    events.clear()
    path = f"/activities/proposals/{proposal.id}/approve"
    assert client.post(path, data=data).status_code == 500
    assert proposal.status == ProposalStatus.PENDING and proposal.activity_id is None
    assert (count(Activity), count(Occurrence)) == (0, 0)
    assert count(Notification) == notes_before
    assert list(events) == []

    monkeypatch.undo()
    assert client.post(path, data=data).status_code == 302
    assert proposal.status == ProposalStatus.APPROVED
    assert (count(Activity), count(Occurrence)) == (1, 1)


def test_a_cancelled_place_whose_promotion_fails_stays_taken(
    app, client, login, events, monkeypatch
):
    building = make_building()
    coordinator = make_staff(Role.COORDINATOR, [building])
    start = in_days(2)
    occurrence = service.do_create_activity(
        coordinator,
        building.id,
        title="Loto",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=1,
    ).occurrences[0]
    first, waiting = make_resident(building), make_resident(building)
    service.do_sign_up(first, occurrence.id)
    service.do_sign_up(waiting, occurrence.id)
    login(first)
    page = f"/activities/occurrences/{occurrence.id}"
    data = {"csrf_token": token(client, page)}
    # The place is given back and the next person promoted; telling them fails.
    monkeypatch.setattr(service, "_notify_promoted", fail_on_call(service._notify_promoted, 1))
    events.clear()
    assert client.post(f"{page}/cancel", data=data).status_code == 500
    assert service.get_signup_status(first, occurrence.id) == SignupStatus.CONFIRMED
    assert service.get_signup_status(waiting, occurrence.id) == SignupStatus.WAITLISTED
    assert count(Notification) == 0
    assert list(events) == []

    monkeypatch.undo()
    assert client.post(f"{page}/cancel", data=data).status_code == 302
    assert service.get_signup_status(waiting, occurrence.id) == SignupStatus.CONFIRMED
