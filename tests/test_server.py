"""`python app.py` stops gracefully on SIGTERM, and puts its start-up objects out of the
cyclic collector's sight before it serves."""

from __future__ import annotations

import gc
import signal
import subprocess

import requests

from portal.auth.service import do_issue_card
from portal.extensions import db
from portal.factory import create_app
from portal.server import freeze_startup_objects, lean_websockets
from tests.factories import make_building, make_resident
from tests.live import Listener, live_server, log_in_with_card


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


def test_lean_websockets_take_effect_on_a_gevent_engine() -> None:
    """No reader greenlet per WebSocket, and a ping greenlet that has no stack until due."""
    import engineio
    import gevent
    import greenlet
    from engineio import packet
    from engineio.socket import Socket

    eio = engineio.Server(async_mode="gevent", ping_interval=0.05)
    lean_websockets(eio)
    assert eio._async["websocket"].__name__ == "InlineWebSocketWSGI"
    sock = Socket(eio, "sid")
    sock.last_ping = None
    task = eio.start_background_task(sock._send_ping)
    assert not greenlet.greenlet.__bool__(task)  # scheduled, not started: no stack yet
    gevent.sleep(0.3)
    assert task.dead
    assert sock.last_ping is not None
    assert sock.queue.get_nowait().packet_type == packet.PING


def test_a_socket_of_the_live_server_answers(tmp_path):
    """`python app.py` (gevent, lean WebSockets): an authenticated socket's event is answered,
    and a browser's offer of permessage-deflate is declined."""
    import websocket

    uri = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        alice = make_resident(make_building())
        card = do_issue_card(alice, issued_by=None)
        alice_id = alice.id
        db.session.commit()
        db.engine.dispose()
    with live_server(uri, tmp_path) as server:
        listener = Listener(server.url, log_in_with_card(server.url, card))
        try:
            answer = listener.client.call("whoami", {}, timeout=10)
            assert answer["person_id"] == alice_id, server.log()
        finally:
            listener.close()
        raw = websocket.create_connection(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            header=["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"],
        )
        try:
            assert "sec-websocket-extensions" not in raw.getheaders()
            assert raw.recv().startswith("0{")  # Engine.IO's open packet, uncompressed
        finally:
            raw.close()
