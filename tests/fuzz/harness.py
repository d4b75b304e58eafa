"""The fuzz driver: builds requests and socket events from a target and a strategy, sends
them as a logged-in person, and keeps every answer that was not calm (a 5xx, a
`server_error`, a missing acknowledgement, an ERROR log or a traceback), grouped by class.

Settings (environment):
- BV_FUZZ_EXAMPLES: Hypothesis examples per endpoint and per event (default 10); a long
  run is `BV_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest -m fuzz -p no:xdist tests/fuzz`.
- BV_FUZZ_SEED: another seed for other examples (default 0: the same on every run).
- BV_FUZZ_BATTERY=0 skips the fixed battery of sharp inputs run before the examples.
- BV_FUZZ_REPORT=<file>: write every finding as JSON lines there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from portal.extensions import db, socketio
from tests.conftest import CommittingSocketClient
from tests.factories import RESIDENT_PIN, STAFF_PASSWORD
from tests.fuzz import strategies as fs
from tests.fuzz.discovery import (
    QUERY_WORDS,
    EventTarget,
    FieldSpec,
    RouteTarget,
)
from tests.fuzz.world import ROLES, FuzzWorld, actor

CSRF_FIELD = "csrf_token"

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = tuple(str(ROOT / pkg) for pkg in ("portal", "messaging", "activities", "concierge"))
STAFF_TURNS = ("coordinator", "concierge", "manager")  # who sends the battery, with a resident


def examples_per_target() -> int:
    return int(os.environ.get("BV_FUZZ_EXAMPLES", "10"))


def fuzz_settings() -> settings:
    """Bounded and repeatable: a fixed number of examples from a fixed seed, nothing kept
    between runs, no shrinking (every example is sent; findings are grouped, not
    minimised)."""
    return settings(
        max_examples=examples_per_target(),
        deadline=None,
        derandomize=False,  # each target has its own fixed seed (run_examples)
        database=None,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


# What was sent, what came back -----------------------------------------------------------


@dataclass
class HttpCall:
    role: str
    method: str
    path: str  # already %-encoded
    query: bytes = b""
    body: bytes | MultiDict[str, Any] | None = None
    content_type: str | None = None
    accept: str | None = None
    label: str = ""
    csrf: str | None = None  # None: a valid token

    def describe(self) -> str:
        query = f"?{self.query.decode('ascii', 'replace')}" if self.query else ""
        body = ""
        if isinstance(self.body, bytes):
            body = f" body={_short(self.body, 600)}"
        elif isinstance(self.body, MultiDict):
            items = [
                (k, v if isinstance(v, str) else f"<file {v[1]!r}>")
                for k, v in self.body.items(multi=True)
            ]
            body = f" multipart={_short(items, 600)}"
        label = f" [{self.label}]" if self.label else ""
        if self.csrf is not None:
            label += f" [forged CSRF token {_short(self.csrf, 40)}]"
        return f"as {self.role}: {self.method} {_short(self.path + query, 300)}{body}{label}"


@dataclass
class SocketCall:
    role: str
    event: str
    args: tuple[Any, ...] = ()
    raw: str | None = None  # a packet written by hand (JSON json.dumps cannot write)
    label: str = ""

    def describe(self) -> str:
        shown = _short(self.raw) if self.raw is not None else _short(list(self.args))
        label = f" [{self.label}]" if self.label else ""
        return f"as {self.role}: emit {self.event} {shown}{label}"


@dataclass
class Finding:
    target: str
    kind: str  # "5xx", "server_error", "no ack", "bad ack", "error log", "exception", …
    signature: str  # what groups findings: the exception and where it was raised
    summary: str
    example: str
    count: int = 1


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if isinstance(value, str) else text
    return text if len(text) <= limit else f"{text[:limit]}…(+{len(text) - limit})"


class LogTrap(logging.Handler):
    """Every record at ERROR or above, and every record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info or "Traceback" in str(record.msg):
            self.records.append(record)


def _frame_text(frame: traceback.FrameSummary) -> str:
    path = frame.filename
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif path.startswith(str(ROOT)):
        path = os.path.relpath(path, ROOT)
    return f"{path}:{frame.lineno} {frame.name}"


