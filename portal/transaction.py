"""The request owns the transaction: services add, flush and publish; the route, socket
handler, job or command that called them commits once at its end, or rolls back when it
failed, so an operation of several steps is all or nothing.

The one exception is the ordered message send (messaging.service), which commits inside
its per-conversation lock so that events leave in id order across workers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask

from portal.extensions import db

P = ParamSpec("P")
R = TypeVar("R")


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


def install(app: Flask) -> None:
    """Every view of the app owns its request's transaction (called once all blueprints
    are registered, so no route can forget it)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "__bv_owns_transaction__", False):
            app.view_functions[endpoint] = owns_transaction(view)
