"""Disconnect callbacks: each package registers a plain function of the socket's id; the one
disconnect handler runs them in order, each in a transaction of its own, and, for a socket
closed by a commit (at logout), apart from the session that is committing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from messaging.calls.models import Call, CallOutcome, CallStatus
from portal import realtime
from portal.auth import service as auth
from portal.extensions import socketio
from portal.people.models import Person, Role
from portal.transaction import running_after_commit
from tests.factories import make_building, make_resident, make_staff


@pytest.fixture
def callbacks(monkeypatch: pytest.MonkeyPatch) -> list[realtime.DisconnectCallback]:
    """An empty registry for the test (the packages' own callbacks are set aside)."""
    registry: list[realtime.DisconnectCallback] = []
    monkeypatch.setattr(realtime, "_disconnect_callbacks", registry)
    return registry


@pytest.fixture
def background_tasks(monkeypatch: pytest.MonkeyPatch) -> list[threading.Thread]:
    """The background tasks Socket.IO starts during the test, to wait for them."""
    started: list[threading.Thread] = []
    original = socketio.start_background_task

    def start(target: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        task = original(target, *args, **kwargs)
        started.append(task)
        return task

    monkeypatch.setattr(socketio, "start_background_task", start)
    return started


def renaming(person_id: int, name: str, *, then_fail: bool = False) -> Callable[[str], None]:
    """A callback that renames a person (its write), then fails if asked to."""

    def rename(_sid: str) -> None:
        from portal.extensions import db

        db.session.get(Person, person_id).first_name = name
        db.session.flush()
        if then_fail:
            raise RuntimeError("this callback fails")

    return rename


def test_disconnect_callbacks_run_in_order_with_the_socket_id(app, socket_client, callbacks):
    seen: list[tuple[str, str]] = []
    for label in ("first", "second", "third"):
        realtime.on_disconnect(lambda sid, label=label: seen.append((label, sid)))
    sock = socket_client(make_resident())
    sock.disconnect()
    assert [label for label, _sid in seen] == ["first", "second", "third"]
    assert len({sid for _label, sid in seen}) == 1 and seen[0][1]


def test_registering_a_callback_twice_runs_it_once(app, socket_client, callbacks):
    seen: list[str] = []

    def note(sid: str) -> None:
        seen.append(sid)

    realtime.on_disconnect(note)
    realtime.on_disconnect(note)
    socket_client(make_resident()).disconnect()
    assert len(seen) == 1


def test_a_failing_callback_is_logged_and_undone_and_the_others_still_commit(
    app, db, socket_client, callbacks, caplog
):
    building = make_building()
    first, second, third = (make_resident(building, first_name=n) for n in ("Ann", "Bea", "Cy"))
    realtime.on_disconnect(renaming(first.id, "Annie"))
    realtime.on_disconnect(renaming(second.id, "Beatrice", then_fail=True))
    realtime.on_disconnect(renaming(third.id, "Cyril"))
    sock = socket_client(first)
    with caplog.at_level(logging.ERROR, logger="portal.auth.events"):
        sock.disconnect()
    db.session.rollback()  # anything not committed by the callbacks is gone
    db.session.expire_all()
    names = [db.session.get(Person, p.id).first_name for p in (first, second, third)]
    assert names == ["Annie", "Bea", "Cyril"]
    [failure] = [r for r in caplog.records if r.name == "portal.auth.events"]
    assert "disconnect callback" in failure.getMessage() and "rename" in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is RuntimeError


def test_a_socket_closed_by_a_commit_runs_its_callbacks_apart_after_it(
    app, db, socket_client, callbacks, background_tasks
):
    resident = make_resident()
    request_session = db.session()
    seen: list[tuple[bool, bool]] = []

    def look(_sid: str) -> None:
        seen.append((db.session() is request_session, running_after_commit()))

    realtime.on_disconnect(look)
    realtime.on_disconnect(renaming(resident.id, "Renamed"))
    sock = socket_client(resident)
    auth.do_end_sessions(resident)
    db.session.commit()  # the logout's commit closes the socket
    assert not sock.is_connected()
    for task in background_tasks:
        task.join(timeout=10)
    assert seen == [(False, False)]
    db.session.expire_all()
    assert db.session.get(Person, resident.id).first_name == "Renamed"


def test_a_screen_closed_at_logout_ends_its_call_after_the_logout_commits(
    app, db, socket_client, background_tasks
):
    building = make_building()
    resident = make_resident(building, first_name="Jeanne")
    coordinator = make_staff(Role.COORDINATOR, [building])
    tablet, desk = socket_client(resident), socket_client(coordinator)
    ack = desk.emit("call_start", {"callee_id": resident.id}, callback=True)
    call_id = ack["call"]["id"]
    assert tablet.emit("call_answer", {"call_id": call_id}, callback=True)["ok"]
    auth.do_end_sessions(coordinator)
    db.session.commit()
    assert not desk.is_connected()
    for task in background_tasks:
        task.join(timeout=10)
    assert background_tasks
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call.status == CallStatus.ENDED and call.outcome == CallOutcome.ANSWERED