def where_raised(exc: BaseException) -> str:
    """Where an exception was raised: its innermost frame and, when that is a library's,
    the innermost frame of the application's own code that led there."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    own = [f for f in frames if f.filename.startswith(APP_DIRS)]
    inner = _frame_text(frames[-1])
    if own and own[-1] is not frames[-1]:
        return f"{inner}, from {_frame_text(own[-1])}"
    return inner


def exception_summary(exc: BaseException) -> tuple[str, str]:
    """(signature, summary) of an exception: its type, where it was raised, and the root
    cause when it was chained."""
    root = exc
    seen = {id(exc)}
    while (root.__cause__ or root.__context__) is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
        if id(root) in seen:
            break
        seen.add(id(root))
    name = type(exc).__name__
    cause = f" (from {type(root).__name__}: {_short(str(root), 120)})" if root is not exc else ""
    first = (str(exc).strip().splitlines() or [""])[0]
    place = where_raised(exc)
    return f"{name} at {place}", f"{name}: {_short(first, 200)}{cause} — at {place}"


# The driver ---------------------------------------------------------------------------------


@dataclass
class Stats:
    """What the fuzz covered and ran (merged across xdist workers at the end)."""

    routes: set[str] = field(default_factory=set)
    events: set[str] = field(default_factory=set)
    http_examples: int = 0
    socket_examples: int = 0
    findings: list[Finding] = field(default_factory=list)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)  # target -> status -> n
    database: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "routes": sorted(self.routes),
            "events": sorted(self.events),
            "http_examples": self.http_examples,
            "socket_examples": self.socket_examples,
            "findings": [vars(f) for f in self.findings],
            "statuses": self.statuses,
            "database": self.database,
        }


STATS = Stats()


class Fuzzer:
    """Sends calls to one app, as one of ROLES, and keeps what was not calm."""

    def __init__(self, app: Flask, world: FuzzWorld, trap: LogTrap) -> None:
        self.app = app
        self.world = world
        self.trap = trap
        self.clients: dict[str, FlaskClient] = {}
        self.sockets: dict[str, CommittingSocketClient] = {}
        self.findings: dict[tuple[str, str, str], Finding] = {}
        self.csrf_raw = hashlib.sha1(b"bon-voisin fuzz").hexdigest()

    # people and connections

    def client(self, role: str) -> FlaskClient:
        """The role's HTTP client, logged in again (a fuzzed logout must not stop the run)."""
        client = self.clients.get(role)
        if client is None:
            client = self.clients[role] = self.app.test_client()
        person = actor(self.world, role)
        with client.session_transaction() as session:
            session.clear()
            session[CSRF_FIELD] = self.csrf_raw
            if person is not None:
                session["_user_id"] = person.get_id()
                session["_fresh"] = True
        return client

    def csrf_token(self) -> str:
        """A valid CSRF token for the session (signed as Flask-WTF signs its own)."""
        secret = self.app.config.get("WTF_CSRF_SECRET_KEY") or self.app.secret_key
        return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(self.csrf_raw)

    def socket(self, role: str) -> CommittingSocketClient:
        """The role's Socket.IO client, connected again when the server dropped it."""
        http = self.client(role)
        sock = self.sockets.get(role)
        if sock is None or not sock.is_connected():
            db.session.commit()
            sock = CommittingSocketClient(self.app, socketio, flask_test_client=http)
            self.sockets[role] = sock
        return sock

    def close(self) -> None:
        for sock in self.sockets.values():
            if sock.is_connected():
                with contextlib.suppress(Exception):  # the server may have dropped it
                    sock.disconnect()
        self.sockets.clear()

    # sending

    def send_http(self, target: RouteTarget, call: HttpCall) -> None:
        STATS.http_examples += 1
        client = self.client(call.role)
        headers = {"Accept": call.accept} if call.accept else {}
        if call.method != "GET":
            # CSRF stays on, as in production (views read form.csrf_token): a valid token,
            # except in the calls that try a forged one.
            headers["X-CSRFToken"] = call.csrf if call.csrf is not None else self.csrf_token()
        self.trap.records.clear()
        try:
            response = client.open(
                call.path,
                method=call.method,
                query_string=call.query.decode("ascii") or None,
                data=call.body,
                content_type=call.content_type,
                headers=headers,
            )
        except Exception as exc:  # a failure the app's own handlers let through
            db.session.rollback()
            signature, summary = exception_summary(exc)
            self.record(target.id, "exception", signature, summary, call.describe())
            return
        logged = bool(self.trap.records)
        self.check_logs(target.id, call.describe())
        status = response.status_code
        STATS.statuses.setdefault(target.id, {}).setdefault(str(status), 0)
        STATS.statuses[target.id][str(status)] += 1
        if status >= 500 and not logged:  # (a logged one is already kept, with its cause)
            self.record(target.id, "5xx", f"status {status}", f"status {status}", call.describe())
        elif 400 <= status < 500 and target.is_api:
            body = response.get_json(silent=True)
            if not (
                isinstance(body, dict)
                and body.get("ok") is False
                and isinstance(body.get("message"), str)
                and body["message"].strip()
            ):
                self.record(
                    target.id,
                    "bad api refusal",
                    f"{status} without {{ok: false, message}}",
                    f"status {status}, body {_short(response.get_data(as_text=True))}",
                    call.describe(),
                )
        response.close()

    def send_socket(self, target: EventTarget, call: SocketCall) -> None:
        STATS.socket_examples += 1
        sock = self.socket(call.role)
        self.trap.records.clear()
        try:
            if call.raw is not None:
                ack = emit_raw(sock, call.event, call.raw)
            else:
                ack = sock.emit(call.event, *call.args, callback=True)
        except Exception as exc:
            db.session.rollback()
            signature, summary = exception_summary(exc)
            self.record(
                target.name,
                "exception",
                signature,
                summary + " (a real server logs it with a traceback and sends no ack)",
                call.describe(),
            )
            self.sockets.pop(call.role, None)
            return
        self.check_logs(target.name, call.describe())
        self.check_ack(target.name, ack, call.describe())

    def record_exception(self, target: str, exc: BaseException, example: str) -> None:
        signature, summary = exception_summary(exc)
        self.record(target, "exception", signature, summary, example)

    def check_ack(self, target: str, ack: Any, example: str) -> None:
        if not isinstance(ack, dict):
            self.record(
                target, "no ack", f"ack {type(ack).__name__}", f"ack {_short(ack)}", example
            )
            return
        if ack.get("ok") is True:
            return
        message, error = ack.get("message"), ack.get("error")
        if ack.get("ok") is not False or not isinstance(message, str) or not message.strip():
            self.record(target, "bad ack", "ack without ok/message", _short(ack), example)
        elif error in {"server_error", "unavailable"}:
            self.record(target, error, f"error={error}", _short(ack), example)

    def check_logs(self, target: str, example: str) -> None:
        for record in list(self.trap.records):
            if record.exc_info and record.exc_info[1] is not None:
                signature, summary = exception_summary(record.exc_info[1])
                summary = f"{record.name}: {record.getMessage()[:80]} — {summary}"
            else:
                signature = f"{record.name}: {record.getMessage()[:80]}"
                summary = f"{record.levelname} {record.name}: {_short(record.getMessage(), 200)}"
            self.record(target, "error log", signature, summary, example)
        self.trap.records.clear()

    def record(self, target: str, kind: str, signature: str, summary: str, example: str) -> None:
        key = (target, kind, signature)
        if key in self.findings:
            self.findings[key].count += 1
            return
        finding = Finding(target, kind, signature, summary, example)
        self.findings[key] = finding
        STATS.findings.append(finding)

    def findings_for(self, target: str) -> list[Finding]:
        return [f for f in self.findings.values() if f.target == target]


