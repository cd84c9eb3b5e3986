"""Retries with exponential backoff and jitter, and a token bucket per receiver.

A retryable failure (connection error, timeout, 429, 5xx, SMTP 4xx) waits
`d/2 + uniform(0, d/2)` with `d = min(max_delay, base * 2**(n-1))` before try n+1: the jitter
spreads a herd of dispatchers, the floor of d/2 keeps the backoff meaningful. A 429's
Retry-After is honoured when it asks for longer. The budget ends at `max_attempts` tries or
when the next try would start after `max_elapsed_s`; the caller then parks the alert.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from alerts.dispatch import metrics
from alerts.dispatch.receivers.base import DeliveryError
from alerts.dispatch.routing import RetryPolicy

log = logging.getLogger(__name__)


class TokenBucket:
    """At most `rate` sends per second on average, `burst` at once."""

    def __init__(
        self,
        rate: float | None,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Take a token, waiting if needed; returns the seconds waited."""
        if self.rate is None:
            return 0.0
        waited = 0.0
        async with self._lock:  # first come, first served
            while True:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                # The epsilon stops float dust from asking for a sleep too short to advance the clock.
                if self._tokens >= 1.0 - 1e-9:
                    self._tokens = max(self._tokens - 1.0, 0.0)
                    return waited
                pause = (1.0 - self._tokens) / self.rate
                waited += pause
                await self._sleep(pause)


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Pause after failed try number `attempt` (1-based)."""
    ceiling: float = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class Attempts:
    ok: bool
    attempts: int
    error: DeliveryError | None = None


async def with_retries(
    receiver: str,
    send: Callable[[], Awaitable[None]],
    policy: RetryPolicy,
    limiter: TokenBucket,
    *,
    rng: random.Random | None = None,
    what: str = "alert",
) -> Attempts:
    """Call `send` until it succeeds or the retry budget is spent; never raises DeliveryError."""
    rng = rng or random.Random()
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        await limiter.acquire()
        try:
            await send()
            return Attempts(True, attempt)
        except DeliveryError as exc:
            metrics.count(receiver, "failed")
            if not exc.retryable:
                log.warning("%s: %s refused for good on try %d: %s", receiver, what, attempt, exc)
                return Attempts(False, attempt, exc)
            delay = backoff_delay(attempt, policy, rng)
            if exc.retry_after_s is not None:
                delay = max(delay, min(exc.retry_after_s, policy.max_delay_s))
            elapsed = time.monotonic() - started
            if attempt >= policy.max_attempts or elapsed + delay > policy.max_elapsed_s:
                log.warning(
                    "%s: %s failed %d tries in %.1fs, retry budget spent: %s", receiver, what, attempt, elapsed, exc
                )
                return Attempts(False, attempt, exc)
            log.info("%s: %s try %d failed (%s); next in %.2fs", receiver, what, attempt, exc, delay)
            metrics.retried(receiver)
            await asyncio.sleep(delay)
