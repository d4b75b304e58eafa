"""The fuzz suite's closing lines: how many endpoints and events it covered, how many
examples it sent, and what it found, merged across pytest-xdist workers.

Loaded by tests/fuzz/conftest.py. pytest-xdist's controller process does not read that
conftest when the suite runs as a whole (`pytest -n 2`): each worker then prints its own
summary to the terminal's standard error when it ends. Listing this module in
`pytest_plugins` of tests/conftest.py gives one merged summary too (the hooks run once
even when both register them).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.harness import STATS

_KEY = "bv_fuzz"
_MERGED: dict[str, dict[str, Any]] = {}  # worker id -> its figures
_DONE: set[str] = set()  # hooks may be registered twice (conftest and pytest_plugins)


def _lines(parts: list[dict[str, Any]]) -> list[str]:
    routes = sorted({r for p in parts for r in p["routes"]})
    events = sorted({e for p in parts for e in p["events"]})
    if not routes and not events:
        return []
    http = sum(p["http_examples"] for p in parts)
    sockets = sum(p["socket_examples"] for p in parts)
    findings = [f for p in parts for f in p["findings"]]
    rules = {r.split(" ", 1)[1] for r in routes}
    databases = "/".join(sorted({p.get("database") or "?" for p in parts}))
    lines = [
        f"fuzz ({databases}): {len(routes)} route methods ({len(rules)} URL rules) and "
        f"{len(events)} Socket.IO events covered; {http + sockets} calls sent "
        f"({http} HTTP, {sockets} socket); {len(findings)} distinct findings"
    ]
    by_kind: dict[str, int] = {}
    for finding in findings:
        by_kind[finding["kind"]] = by_kind.get(finding["kind"], 0) + 1
    if by_kind:
        lines.append("fuzz findings by kind: " + ", ".join(f"{k}: {n}" for k, n in by_kind.items()))
    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its figures to the controller (and says them itself, in case the
    controller does not load this plugin)."""
    output = getattr(session.config, "workeroutput", None)
    if output is None or "sessionfinish" in _DONE:
        return
    _DONE.add("sessionfinish")
    data = STATS.as_json()
    output[_KEY] = json.dumps(data)
    worker = getattr(session.config, "workerinput", {}).get("workerid", "worker")
    for line in _lines([data]):
        sys.__stderr__.write(f"\n[{worker}] {line}\n")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The controller collects each worker's figures."""
    raw = getattr(node, "workeroutput", {}).get(_KEY)
    if raw:
        _MERGED[getattr(node, "gateway", node).id] = json.loads(raw)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if "summary" in _DONE:
        return
    _DONE.add("summary")
    parts = list(_MERGED.values()) or [STATS.as_json()]
    path = os.environ.get("BV_FUZZ_STATUSES")
    if path:  # what each target answered, to see which ones the fuzz gets past validation
        statuses = {t: s for p in parts for t, s in p.get("statuses", {}).items()}
        Path(path).write_text(json.dumps(statuses, indent=1, sort_keys=True))
    lines = _lines(parts)
    if lines:
        terminalreporter.section("fuzz summary")
        for line in lines:
            terminalreporter.write_line(line)
