"""Serve the app with real-time support: one process, gevent by default."""

from __future__ import annotations

import gc
import logging
import socket
import time
from typing import Any

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


def lean_websockets(eio: Any) -> None:
    """Fewer bytes per WebSocket on this Engine.IO server (gevent mode). Measured with 5,000
    sockets: the bare stack holds 70 KB per socket, 45 KB with these changes (and the
    greenlet-tree setting in serve()); the portal 79 KB, 53 KB.

    - simple-websocket reads in the greenlet that waits in receive() (python-engineio's
      handler) instead of starting a reader greenlet per socket: a parked greenlet holds
      about 8 KB (its saved C stack, a page of Python data stack, the objects).
    - pywsgi's reader of the request, and its 8 KB buffer, is closed once the WebSocket is
      open.
    - Each socket's next ping is a greenlet that starts when it is due (spawn_later: it has
      no stack until then) rather than one sleeping ping_interval.
    - permessage-deflate is never negotiated: every browser offers it, and its zlib state
      (context takeover, 15-bit windows) is about 100 KB per socket once a message has gone
      through; the events are small JSON.

    Relies on python-engineio 4.x and simple-websocket 1.x internals (pinned in
    requirements/constraints.txt); tests/test_server.py checks it still takes effect.
    """
    import gevent
    import simple_websocket
    from engineio import packet
    from engineio.async_drivers import gevent as engineio_gevent
    from engineio.socket import Socket
    from simple_websocket.errors import ConnectionClosed
    from wsproto.utilities import LocalProtocolError

    if getattr(engineio_gevent, "SimpleWebSocketWSGI", None) is None:
        return  # gevent-websocket is installed and serves the WebSockets

    class NoThread:
        """Stands for simple-websocket's reader thread, which is never started."""

        name = "(no reader greenlet)"

        def __init__(self, target: object = None) -> None:
            """Nothing to run."""

        def start(self) -> None:
            """Nothing to start: InlineWebSocket.receive() reads."""

    class InlineWebSocket(simple_websocket.Server):  # type: ignore[misc]
        """simple-websocket's server, read by the greenlet that calls receive()."""

        def __init__(self, environ: dict[str, Any], **kwargs: Any) -> None:
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)  # no permessage-deflate
            super().__init__(environ, **{**kwargs, "thread_class": NoThread})
            # The request has been read and the WebSocket reads its own duplicate of the
            # socket: closing pywsgi's reader frees its 8 KB buffer (the socket stays open).
            rfile = environ.get("wsgi.input")
            if not hasattr(rfile, "raw"):  # pywsgi's Input around it
                rfile = getattr(rfile, "rfile", None)
            if rfile is not None and hasattr(rfile, "raw"):
                rfile.close()

        def receive(self, timeout: float | None = None) -> Any:
            """The next message; None after `timeout` seconds without one."""
            deadline = None if timeout is None else time.monotonic() + timeout
            while self.connected and not self.input_buffer:
                try:
                    if deadline is None:
                        data = self.sock.recv(self.receive_bytes)
                    else:
                        data = None
                        with gevent.Timeout(max(0.0, deadline - time.monotonic()), False):
                            data = self.sock.recv(self.receive_bytes)
                        if data is None:
                            return None
                    if not data:
                        raise OSError("closed by the client")
                    self.ws.receive_data(data)
                    self.connected = self._handle_events()
                except (OSError, LocalProtocolError):
                    self.connected = False
            if self.input_buffer:
                return self.input_buffer.pop(0)
            self.sock.close()
            raise ConnectionClosed(self.close_reason, self.close_message)

    class InlineWebSocketWSGI(engineio_gevent.WebSocketWSGI):  # type: ignore[misc,name-defined]
        """python-engineio's gevent WebSocket wrapper, on InlineWebSocket."""

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            self.ws = InlineWebSocket(environ, **self.server_args)
            return self.app(self)

    def ping(sock: Any) -> None:
        """What Socket._send_ping does once its sleep is over."""
        if not sock.closing and not sock.closed:
            sock.last_ping = time.time()
            sock.send(packet.Packet(packet.PING))

    start_background_task = eio.start_background_task

    def start_task(target: Any, *args: Any, **kwargs: Any) -> Any:
        """Engine.IO's background tasks, its pings started only when due."""
        if getattr(target, "__func__", None) is Socket._send_ping:
            return gevent.spawn_later(eio.ping_interval, ping, target.__self__)
        return start_background_task(target, *args, **kwargs)

    eio._async = {**eio._async, "websocket": InlineWebSocketWSGI}
    eio.start_background_task = start_task


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
        import gevent

        options.update(handler_class=gevent_nodelay_handler())
        install_graceful_stop(app)
        lean_websockets(socketio.server.eio)
        # A greenlet keeps no record of where it was spawned (a debugging aid, about 1.5 KB
        # per greenlet: 4-5 KB per socket).
        gevent.config.track_greenlet_tree = False
    freeze_startup_objects()
    socketio.run(app, host=host, port=port, **options)
