"""Every Socket.IO event the server handles, as every role, with payloads of any JSON type
and hostile values under the documented keys: the acknowledgement is a dict, `ok: true` or
`ok: false` with a message (never `server_error`), and nothing is logged at ERROR level."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import strategies as st

from portal.extensions import db, socketio
from tests.conftest import CommittingSocketClient
from tests.fuzz import strategies as fs
from tests.fuzz.discovery import EventTarget, discovered
from tests.fuzz.harness import STATS, Calls, Fuzzer, SocketCall, run_examples
from tests.fuzz.report import fail_on
from tests.fuzz.world import ROLES

pytestmark = pytest.mark.fuzz

_, EVENTS = discovered()
# connect and disconnect are the socket's own life, not events a client sends.
HANDLED = [e for e in EVENTS if e.name not in {"connect", "disconnect"}]


@pytest.mark.parametrize("target", HANDLED, ids=[e.name for e in HANDLED])
def test_event_acknowledges_calmly(fuzz: Fuzzer, calls: Calls, target: EventTarget) -> None:
    STATS.events.add(target.name)
    if os.environ.get("BV_FUZZ_BATTERY", "1") != "0":
        for call in calls.socket_battery(target):
            fuzz.send_socket(target, call)
    run_examples(
        calls.socket_calls(target), lambda call: fuzz.send_socket(target, call), target.name
    )
    fail_on(fuzz.findings_for(target.name))


def test_connect_takes_any_auth_calmly(fuzz: Fuzzer) -> None:
    """The connect handler, given any `auth` payload and any role (anonymous included):
    accepted or refused, never an exception or an ERROR log."""
    STATS.events.add("connect")
    target = "connect"

    def connect(call: SocketCall) -> None:
        STATS.socket_examples += 1
        http = fuzz.client(call.role)
        db.session.commit()
        fuzz.trap.records.clear()
        try:
            sock = CommittingSocketClient(
                fuzz.app, socketio, flask_test_client=http, auth=call.args[0]
            )
        except Exception as exc:
            db.session.rollback()
            fuzz.record_exception(target, exc, call.describe())
            return
        fuzz.check_logs(target, call.describe())
        if sock.is_connected():
            sock.disconnect()

    auth: st.SearchStrategy[Any] = st.one_of(st.none(), fs.json_values())
    run_examples(
        st.builds(
            lambda role, value: SocketCall(role, "connect", (value,)), st.sampled_from(ROLES), auth
        ),
        connect,
        target,
    )
    fail_on(fuzz.findings_for(target))
