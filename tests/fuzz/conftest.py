"""One app and one building per test session for the fuzz suite (socket limits raised, a
valid CSRF token on every write, so that payloads reach the handlers), saved once and put
back before each target on SQLite; on PostgreSQL (BV_TEST_DATABASE=postgresql) the same
app on its own schema, where each target finds the building as the previous one left it."""

from __future__ import annotations

import copy
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis.configuration import set_hypothesis_home_dir

from portal.extensions import db as _db
from portal.extensions import socketio
from portal.factory import create_app
from tests.conftest import TEST_CONFIG, IsolatedClient, test_database
from tests.fuzz import discovery
from tests.fuzz.harness import STATS, Calls, Fuzzer, LogTrap
from tests.fuzz.summary import (  # noqa: F401  (hooks: the closing summary)
    pytest_sessionfinish,
    pytest_terminal_summary,
    pytest_testnodedown,
)
from tests.fuzz.world import FuzzWorld, build_fuzz_world, refresh_ids

# Hypothesis keeps its few files (the Unicode tables) with pytest's, not in the tree.
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / ".pytest_cache" / "hypothesis")

FUZZ_CONFIG: dict[str, Any] = {
    **TEST_CONFIG,
    "SOCKETIO_EVENT_LIMIT": "1000000/10 seconds",
    "MESSAGING_SEND_LIMIT": "1000000/10 seconds",
    "PROPAGATE_EXCEPTIONS": False,  # as in production: the app's own 500 handler answers
}


@dataclass
class FuzzEnv:
    app: Flask
    server: Any  # this app's Socket.IO server (other tests' apps replace the global one)
    world: FuzzWorld
    database: Path | None  # the SQLite file, put back before each target
    snapshot: Path | None
    uploads: Path
    uploads_snapshot: Path


def _copy_sqlite(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture(scope="session")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzEnv]:
    """The app and its building, built once (a few seconds), torn down at the end."""
    tmp = tmp_path_factory.mktemp("fuzz")
    with test_database(tmp) as uri:
        uploads = tmp / "uploads"
        app = create_app(
            {**FUZZ_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "PORTAL_UPLOAD_DIR": str(uploads)}
        )
        app.test_client_class = IsolatedClient
        server = socketio.server
        with app.app_context():
            STATS.database = _db.engine.dialect.name
            _db.create_all()
            world = build_fuzz_world()
            _db.session.remove()
            _db.engine.dispose()
        uploads.mkdir(exist_ok=True)
        uploads_snapshot = tmp / "uploads-snapshot"
        shutil.copytree(uploads, uploads_snapshot)
        database = snapshot = None
        if uri.startswith("sqlite:///"):
            database = Path(uri.removeprefix("sqlite:///"))
            snapshot = tmp / "snapshot.sqlite3"
            _copy_sqlite(database, snapshot)
        yield FuzzEnv(app, server, world, database, snapshot, uploads, uploads_snapshot)
        with app.app_context():
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


@pytest.fixture
def fuzz(fuzz_env: FuzzEnv) -> Iterator[Fuzzer]:
    """A driver on the fuzz app, the building as it was built (SQLite) or as the last
    target left it (PostgreSQL), with every ERROR log and traceback trapped."""
    previous = socketio.server
    socketio.server = fuzz_env.server
    trap = LogTrap()
    root = logging.getLogger()
    root.addHandler(trap)
    with fuzz_env.app.app_context():
        if fuzz_env.snapshot is not None and fuzz_env.database is not None:
            _db.session.remove()
            _db.engine.dispose()
            _copy_sqlite(fuzz_env.snapshot, fuzz_env.database)
            shutil.rmtree(fuzz_env.uploads, ignore_errors=True)
            shutil.copytree(fuzz_env.uploads_snapshot, fuzz_env.uploads)
            world = copy.deepcopy(fuzz_env.world)
        else:
            world = fuzz_env.world
        refresh_ids(world)
        driver = Fuzzer(fuzz_env.app, world, trap)
        try:
            yield driver
        finally:
            driver.close()
            root.removeHandler(trap)
            _db.session.remove()
            socketio.server = previous


@pytest.fixture
def calls(fuzz: Fuzzer) -> Calls:
    """Strategies of calls for this world."""
    return Calls(fuzz.world, discovery.doc_words())
