"""A bare Socket.IO relay (no database, no auth): the yardstick for bench/messaging.py.

Same server stack as the portal (Flask-SocketIO, threading mode, Werkzeug); a send is
acknowledged at once and relayed to the other members' rooms.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_socketio import SocketIO, emit, join_room

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(members: dict[str, list[int]]) -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")

    @socketio.on("connect")
    def connect(auth: Any = None) -> None:
        join_room(f"user:{request.args.get('user')}")

    @socketio.on("send_message")
    def send_message(payload: dict[str, Any]) -> dict[str, Any]:
        message = {**payload, "id": 0}
        for person_id in members[str(payload["conversation_id"])]:
            emit("messaging.message_created", message, to=f"user:{person_id}")
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
