"""The missed check-in job, run as the scheduler runs it: its own transaction, all or nothing."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.scheduler import in_app_context
from portal.wellbeing import jobs, service
from portal.wellbeing.models import MissedCheckin
from tests.wellbeing.conftest import MORNING, Cast, at


def count(model) -> int:
    return int(db.session.scalar(select(func.count(model.id))) or 0)


def test_the_scheduled_job_commits_its_alerts_and_their_notifications(app, cast: Cast, events):
    service.do_opt_in(cast.jeanne, time(11, 0), now=MORNING)
    db.session.commit()
    assert in_app_context(app, jobs.run_missed_checkins)(at(10, 5)) == 1
    db.session.expire_all()
    assert count(MissedCheckin) == 1
    assert count(Notification) == 1  # the coordinator's
    assert events.named(service.EVENT_CHANGED)


def test_a_job_whose_notification_fails_raises_no_alert(app, cast: Cast, monkeypatch, events):
    service.do_opt_in(cast.jeanne, time(11, 0), now=MORNING)
    service.do_opt_in(cast.paul, time(11, 0), now=MORNING)
    db.session.commit()
    real_notify = service.notify
    alerted: list[int] = []

    def first_alert_then_failure(person, *args, **kwargs):
        if alerted:
            raise RuntimeError("the second alert could not be written")
        alerted.append(count(MissedCheckin))
        return real_notify(person, *args, **kwargs)

    monkeypatch.setattr(service, "notify", first_alert_then_failure)
    events.clear()
    with pytest.raises(RuntimeError):
        in_app_context(app, jobs.run_missed_checkins)(at(10, 5))
    db.session.expire_all()
    assert alerted == [1]
    assert count(MissedCheckin) == 0
    assert count(Notification) == 0
    assert events.named(service.EVENT_CHANGED) == []
