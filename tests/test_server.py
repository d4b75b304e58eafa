"""`python app.py` stops gracefully on SIGTERM, and puts its start-up objects out of the
cyclic collector's sight before it serves."""

from __future__ import annotations

import gc
import signal
import subprocess

import requests

from portal.extensions import db
from portal.factory import create_app
from portal.server import freeze_startup_objects
from tests.live import live_server


def test_sigterm_finishes_cleanly(tmp_path):
    uri = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    with live_server(uri, tmp_path) as server:
        health = requests.get(f"{server.url}/healthz", timeout=5).json()
        assert health["checks"]["database"] == "ok"
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, server.log()
        assert "stopping: finishing in-flight requests" in server.log()


def test_start_up_objects_are_put_out_of_the_collectors_sight() -> None:

    try:
        frozen = freeze_startup_objects()
        assert frozen > 10_000  # the modules and the app of a whole portal
        # (not exactly `frozen` later: a frozen object freed since leaves the count)
        assert gc.get_freeze_count() > 10_000
        # What lives from now on is still collected: a new cycle goes.
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