def emit_raw(sock: CommittingSocketClient, event: str, payload_json: str) -> Any:
    """Send an event whose payload is JSON text written by hand (deeper than json.dumps
    goes), as a client would over the wire; return its acknowledgement."""
    db.session.commit()
    sock.callback_counter += 1
    packet = f'2{sock.callback_counter}["{event}",{payload_json}]'
    sock.socketio.server._handle_eio_message(sock.eio_sid, packet)
    ack, sock.acks = sock.acks, None
    if ack is None:
        return None
    return ack["args"][0] if len(ack["args"]) == 1 else ack["args"]


# Building calls from targets ------------------------------------------------------------------

ID_WORDS = {
    "after",
    "assignee",
    "before",
    "building",
    "collected_by",
    "dwelling",
    "members",
    "neighbour",
    "page",
    "present",
    "requester",
    "resident",
    "room",
}
DAY_WORDS = {"until", "since", "day", "repeat_until", "until_day", "happened_on", "date"}
TIME_WORDS = {"start", "end", "check_time", "until_time", "opens_at", "closes_at", "time"}
NUMBER_WORDS = {
    "capacity",
    "weeks",
    "days",
    "max_minutes",
    "guests",
    "minutes",
    "rating",
    "duration_ms",
    "floor",
    "birth_year",
    "text_size",
    "size",
}
SHARP_ID_TEXT = [
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "1e300",
    "١٢",
    "%00",
    "%ff%fe",
    "%ED%A0%80",
    "abc",
    "1.5",
    "+1",
]


