"""Backoff, rate limits and the retry loop against a real failing HTTP server."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from alerts.dispatch.receivers import WebhookReceiver
from alerts.dispatch.retry import TokenBucket, backoff_delay, with_retries
from alerts.dispatch.routing import RetryPolicy, WebhookReceiverConfig, parse_routing
from tests.alerts.dispatch_fixtures import make_alert
from tests.alerts.dispatch_servers import FailurePlan, HttpSink


@given(
    attempt=st.integers(1, 40),
    base=st.floats(0.01, 5),
    cap=st.floats(0.1, 120),
    seed=st.integers(0, 2**32),
)
def test_backoff_is_exponential_capped_and_jittered(attempt: int, base: float, cap: float, seed: int) -> None:
    policy = RetryPolicy(base_delay_s=base, max_delay_s=cap)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delay = backoff_delay(attempt, policy, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


def test_backoff_jitter_spreads_dispatchers() -> None:
    policy = RetryPolicy(base_delay_s=1, max_delay_s=60)
    delays = {round(backoff_delay(4, policy, random.Random(seed)), 6) for seed in range(50)}
    assert len(delays) > 40


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_token_bucket_allows_burst_then_rate() -> None:
    t = FakeTime()
    bucket = TokenBucket(rate=10.0, burst=3, clock=t.clock, sleep=t.sleep)

    async def take(n: int) -> list[float]:
        return [await bucket.acquire() for _ in range(n)]

    waits = asyncio.run(take(13))
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(abs(w - 0.1) < 1e-9 for w in waits[3:])
    assert abs(t.now - 1.0) < 1e-9  # 10 beyond the burst at 10/s


def test_unlimited_bucket_never_waits() -> None:
    assert asyncio.run(TokenBucket(None, 1).acquire()) == 0.0


def _receiver(tmp_path: Path, url: str) -> WebhookReceiver:
    text = f'[receivers.r]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "S"\n[default_route]\nreceivers = ["r"]\n'
    rc = parse_routing(text, tmp_path / "r.toml", env={"S": "x"}).receivers["r"]
    assert isinstance(rc, WebhookReceiverConfig)
    return WebhookReceiver("retry-test", rc)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


FAST = RetryPolicy(max_attempts=6, base_delay_s=0.02, max_delay_s=0.1, max_elapsed_s=10)


def test_retries_until_the_server_recovers(tmp_path: Path) -> None:
    sink = HttpSink(fail=FailurePlan(first_n=3, status=503)).start()
    before = _value("finsentry_delivery_retries_total", receiver="retry-test")
    failed_before = _value("finsentry_deliveries_total", receiver="retry-test", outcome="failed")
    try:
        receiver = _receiver(tmp_path, sink.url("/h"))
        alert = make_alert()
        result = asyncio.run(with_retries("retry-test", lambda: receiver.send(alert), FAST, TokenBucket(None, 1)))
    finally:
        sink.stop()
    assert result.ok and result.attempts == 4
    assert [s.status for s in sink.seen] == [503, 503, 503, 202]
    assert _value("finsentry_delivery_retries_total", receiver="retry-test") - before == 3
    assert _value("finsentry_deliveries_total", receiver="retry-test", outcome="failed") - failed_before == 3


def test_budget_ends_in_failure_with_the_last_error(tmp_path: Path) -> None:
    sink = HttpSink(fail=FailurePlan(always_status=502)).start()
    try:
        receiver = _receiver(tmp_path, sink.url("/h"))
        policy = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02, max_elapsed_s=10)
        result = asyncio.run(
            with_retries("retry-test", lambda: receiver.send(make_alert()), policy, TokenBucket(None, 1))
        )
    finally:
        sink.stop()
    assert not result.ok and result.attempts == 3 and len(sink.seen) == 3
    assert result.error is not None and "502" in str(result.error)


def test_permanent_error_is_not_retried(tmp_path: Path) -> None:
    sink = HttpSink(fail=FailurePlan(always_status=422)).start()
    try:
        receiver = _receiver(tmp_path, sink.url("/h"))
        result = asyncio.run(
            with_retries("retry-test", lambda: receiver.send(make_alert()), FAST, TokenBucket(None, 1))
        )
    finally:
        sink.stop()
    assert not result.ok and result.attempts == 1 and len(sink.seen) == 1
