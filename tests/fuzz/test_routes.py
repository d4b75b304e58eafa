"""Every URL rule and method of the app, as every role, with hostile and odd input: the
answer is a success, a redirect or a 4xx (an API refusal says `{ok: false, message}`),
never a 5xx, and nothing is logged at ERROR level."""

from __future__ import annotations

import os

import pytest

from tests.fuzz.discovery import RouteTarget, discovered
from tests.fuzz.harness import STATS, Calls, Fuzzer, run_examples
from tests.fuzz.report import fail_on

pytestmark = pytest.mark.fuzz

ROUTES, _ = discovered()


@pytest.mark.parametrize("target", ROUTES, ids=[t.id for t in ROUTES])
def test_route_answers_calmly(fuzz: Fuzzer, calls: Calls, target: RouteTarget) -> None:
    STATS.routes.add(target.id)
    if os.environ.get("BV_FUZZ_BATTERY", "1") != "0":
        for call in calls.battery(target):
            fuzz.send_http(target, call)
    run_examples(calls.http_calls(target), lambda call: fuzz.send_http(target, call), target.id)
    fail_on(fuzz.findings_for(target.id))
