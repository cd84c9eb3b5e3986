"""Waiting out a broker that cannot be reached: one backoff rule for every Kafka client.

A worker or dispatcher started before Kafka is up, or running while it restarts, retries
with exponential backoff instead of exiting; only after `kafka_retry.give_up_s` of one
unbroken outage does it give up, with one error line naming the settings. A refused login
or an untrusted certificate is never retried: it will not heal by waiting. While it waits,
`finsentry_kafka_broker_up` says 0 on /metrics.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from finsentry import kafka_security, metrics
from finsentry.kafka_errors import KafkaError
from finsentry.kafka_security import KafkaSecurityError

if TYPE_CHECKING:
    from finsentry.settings import KafkaRetrySettings, KafkaSecurity

log = logging.getLogger(__name__)

T = TypeVar("T")


class KafkaUnreachable(KafkaError):
    """The broker stayed unreachable for longer than kafka_retry.give_up_s."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between tries, bounded in total by `give_up_s`."""

    give_up_s: float = 300.0
    initial_s: float = 0.5
    max_s: float = 10.0

    @classmethod
    def of(cls, settings: KafkaRetrySettings) -> Backoff:
        return cls(give_up_s=settings.give_up_s, initial_s=settings.initial_backoff_s, max_s=settings.max_backoff_s)

    def delays(self) -> Iterator[float]:
        delay = self.initial_s
        while True:
            yield delay
            delay = min(self.max_s, delay * 2)


def is_unreachable(exc: BaseException) -> bool:
    """An error that waiting may cure: no connection, a timeout, a leader or coordinator away."""
    if isinstance(exc, KafkaError):  # ours: a security problem or an outage already given up on
        return False
    if isinstance(exc, (OSError, asyncio.TimeoutError, TimeoutError)):
        return True
    # aiokafka's and kafka-python's errors say themselves whether a retry may succeed.
    return bool(getattr(exc, "retriable", False)) or type(exc).__name__ == "KafkaTimeoutError"


async def retrying(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    bootstrap: str,
    backoff: Backoff,
    security: KafkaSecurity | None = None,
    logger: logging.Logger = log,
) -> T:
    """`await attempt()` until it succeeds; an outage is retried for up to `backoff.give_up_s`.

    `what` says in the log what is waiting ("starting the enrich consumer", "writing to
    news.enriched"). Errors that are not an outage, and clear security errors, go up at once.
    """
    started = time.monotonic()
    delays = backoff.delays()
    tries = 0
    while True:
        tries += 1
        try:
            result = await attempt()
        except Exception as exc:
            if isinstance(exc, KafkaSecurityError):
                raise
            if security is not None and (clear := kafka_security.explain(exc, security, bootstrap)) is not None:
                raise clear from None
            if not is_unreachable(exc):
                raise
            waited = time.monotonic() - started
            metrics.set_broker_up(False)
            if waited >= backoff.give_up_s:
                raise KafkaUnreachable(
                    f"Kafka at {bootstrap} unreachable for {waited:.0f}s while {what} ({_reason(exc)}):"
                    " check FINSENTRY_KAFKA, or wait longer with FINSENTRY_KAFKA_RETRY__GIVE_UP_S"
                ) from None
            delay = min(next(delays), max(0.1, backoff.give_up_s - waited))
            # The first miss is a warning; later ones of the same outage are quieter.
            level = logging.WARNING if tries == 1 or tries % 10 == 0 else logging.INFO
            logger.log(
                level,
                "waiting for Kafka at %s (%s, try %d, %.0fs so far): %s; next try in %.1fs",
                bootstrap,
                what,
                tries,
                waited,
                _reason(exc),
                delay,
            )
            await asyncio.sleep(delay)
        else:
            if tries > 1:
                logger.info("Kafka at %s reachable again (%s) after %.1fs", bootstrap, what, time.monotonic() - started)
            metrics.set_broker_up(True)
            return result


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def wait_until_reachable(
    bootstrap: str, security: KafkaSecurity | None, backoff: Backoff, *, what: str = "starting"
) -> None:
    """Block until the broker takes a connection, TLS and SASL included (for clients that cannot
    wait themselves: Faust). A refused login or certificate raises its clear error at once."""

    async def go() -> None:
        await retrying(
            what,
            lambda: kafka_security.connect_once(bootstrap, security, timeout_s=10.0),
            bootstrap=bootstrap,
            backoff=backoff,
            security=security,
        )

    asyncio.run(go())