class Calls:
    """Strategies of calls for the targets of one world."""

    def __init__(self, world: FuzzWorld, doc_words: set[str]) -> None:
        self.world = world
        self.doc_words = sorted(doc_words)
        self.files = fs.file_payloads()
        self.today = date.today()

    # values

    def real_id(self, name: str) -> st.SearchStrategy[int]:
        return st.sampled_from(self.world.ids_for(name))

    def words(self, target: RouteTarget | None) -> st.SearchStrategy[str]:
        pool = sorted(target.literals) if target is not None else []
        return st.one_of(st.sampled_from(pool or ["x"]), st.sampled_from(self.doc_words))

    def value_for(self, name: str, target: RouteTarget | None) -> st.SearchStrategy[str]:
        """A plausible value for a field or key, by its name, or a hostile one."""
        hostile = fs.hostile_scalar_text()
        if name in ID_WORDS or name.endswith("_id"):
            plausible = self.real_id(name).map(str)
            if name == "building":
                plausible = st.one_of(plausible, st.just("all"))
            return st.one_of(plausible, plausible, fs.hostile_number_text(), hostile)
        if name in DAY_WORDS or "day" in name or "date" in name:
            return st.one_of(fs.plausible_day(self.today), fs.hostile_date_text(), hostile)
        if name in TIME_WORDS or name.endswith("_at") or "time" in name:
            return st.one_of(fs.plausible_time(), st.sampled_from(fs.ODD_TIMES), hostile)
        if name in NUMBER_WORDS:
            small = st.integers(min_value=0, max_value=60).map(str)
            return st.one_of(small, st.sampled_from(["4", "12", "26", "52", "thumb"]), hostile)
        if name == "client_id":
            return st.one_of(fs.client_ids(), hostile)
        if name == "emoji":
            return st.one_of(st.sampled_from(fs.REACTIONS), hostile)
        return st.one_of(fs.plausible_words(), self.words(target), hostile)

    def field_value(self, spec: FieldSpec, target: RouteTarget) -> st.SearchStrategy[Any]:
        """A value for a WTForms field, by its class (files as (bytes, name) tuples)."""
        kind = spec.kind
        if kind in {"FileField", "MultipleFileField"}:
            return self.file_value()
        if kind == "BooleanField":
            return st.one_of(st.sampled_from(["y", "1", "on", "", "false"]), fs.hostile_text())
        if kind == "DateField":
            return self.value_for("day", target)
        if kind == "TimeField":
            return self.value_for("time", target)
        if kind in {"DateTimeLocalField", "DateTimeField"}:
            return st.one_of(
                st.tuples(fs.plausible_day(self.today), fs.plausible_time()).map("T".join),
                fs.hostile_date_text(),
            )
        if kind in {"IntegerField", "DecimalField", "FloatField", "IntegerRangeField"}:
            return st.one_of(
                st.integers(min_value=0, max_value=100).map(str), fs.hostile_number_text()
            )
        if kind == "EmailField":
            return st.one_of(st.just("staff1@example.org"), fs.hostile_text())
        if kind == "PasswordField":
            return st.one_of(st.sampled_from([RESIDENT_PIN, STAFF_PASSWORD]), fs.hostile_text())
        if spec.choices:
            return st.one_of(
                st.sampled_from(spec.choices),
                st.sampled_from(spec.choices),
                self.value_for(spec.name, target),
            )
        return self.value_for(spec.name, target)

    def file_value(self) -> st.SearchStrategy[tuple[bytes, str]]:
        return st.tuples(
            st.sampled_from([data for _, data in self.files]), st.sampled_from(fs.FILE_NAMES)
        )

    def path_value(self, name: str, converter: str, target: RouteTarget) -> st.SearchStrategy[str]:
        """A %-encoded path segment for a rule's argument."""
        if converter in {"id", "bigid", "integer"}:
            real = self.real_id(name).map(str)
            return st.one_of(real, real, real, st.sampled_from(SHARP_ID_TEXT))
        pool = sorted(target.literals | set(self.world.tokens)) or ["x"]
        plain = st.one_of(st.sampled_from(pool), st.sampled_from(self.doc_words))
        hostile = fs.hostile_scalar_text().filter(bool).map(fs.percent)
        if converter == "path":
            hostile = st.one_of(hostile, st.sampled_from(["../../etc/passwd", "%2e%2e/%2e%2e/x"]))
        return st.one_of(plain.map(fs.percent), plain.map(fs.percent), hostile)

    # whole calls

    def http_calls(self, target: RouteTarget) -> st.SearchStrategy[HttpCall]:
        @st.composite
        def build(draw: st.DrawFn) -> HttpCall:
            role = draw(st.sampled_from(ROLES))
            path = target.rule
            for name, converter in target.arguments.items():
                value = draw(self.path_value(name, converter, target))
                path = _fill(path, name, value)
            query_keys = sorted(target.query_keys)
            extra = draw(st.lists(st.sampled_from(sorted(QUERY_WORDS)), max_size=2))
            pairs: list[tuple[str, str]] = []
            for key in [*query_keys, *extra]:
                if draw(st.booleans()):
                    pairs.append((key, draw(self.value_for(key, target))))
            if draw(st.integers(0, 9)) == 0:
                pairs.append((draw(fs.hostile_text()), draw(fs.hostile_scalar_text())))
            call = HttpCall(role, target.method, path, query=fs.urlencoded(pairs))
            call.accept = draw(st.sampled_from([None, None, "application/json", "text/html"]))
            if target.method != "GET":
                self._draw_body(draw, target, call)
                if draw(st.integers(0, 19)) == 0:
                    call.csrf = draw(fs.hostile_text().map(_header_safe))
            return call

        return build()

    def _draw_body(self, draw: st.DrawFn, target: RouteTarget, call: HttpCall) -> None:
        if target.reads_json:
            shape = draw(st.sampled_from(["json", "json", "json", "json", "raw", "form"]))
        else:
            shape = draw(st.sampled_from(["form"] * 7 + ["raw", "json"]))
        if shape == "raw":
            call.body = draw(st.sampled_from(fs.RAW_BODIES))
            call.content_type = draw(
                st.sampled_from(
                    [
                        "application/x-www-form-urlencoded",
                        "application/json",
                        "multipart/form-data; boundary=x",
                        "text/plain",
                    ]
                )
            )
            return
        if shape == "json":
            body = draw(self.json_body(target))
            call.body = body if isinstance(body, bytes) else _dumps(body)
            call.content_type = "application/json"
            return
        pairs: list[tuple[str, Any]] = []
        for spec in target.fields:
            if draw(st.integers(0, 5)) == 0:
                continue  # sometimes a field is missing
            repeat = 2 if draw(st.integers(0, 9)) == 0 else 1
            pairs.extend((spec.name, draw(self.field_value(spec, target))) for _ in range(repeat))
        for key in sorted(target.form_keys):
            if draw(st.booleans()):
                pairs.append((key, draw(self.value_for(key, target))))
        for key in sorted(target.file_keys):
            if draw(st.integers(0, 3)) > 0:
                pairs.append((key, draw(self.file_value())))
        for _ in range(draw(st.integers(0, 2))):
            pairs.append((draw(fs.hostile_text()), draw(fs.hostile_scalar_text())))
        _set_form(call, pairs)

    def json_body(self, target: RouteTarget) -> st.SearchStrategy[Any]:
        keys = sorted(target.json_keys)
        values = {k: st.one_of(self.json_plausible(k), fs.json_values()) for k in keys}
        document = st.fixed_dictionaries({}, optional=values)
        return st.one_of(
            document,
            document,
            document,
            fs.json_values(),
            st.sampled_from(["list", "dict"]).map(
                lambda kind: fs.deep_json_text(5_000, kind).encode()
            ),
        )

    def json_plausible(self, key: str) -> st.SearchStrategy[Any]:
        if key.endswith("_id") and key != "client_id":
            return self.real_id(key)
        if key == "client_id":
            return fs.client_ids()
        if key == "kind":
            return st.sampled_from(["text", "photo", "voice"])
        if key == "body":
            return fs.plausible_words()
        if key == "emoji":
            return st.sampled_from(fs.REACTIONS)
        if key == "conversations":
            return st.dictionaries(
                st.one_of(self.real_id("conversation_id").map(str), fs.hostile_text()),
                st.one_of(self.real_id("message_id"), fs.json_scalars()),
                max_size=4,
            )
        return fs.json_values()

    def socket_calls(self, target: EventTarget) -> st.SearchStrategy[SocketCall]:
        keys = sorted(target.keys)
        values = {k: st.one_of(self.json_plausible(k), fs.json_values()) for k in keys}
        document = st.fixed_dictionaries({}, optional=values)

        @st.composite
        def build(draw: st.DrawFn) -> SocketCall:
            role = draw(st.sampled_from(ROLES[:-1]))
            shape = draw(st.sampled_from(["dict"] * 6 + ["value", "none", "two", "deep"]))
            if shape == "deep":
                kind = draw(st.sampled_from(["list", "dict"]))
                return SocketCall(role, target.name, raw=fs.deep_json_text(5_000, kind))
            if shape == "value":
                return SocketCall(role, target.name, (draw(fs.json_values()),))
            if shape == "none":
                return SocketCall(role, target.name, ())
            payload = draw(document)
            for _ in range(draw(st.integers(0, 1))):
                payload[draw(fs.hostile_text())] = draw(fs.json_values())
            if shape == "two":
                return SocketCall(role, target.name, (payload, draw(fs.json_values())))
            return SocketCall(role, target.name, (payload,))

        return build()

    # the fixed battery of sharp inputs, sent before the random examples

    def battery(self, target: RouteTarget) -> Iterator[HttpCall]:
        """Each sharp class once as a resident and once as a staff member (the staff role
        turns with the class, so that each role's pages get their share)."""
        writes = target.method != "GET"
        takes_files = target.file_keys or any("File" in f.kind for f in target.fields)
        for turn, (label, value, aims) in enumerate(BATTERY):
            staff = (
                STAFF_TURNS if label in EVERY_ROLE else STAFF_TURNS[turn % len(STAFF_TURNS) :][:1]
            )
            for role in ("resident", *staff):
                yield self._sharp_call(target, role, label, value, aims, turn)
        for turn, role in enumerate(("resident", *STAFF_TURNS)):
            if writes and takes_files:
                for label in ("png bomb 20000x20000", "gif bomb 65535x65535"):
                    yield self._file_call(target, role, label)
            if writes:
                label, text = JSON_BODIES[turn % len(JSON_BODIES)]
                yield self._json_call(target, role, text.encode(), label)
                label, text = JSON_BODIES[(turn + 2) % len(JSON_BODIES)]
                yield self._json_call(target, role, text.encode(), label)
            if target.reads_json:
                for label, value in JSON_BATTERY:
                    body = _dumps({k: value for k in sorted(target.json_keys)})
                    yield self._json_call(target, role, body, f"JSON {label}")

    def _json_call(self, target: RouteTarget, role: str, body: bytes, label: str) -> HttpCall:
        return HttpCall(
            role,
            target.method,
            self._real_path(target),
            body=body,
            content_type="application/json",
            accept="application/json",
            label=label,
        )

    def _real_path(self, target: RouteTarget, sharp: str | None = None, turn: int = 0) -> str:
        """The rule with real ids and the view's own words (the `turn`-th of each, so that
        a battery visits several), or with a sharp value."""
        path = target.rule
        for name, converter in target.arguments.items():
            if converter in {"id", "bigid", "integer"}:
                ids = self.world.ids_for(name)
                value = sharp if sharp is not None else str(ids[turn % len(ids)])
            else:
                words = [w for w in sorted(target.literals) if w.islower() and "." not in w]
                words += self.world.tokens if "token" in name else []
                word = (words or ["x"])[turn % len(words or ["x"])]
                value = fs.percent(sharp if sharp is not None else word)
            path = _fill(path, name, value)
        return path

    def _sharp_call(
        self, target: RouteTarget, role: str, label: str, value: str, aims: set[str], turn: int
    ) -> HttpCall:
        """The sharp value in every field and key of the categories it aims at (ids,
        numbers, text or dates), the others plausible, so that it reaches the code behind
        the form's first checks."""
        path_value = fs.percent(value) if "URL" in aims else None
        path = self._real_path(target, path_value, turn)
        call = HttpCall(role, target.method, path, label=label)
        keys = sorted(target.query_keys | {"page", "before", "after", "until"})
        call.query = fs.urlencoded([(k, self._pick(k, "", (), value, aims)) for k in keys])
        if target.method != "GET":
            pairs: list[tuple[str, Any]] = []
            for spec in target.fields:
                if "File" not in spec.kind:
                    pairs.append(
                        (spec.name, self._pick(spec.name, spec.kind, spec.choices, value, aims))
                    )
            pairs.extend((k, self._pick(k, "", (), value, aims)) for k in sorted(target.form_keys))
            _set_form(call, pairs)
        return call

    def _pick(
        self, name: str, kind: str, choices: tuple[str, ...], value: str, aims: set[str]
    ) -> str:
        sort = category(name, kind, choices)
        return value if sort in aims else self._plain(name, kind, choices)

    def _file_call(self, target: RouteTarget, role: str, label: str) -> HttpCall:
        data = dict(self.files)[label]
        call = HttpCall(role, target.method, self._real_path(target), label=label)
        pairs: list[tuple[str, Any]] = []
        for spec in target.fields:
            if "File" in spec.kind:
                pairs.append((spec.name, (data, "photo.png")))
            else:
                pairs.append((spec.name, self._plain(spec.name, spec.kind, spec.choices)))
        pairs.extend((k, (data, "photo.png")) for k in sorted(target.file_keys))
        pairs.extend(
            (k, "photo" if k == "kind" else self._plain(k, "", ())) for k in target.form_keys
        )
        _set_form(call, pairs)
        return call

    def _plain(self, name: str, kind: str, choices: tuple[str, ...]) -> str:
        """One plausible value (the first a person would pick)."""
        sort = category(name, kind, choices)
        if sort == "choice":
            return choices[0]
        if sort == "bool":
            return "y"
        if sort == "day":
            return (self.today + timedelta(days=2)).isoformat()
        if sort == "time":
            return "11:00" if name.startswith(("end", "close")) else "10:00"
        if sort == "datetime":
            return f"{(self.today + timedelta(days=2)).isoformat()}T10:00"
        if sort == "id":
            return str(self.world.ids_for(name)[0])
        if sort == "number":
            return "12" if name == "weeks" else "2"
        if sort == "secret":
            return RESIDENT_PIN if "pin" in name or name == "confirm" else STAFF_PASSWORD
        return "Bonjour"

    def socket_battery(self, target: EventTarget) -> Iterator[SocketCall]:
        keys = sorted(target.keys)
        for role in ("resident", "coordinator"):
            for label, value in JSON_BATTERY:
                yield SocketCall(role, target.name, ({k: value for k in keys},), label=label)
            yield SocketCall(role, target.name, ({}, {}), label="two arguments")
            for label, value in (
                ("no payload", None),
                ("null", "null"),
                ("a string", '"x"'),
                ("a huge number", "1" + "0" * 400),
                ("a list", "[1,2,3]"),
            ):
                if value is None:
                    yield SocketCall(role, target.name, (), label=label)
                else:
                    yield SocketCall(role, target.name, raw=value, label=label)
            for kind in ("list", "dict"):
                yield SocketCall(
                    role,
                    target.name,
                    raw=fs.deep_json_text(5_000, kind),
                    label=f"nested 5000 deep ({kind})",
                )


