"""bench/messaging.py counts truthfully: a phase is done only when all its sends arrived,
a late delivery is not a loss, and a refused send is not expected to arrive."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parents[1] / "bench"


def bench_messaging() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_messaging", BENCH / "messaging.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_messaging"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


def run_alone(scenario: Callable[[], Coroutine[Any, Any, dict[str, int]]]) -> dict[str, int]:
    """Run the scenario on its own event loop, in a thread of its own: a browser test of the
    same process may have left Playwright's loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(scenario())).result(timeout=30)


def test_a_phase_is_not_done_while_sends_are_still_to_come():
    async def scenario() -> dict[str, int]:
        tally = bench_messaging().Tally()
        tally.expect("a", {1})
        tally.receive(1, "a")  # every send so far arrived, but the phase goes on
        assert not tally.done.is_set()
        tally.expect("b", {2})

        async def deliver_late() -> None:
            await asyncio.sleep(0.2)
            tally.receive(2, "b")

        late = asyncio.create_task(deliver_late())
        await tally.wait(timeout=0.05, grace=2)
        await late
        return tally.summary()

    assert run_alone(scenario) == {
        "expected": 2,
        "delivered": 2,
        "late": 1,
        "lost": 0,
        "duplicates": 0,
        "refused": 0,
    }


def test_a_refused_send_is_not_counted_as_lost_and_a_missing_one_is():
    async def scenario() -> dict[str, int]:
        tally = bench_messaging().Tally()
        tally.expect("a", {1, 2})
        tally.expect("b", {3})
        tally.refuse("a")
        await tally.wait(timeout=0.05, grace=0.05)
        return tally.summary()

    summary = run_alone(scenario)
    assert summary["refused"] == 1 and summary["lost"] == 1 and summary["expected"] == 1
