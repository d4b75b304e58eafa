"""Every operation of the exchange is all or nothing: when a later step fails (a write the
database refuses, a notification that cannot be stored), nothing of the earlier steps stays,
through the real page, socket event or scheduled job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from concierge.exchange import jobs
from concierge.exchange import service as helping
from concierge.exchange.models import HelpRequest, HelpStatus
from messaging import service as messaging
from messaging.models import Conversation, Message
from portal.db import utcnow
from portal.errors import Invalid
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people.models import Role
from portal.scheduler import in_app_context
from tests.concierge.exchange.test_help_routes import ask_form, post
from tests.concierge.exchange.test_helping import ask, soon
from tests.factories import make_building, make_resident, make_staff


@contextmanager
def failing_insert(model: type[Any], after: int = 0) -> Iterator[None]:
    """Let `after` rows of `model` be written, then refuse the next one, once (as a full disk
    or a lost connection would, half-way through an operation)."""
    written = 0

    def refuse(*_args: Any) -> None:
        nonlocal written
        written += 1
        if written == after + 1:
            raise RuntimeError(f"{model.__tablename__}: the write failed")

    event.listen(model, "before_insert", refuse)
    try:
        yield
    finally:
        event.remove(model, "before_insert", refuse)


def count(model: type[Any], *where: Any) -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def notifications_of(person_id: int, kind: str) -> int:
    return count(Notification, Notification.person_id == person_id, Notification.kind == kind)


@pytest.fixture
def world(app):
    building = make_building()
    people = {
        "jeanne": make_resident(building, first_name="Jeanne", locale="en"),
        "paul": make_resident(building, first_name="Paul", locale="en"),
        "lucie": make_resident(building, first_name="Lucie", locale="en"),
        "concierge": make_staff(Role.CONCIERGE, [building], locale="en"),
        "coordinator": make_staff(Role.COORDINATOR, [building], locale="en"),
    }
    db.session.commit()
    return people


def still_open(request: HelpRequest) -> None:
    """The take left nothing: the request waits, nobody is told, no conversation, no message."""
    db.session.expire_all()
    assert request.status == HelpStatus.OPEN
    assert (request.helper_id, request.taken_at, request.conversation_id) == (None, None, None)
    assert count(Conversation) == 0 and count(Message) == 0
    assert notifications_of(request.requester_id, "help.taken") == 0


# Taking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("failing", [Conversation, Message], ids=["conversation", "message"])
def test_a_take_whose_conversation_fails_is_undone_whole_on_the_page(
    client, login, world, events, failing
):
    request = ask(world["jeanne"])
    db.session.commit()
    events.clear()
    login(world["paul"])
    with failing_insert(failing):
        response = post(client, f"/neighbours/requests/{request.id}/take")
    assert response.status_code == 500
    still_open(request)
    assert events.named(helping.EVENT_CHANGED) == []
    assert events.named("messaging.message_created") == []


def test_a_take_whose_first_message_fails_is_undone_whole_by_socket(socket_client, world, events):
    request = ask(world["jeanne"])
    db.session.commit()
    events.clear()
    helper = socket_client(world["paul"])
    with failing_insert(Message):
        answer = helper.emit("take_help_request", {"request_id": request.id}, callback=True)
    assert answer["ok"] is False and answer["error"] == "server_error"
    still_open(request)
    assert events.named(helping.EVENT_CHANGED) == []
    assert events.named("messaging.message_created") == []


def test_a_take_that_succeeds_commits_the_conversation_and_message_with_it(
    client, login, world, events
):
    request = ask(world["jeanne"])
    db.session.commit()
    events.clear()
    login(world["paul"])
    assert post(client, f"/neighbours/requests/{request.id}/take").status_code == 302
    db.session.expire_all()
    assert request.status == HelpStatus.TAKEN and request.conversation_id is not None
    assert count(Message, Message.conversation_id == request.conversation_id) == 1
    assert notifications_of(world["jeanne"].id, "help.taken") == 1
    names = {e.name for e in events}
    assert {helping.EVENT_CHANGED, "messaging.message_created"} <= names


def test_a_refused_first_message_leaves_the_take_and_its_conversation(world, monkeypatch):
    """As before: the take matters most; a message messaging refuses is simply not written."""
    request = ask(world["jeanne"])

    def too_fast(_person: Any) -> None:
        raise Invalid("Too fast", "rate_limited")

    monkeypatch.setattr(messaging, "check_rate", too_fast)
    helping.do_take(world["paul"], request.id)
    db.session.commit()
    db.session.expire_all()
    assert request.status == HelpStatus.TAKEN and request.conversation_id is not None
    assert count(Message) == 0


# Asking, done and thanks -----------------------------------------------------------------


def test_an_ask_whose_second_neighbour_cannot_be_told_stores_nothing(client, login, world):
    helping.do_save_offer(world["paul"], "groceries")
    helping.do_save_offer(world["lucie"], "groceries")
    db.session.commit()
    login(world["jeanne"])
    with failing_insert(Notification, after=1):
        response = post(client, "/neighbours/ask", ask_form())
    assert response.status_code == 500
    assert count(HelpRequest) == 0
    assert count(Notification) == 0


def test_done_whose_notification_fails_stays_taken(client, login, world):
    request = ask(world["jeanne"])
    helping.do_take(world["paul"], request.id)
    db.session.commit()
    login(world["paul"])
    with failing_insert(Notification):
        response = post(client, f"/neighbours/requests/{request.id}/done", {"minutes": "60"})
    assert response.status_code == 500
    db.session.expire_all()
    assert request.status == HelpStatus.TAKEN
    assert (request.done_at, request.minutes_given) == (None, None)
    assert notifications_of(world["jeanne"].id, "help.done") == 0


def test_thanks_whose_notification_fails_leave_the_request_done(client, login, world):
    request = ask(world["jeanne"])
    helping.do_take(world["paul"], request.id)
    helping.do_mark_done(world["paul"], request.id, 60)
    db.session.commit()
    login(world["jeanne"])
    with failing_insert(Notification):
        response = post(client, f"/neighbours/requests/{request.id}/thank", {"note": "Merci !"})
    assert response.status_code == 500
    db.session.expire_all()
    assert request.status == HelpStatus.DONE
    assert (request.thanked_at, request.thanks_note) == (None, None)
    assert notifications_of(world["paul"].id, "help.thanked") == 0


# Scheduled jobs --------------------------------------------------------------------------


def run_job(app) -> None:
    """The job as the scheduler runs it: its own app context, session and transactions."""
    in_app_context(app, jobs.run_help_jobs)()


def test_an_escalation_whose_second_alert_fails_is_undone_and_the_other_steps_still_run(app, world):
    urgent = ask(world["jeanne"], urgency="urgent", window_end=soon(10))
    urgent.created_at = utcnow() - timedelta(hours=3)
    late = ask(world["lucie"])
    late.window_start = utcnow() - timedelta(hours=4)
    late.window_end = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with failing_insert(Notification, after=1), pytest.raises(ExceptionGroup):
        run_job(app)
    db.session.expire_all()
    assert urgent.escalated_at is None and urgent.status == HelpStatus.OPEN
    for staff in (world["concierge"], world["coordinator"]):
        assert notifications_of(staff.id, "help.escalated") == 0
    # Closing what ran out of time is its own step: it went on and was committed.
    assert late.status == HelpStatus.EXPIRED
    assert notifications_of(world["lucie"].id, "help.expired") == 1
    run_job(app)  # the next run escalates, once
    db.session.expire_all()
    assert urgent.escalated_at is not None
    for staff in (world["concierge"], world["coordinator"]):
        assert notifications_of(staff.id, "help.escalated") == 1


def test_expiry_whose_second_notice_fails_closes_none_and_the_purge_still_runs(app, world):
    first, second = ask(world["jeanne"]), ask(world["lucie"])
    for request in (first, second):
        request.window_start, request.window_end = utcnow() - timedelta(hours=4), utcnow()
    run = ask(world["jeanne"], kind="pharmacy", details="Pharmacie du Centre", health_consent=True)
    helping.do_take(world["paul"], run.id)
    helping.do_mark_done(world["paul"], run.id, 30)
    run.done_at = utcnow() - timedelta(days=31)
    db.session.commit()
    before = count(Notification)
    with failing_insert(Notification, after=1), pytest.raises(ExceptionGroup):
        run_job(app)
    db.session.expire_all()
    assert (first.status, second.status) == (HelpStatus.OPEN, HelpStatus.OPEN)
    assert first.closed_at is None and second.closed_at is None
    assert count(Notification) == before
    assert run.details is None and run.details_erased_at is not None