def category(name: str, kind: str, choices: tuple[str, ...]) -> str:
    """What sort of value a field or key holds: choice, bool, day, time, datetime, id,
    number, secret, file or text."""
    if "File" in kind:
        return "file"
    if choices:
        return "choice"
    if kind == "BooleanField":
        return "bool"
    if kind == "PasswordField":
        return "secret"
    if kind in {"DateTimeLocalField", "DateTimeField"}:
        return "datetime"
    if kind == "DateField" or name in DAY_WORDS or "day" in name or "date" in name:
        return "day"
    if kind == "TimeField" or name in TIME_WORDS or "time" in name or name.endswith("_at"):
        return "time"
    if name in ID_WORDS or (name.endswith("_id") and name != "client_id"):
        return "id"
    if kind in {"IntegerField", "DecimalField", "FloatField"} or name in NUMBER_WORDS:
        return "number"
    return "text"


# Each class of sharp input, with the sorts of fields and keys it is put in (the others
# get a plausible value).
NUMBERS = {"id", "number"}
TEXT = {"text", "secret"}
DATES = {"day", "time", "datetime"}
BATTERY: list[tuple[str, str, set[str]]] = [
    ("huge id in the URL", "99999999999999999999999", {"URL"}),
    ("id past int32 in the URL", "2147483648", {"URL"}),
    ("huge id", "99999999999999999999999", NUMBERS),
    ("id past int32", "2147483648", NUMBERS),
    ("id past int64", "9223372036854775808", NUMBERS),
    ("negative", "-1", NUMBERS),
    ("1e300", "1e300", NUMBERS),
    ("NUL", "a\x00b", TEXT),
    ("lone surrogate", "\ud800", TEXT),
    ("RTL and emoji", "\u202e👍\u200fعربي", TEXT),
    ("10,000 characters", "A" * 10_000, TEXT),
    ("date 9999-12-31", "9999-12-31", DATES),
    ("date 0000-01-01", "0000-01-01", DATES),
    ("date 2026-02-30", "2026-02-30", DATES),
    ("time 24:00", "24:00", DATES),
    ("empty", "", NUMBERS | TEXT | DATES | {"choice"}),
    ("NUL everywhere", "\x00", NUMBERS | TEXT | DATES | {"choice", "bool"}),
]
# JSON bodies sent to every route that takes a write: forms read a JSON body too.
JSON_BODIES = [
    ("JSON nested 5000 deep (list)", fs.deep_json_text(5_000, "list")),
    ("JSON nested 5000 deep (object)", fs.deep_json_text(5_000, "dict")),
    ("JSON list", '[1, "two", [3]]'),
    ("JSON number", "5"),
]
EVERY_ROLE = {"huge id"}  # the first suspect: sent as every staff role too
JSON_BATTERY: list[tuple[str, Any]] = [
    ("id 10**30", 10**30),
    ("id 2**63", 2**63),
    ("1e300", 1e300),
    ("-1", -1),
    ("true", True),
    ("NUL", "a\x00b"),
    ("lone surrogate", "\ud800"),
    ("10,000 characters", "A" * 10_000),
    ("a list", [1, [2, [3]]]),
    ("an object", {"id": 1}),
]


