"""bench/soak.py judges recovery truthfully: a fault has settled only once delivery p99 is
back under 1 s for three windows in a row, a lost delivery never counts as fast, and its
simulated tablets back off as the real one does."""

from __future__ import annotations

import math
import random

import pytest

soak = pytest.importorskip("bench.soak")


def _steady(start: float, end: float, latency_ms: float) -> list[tuple[float, float]]:
    """Ten sends a second from `start` to `end`, each delivered after `latency_ms`."""
    return [(start + n / 10, latency_ms) for n in range(int((end - start) * 10))]


def test_a_fault_settles_when_three_windows_in_a_row_are_back_under_a_second():
    deliveries = _steady(0, 12, 4000) + _steady(12, 60, 20)
    assert soak.settle_time(deliveries, end=10, horizon=60) == 2.0


def test_one_slow_window_after_recovery_moves_the_settle_time_past_it():
    deliveries = _steady(0, 12, 4000) + _steady(12, 20, 20) + _steady(20, 22, 3000)
    deliveries += _steady(22, 60, 20)
    assert soak.settle_time(deliveries, end=10, horizon=60) == 12.0


def test_a_lost_delivery_keeps_the_system_unsettled():
    deliveries = _steady(0, 60, 20)
    lost = [(sent, math.inf) for sent in range(10, 60)]  # one lost every second, for good
    assert soak.settle_time(deliveries + lost, end=10, horizon=60) is None


def test_a_system_that_never_recovers_has_no_settle_time():
    assert soak.settle_time(_steady(0, 60, 2000), end=10, horizon=60) is None


def test_retries_wait_the_servers_hint_then_a_jittered_exponential_backoff(monkeypatch):
    monkeypatch.setattr(random, "random", lambda: 0.999)
    assert soak.retry_delay(1, retry_after=2) == pytest.approx(2 + 0.999)
    assert soak.retry_delay(4, retry_after=0) == pytest.approx(0.999 * 8)
    assert soak.retry_delay(30, retry_after=0) == pytest.approx(0.999 * soak.RETRY_CAP_S)
    monkeypatch.setattr(random, "random", lambda: 0.0)
    assert soak.retry_delay(6, retry_after=2) == 2  # full jitter: down to the hint itself
