"""Counting the SQL statements an action sends: the tests that keep pages free of N+1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from portal.extensions import db


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements sent to the database inside the block, on one line each."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_for(client: Any, path: str) -> int:
    """How many statements a page costs once caches are warm (its second request)."""
    client.get(path)
    with statements() as seen:
        assert client.get(path).status_code == 200
    return len(seen)