def _fill(rule: str, name: str, value: str) -> str:
    """Put a value in the place of `<converter:name>` or `<name>`."""
    match = re.search(r"<(?:[^:<>]+:)?" + re.escape(name) + ">", rule)
    assert match, (rule, name)
    return rule[: match.start()] + value + rule[match.end() :]


def _dumps(value: Any) -> bytes:
    """JSON text for any value, lone surrogates kept as \\ud800 escapes."""
    return json.dumps(value).encode("ascii")


def _set_form(call: HttpCall, pairs: list[tuple[str, Any]]) -> None:
    """A urlencoded body, or multipart when a file is among the fields."""
    if any(isinstance(v, tuple) for _, v in pairs):
        form: MultiDict[str, Any] = MultiDict()
        for key, value in pairs:
            if isinstance(value, tuple):
                data, name = value
                form.add(_clean(key), (BytesIO(data), _clean(name)))
            else:
                form.add(_clean(key), _clean(value))
        call.body = form
        call.content_type = None  # the test client writes the multipart boundary
    else:
        call.body = fs.urlencoded(pairs)
        call.content_type = "application/x-www-form-urlencoded"


def _header_safe(value: str) -> str:
    """What an HTTP header can carry: printable ASCII (anything else never arrives)."""
    return "".join(char for char in value if " " <= char <= "~")


def _clean(value: str) -> str:
    """Multipart parts are UTF-8: a lone surrogate travels as the bytes a browser would
    send for it (U+FFFD)."""
    return value.encode("utf-8", "replace").decode("utf-8")


def run_examples(strategy: st.SearchStrategy[Any], send: Callable[[Any], None], key: str) -> None:
    """Send `BV_FUZZ_EXAMPLES` examples drawn from a strategy, from a seed fixed by the
    target (and BV_FUZZ_SEED): the same examples on every run, different per target."""

    @fuzz_settings()
    @seed(zlib.crc32(f"{key}:{os.environ.get('BV_FUZZ_SEED', '0')}".encode()))
    @given(strategy)
    def run(value: Any) -> None:
        send(value)

    run()
