"""Serve the app with real-time support: one process, gevent by default."""

from __future__ import annotations

import gc
import logging
import socket

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from portal import logs, scheduler
from portal.extensions import socketio

log = logging.getLogger(__name__)


class NoDelayRequestHandler(WSGIRequestHandler):
    """Send small WebSocket frames at once (an ack right after an event would otherwise
    wait for the client's delayed TCP acknowledgement, about 40 ms)."""

    def setup(self) -> None:
        """Turn Nagle's algorithm off on the accepted socket."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def gevent_nodelay_handler() -> type:
    """gevent's WSGI handler with TCP_NODELAY, for the same reason as above."""
    from gevent.pywsgi import WSGIHandler

    class NoDelayHandler(WSGIHandler):
        """gevent's handler, with TCP_NODELAY on its socket."""

        def __init__(self, sock: socket.socket, *args: object, **kwargs: object) -> None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().__init__(sock, *args, **kwargs)

    return NoDelayHandler


def install_graceful_stop(app: Flask) -> None:
    """On SIGTERM or SIGINT, stop accepting connections and let in-flight requests finish
    (up to SERVER_STOP_TIMEOUT seconds) before the process exits."""
    import signal

    import gevent

    timeout = float(app.config["SERVER_STOP_TIMEOUT"])

    def stop() -> None:
        """Stop the server, giving in-flight requests their time."""
        server = socketio.wsgi_server
        if server is not None:
            log.info("stopping: finishing in-flight requests (at most %.0f s)", timeout)
            server.stop(timeout=timeout)

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, lambda: gevent.spawn(stop))


def freeze_startup_objects() -> int:
    """Put what start-up built (modules, the app, its caches) out of the cyclic collector's
    sight, and return how many objects that is. A full collection scans every object it
    sees and pauses the whole worker while it does: measured with bench/messaging.py (500
    sockets, 100 messages/s on PostgreSQL), these pauses went from 100-200 ms to 45-105 ms,
    and they are what the slowest deliveries wait for."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def serve(app: Flask) -> None:
    """Run the Socket.IO server, with the scheduler inside this single process."""
    logs.configure(app.config["LOG_JSON"])
    host, port = app.config["SERVER_HOST"], app.config["SERVER_PORT"]
    scheduler.start_in_process(app)
    options: dict[str, object] = {"debug": False, "use_reloader": False, "log_output": False}
    if app.config["SOCKETIO_ASYNC_MODE"] == "threading":
        options.update(allow_unsafe_werkzeug=True, request_handler=NoDelayRequestHandler)
    elif app.config["SOCKETIO_ASYNC_MODE"] == "gevent":
        options.update(handler_class=gevent_nodelay_handler())
        install_graceful_stop(app)
    freeze_startup_objects()
    socketio.run(app, host=host, port=port, **options)
