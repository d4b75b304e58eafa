"""A bare Socket.IO relay (no database, no auth): the yardstick for bench/messaging.py.

Same server stack as `python app.py` (Flask-SocketIO on gevent, TCP_NODELAY); a send is
acknowledged at once and relayed to the members' rooms.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(members: dict[str, list[int]]) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="gevent")

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        join_room(f"user:{request.args.get('user')}")

    @socketio.on("send_message")
    def send_message(payload: dict[str, Any]) -> dict[str, Any]:
        message = {**payload, "id": 0}
        rooms = [f"user:{pid}" for pid in members[str(payload["conversation_id"])]]
        # As the portal: not echoed to the sending socket (it has its acknowledgement).
        emit("messaging.message_created", message, to=rooms, include_self=False)
        return {"ok": True, "message": message}

    return app, socketio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--members", required=True, help="JSON file: conversation id -> ids")
    args = parser.parse_args()
    with open(args.members) as handle:
        members = json.load(handle)
    app, socketio = build(members)
    socketio.run(
        app, host="127.0.0.1", port=args.port, allow_unsafe_werkzeug=True, log_output=False
    )


if __name__ == "__main__":
    main()
