"""The dispatcher: `alerts` -> routes -> receivers, acknowledged only when every receiver is done.

`Dispatcher` holds the delivery rules and knows no Kafka: give it an alert's bytes and it
sends, buffers for the digest, suppresses or parks, and records each outcome in the ledger.
The consumer around it (streams/dispatch.py) hands each record over as it arrives and
commits a partition only up to its oldest alert not yet taken by all its receivers or
parked in `alerts.dlq`. Alerts of one dedup_key are handled in offset order (a resolve never
overtakes its trigger); different keys go out concurrently.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from alerts.dispatch import metrics
from alerts.dispatch.ledger import Ledger
from alerts.dispatch.receivers import Receiver, SmtpReceiver, build_receiver
from alerts.dispatch.retry import TokenBucket, with_retries
from alerts.dispatch.routing import Router, RoutingConfig, Target
from finsentry import topics
from finsentry.contracts import Alert, DeadLetter, utcnow

log = logging.getLogger(__name__)

Park = Callable[[DeadLetter, bytes | None], Awaitable[None]]


@dataclass(frozen=True)
class Origin:
    """Where a record came from, for the dead letter."""

    topic: str = topics.ALERTS
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Record:
    value: bytes
    key: bytes | None
    origin: Origin


class Dispatcher:
    """Delivery rules over a ledger; Kafka-free, so it runs the same in tests and the service."""

    def __init__(
        self,
        config: RoutingConfig,
        ledger: Ledger,
        park: Park,
        *,
        receivers: dict[str, Receiver] | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_in_flight: int = 64,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.router = Router(config)
        self.ledger = ledger
        self._park = park
        self.receivers = receivers or {name: build_receiver(name, rc) for name, rc in config.receivers.items()}
        self.limiters = {name: TokenBucket(rc.rate_per_s, rc.burst) for name, rc in config.receivers.items()}
        self._clock = clock
        self._slots = {name: asyncio.Semaphore(max_in_flight) for name in config.receivers}
        self._rng = rng or random.Random()
        metrics.init_receivers(list(config.receivers))

    async def aclose(self) -> None:
        for receiver in self.receivers.values():
            await receiver.aclose()

    # -- one alert -------------------------------------------------------------------------

    async def handle(self, record: Record) -> None:
        try:
            alert = Alert.model_validate_json(record.value)
        except ValidationError as exc:
            first = exc.errors()[0]
            reason = f"not an Alert: {'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}"
            log.warning("offset %s/%s parked: %s", record.origin.partition, record.origin.offset, reason)
            await self._park(_letter(record, reason), record.key)
            metrics.parked(metrics.NO_RECEIVER)
            return
        targets = self.router.plan(alert, self._clock())
        await asyncio.gather(*(self._deliver(alert, record, t) for t in targets))

    async def _deliver(self, alert: Alert, record: Record, target: Target) -> None:
        name = target.receiver
        label = f"{alert.dedup_key} {alert.status}/{alert.severity}"
        if target.action == "suppress":
            log.info("%s: %s suppressed (%s)", name, label, target.reason)
            metrics.count(name, "suppressed")
            return
        if target.action == "digest":
            if self.ledger.add_to_digest(name, alert):
                log.info("%s: %s held for the digest (%s)", name, label, target.reason)
            else:
                metrics.count(name, "duplicate")
            return
        state = self.ledger.state(name, alert.alert_id)
        if state == "delivered":
            log.info("%s: %s already delivered (alert %s); not sent again", name, label, alert.alert_id)
            metrics.count(name, "duplicate")
            return
        redelivery = state == "pending"
        if redelivery:
            log.warning("%s: %s may have arrived before the last stop; re-sent flagged as redelivery", name, label)
        receiver = self.receivers[name]
        slots = self._slots[name]

        async def attempt() -> None:
            # A slot is held per attempt, not across backoff pauses, and each receiver has its
            # own slots: alerts waiting on a receiver that is down never starve another one.
            async with slots:
                self.ledger.mark_pending(name, alert.alert_id)
                await receiver.send(alert, redelivery=redelivery)

        result = await with_retries(
            name, attempt, self.config.receivers[name].retry, self.limiters[name], rng=self._rng, what=label
        )
        if result.ok:
            self.ledger.mark_delivered(name, alert.alert_id)
            latency = (utcnow() - alert.last_seen).total_seconds()
            metrics.delivered(name, latency)
            log.info("%s: %s delivered (try %d, %.2fs after last_seen)", name, label, result.attempts, latency)
            return
        reason = f"receiver {name} ({receiver.kind}): {result.error} [after {result.attempts} tries]"
        await self._park(_letter(record, reason), record.key)
        self.ledger.forget_pending(name, alert.alert_id)
        metrics.parked(name)
        log.error("%s: %s parked in %s: %s", name, label, topics.ALERTS_DLQ, result.error)

    # -- a polled batch --------------------------------------------------------------------

    async def handle_batch(self, records: list[Record]) -> None:
        """Every record, one dedup_key at a time in order, keys concurrently."""
        by_key: dict[bytes, list[Record]] = defaultdict(list)
        for r in records:
            by_key[r.key or f"{r.origin.partition}:{r.origin.offset}".encode()].append(r)

        async def in_order(chain: list[Record]) -> None:
            for r in chain:
                await self.handle(r)

        await asyncio.gather(*(in_order(chain) for chain in by_key.values()))

    # -- the digest ------------------------------------------------------------------------

    async def flush_digests(self, *, force: bool = False) -> int:
        """Send each digest whose oldest alert waited `interval_s` (never in quiet hours); returns e-mails sent."""
        sent = 0
        for name in self.ledger.digest_receivers():
            receiver = self.receivers.get(name)
            oldest = self.ledger.digest_oldest(name)
            if not isinstance(receiver, SmtpReceiver) or oldest is None:
                continue
            # The interval runs from the oldest buffered alert, so it survives a restart.
            due = force or time.time() - oldest >= self.router.digest.interval_s
            if not due or (not force and self.router.quiet_now(name, self._clock())):
                continue
            entries = self.ledger.digest_entries(name)
            if not entries:
                continue
            result = await with_retries(
                name,
                lambda r=receiver, e=entries: r.send_digest(e),  # type: ignore[misc]
                self.config.receivers[name].retry,
                self.limiters[name],
                rng=self._rng,
                what=f"digest of {len(entries)}",
            )
            ids = [a.alert_id for a in entries]
            if result.ok:
                self.ledger.digest_sent(name, ids)
                delivered_at = utcnow()
                for a in entries:
                    metrics.delivered(name, (delivered_at - a.last_seen).total_seconds())
                log.info("%s: digest of %d alerts delivered", name, len(entries))
                sent += 1
                continue
            reason = f"receiver {name} (smtp digest): {result.error} [after {result.attempts} tries]"
            for a in entries:
                await self._park(DeadLetter.of(a.to_json(), reason, topic=topics.ALERTS), a.dedup_key.encode())
                metrics.parked(name)
            self.ledger.digest_dropped(name, ids)
            log.error("%s: digest of %d alerts parked in %s", name, len(entries), topics.ALERTS_DLQ)
        return sent


def _letter(record: Record, reason: str) -> DeadLetter:
    o = record.origin
    return DeadLetter.of(record.value, reason, topic=o.topic, partition=o.partition, offset=o.offset)
