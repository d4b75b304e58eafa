"""The request owns the transaction: services add, flush and publish; the route, socket
handler, job or command that called them commits once at its end, or rolls back when it
failed, so an operation of several steps is all or nothing.

The one exception is the ordered message send (messaging.service), which commits inside
its per-conversation lock so that events leave in id order across workers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.db import is_ending_reads
from portal.extensions import db

P = ParamSpec("P")
R = TypeVar("R")
AFTER_COMMIT_KEY = "bv_after_commit"
AFTER_ROLLBACK_KEY = "bv_after_rollback"
RUNNING_AFTER_COMMIT_KEY = "bv_running_after_commit"


def owns_transaction(work: Callable[P, R]) -> Callable[P, R]:
    """Commit what `work` wrote when it returns; undo it all when it raises."""

    @functools.wraps(work)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = work(*args, **kwargs)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    wrapped.__bv_owns_transaction__ = True  # type: ignore[attr-defined]
    return wrapped


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits (deleting files, disconnecting
    sockets: what cannot be undone waits for the data to be final); a rollback drops it."""
    db.session.info.setdefault(AFTER_COMMIT_KEY, []).append(callback)


def after_rollback(callback: Callable[[], None]) -> None:
    """Run `callback` if the current transaction is undone (a file written for a row that
    will never exist is removed); a commit drops it."""
    db.session.info.setdefault(AFTER_ROLLBACK_KEY, []).append(callback)


def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction() or is_ending_reads(session):
        return  # a savepoint released, or reads ended: the writes are still to come
    session.info.pop(AFTER_ROLLBACK_KEY, None)
    session.info[RUNNING_AFTER_COMMIT_KEY] = True
    try:
        for callback in session.info.pop(AFTER_COMMIT_KEY, []):
            callback()
    finally:
        session.info.pop(RUNNING_AFTER_COMMIT_KEY, None)


def running_after_commit() -> bool:
    """Whether the request's session is running its after-commit work (a handler reached
    from there, such as a socket disconnected at logout, must not use that session)."""
    return bool(db.session.info.get(RUNNING_AFTER_COMMIT_KEY))


def _run_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is not None:
        return  # a savepoint: the outer transaction may still commit
    session.info.pop(AFTER_COMMIT_KEY, None)
    for callback in session.info.pop(AFTER_ROLLBACK_KEY, []):
        callback()


def install(app: Flask) -> None:
    """Every view of the app owns its request's transaction (called once all blueprints
    are registered, so no route can forget it)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "__bv_owns_transaction__", False):
            app.view_functions[endpoint] = owns_transaction(view)
    # After realtime's listener: a commit's events leave before its callbacks run.
    if not event.contains(Session, "after_commit", _run_after_commit):
        event.listen(Session, "after_commit", _run_after_commit)
        event.listen(Session, "after_soft_rollback", _run_after_rollback)
