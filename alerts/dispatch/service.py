"""The dispatcher: `alerts` -> routes -> receivers, acknowledged only when every receiver is done.

`Dispatcher` holds the delivery rules and knows no Kafka: give it an alert's bytes and it
sends, buffers for the digest, suppresses or parks, and records each outcome in the ledger.
`DispatchService` is the plain aiokafka consumer group around it: it polls a batch, hands
it over, and commits the batch's offsets only after every alert in it was taken by all its
receivers or parked in `alerts.dlq`. Alerts of one dedup_key are handled in offset order
(a resolve never overtakes its trigger); different keys go out concurrently.
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
from finsentry.settings import DispatchSettings, Settings

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
        self._slots = asyncio.Semaphore(max_in_flight)
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
        policy = self.config.receivers[name].retry
        async with self._slots:
            self.ledger.mark_pending(name, alert.alert_id)
            result = await with_retries(
                name,
                lambda: receiver.send(alert, redelivery=redelivery),
                policy,
                self.limiters[name],
                rng=self._rng,
                what=label,
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


class DispatchService:
    """The consumer group on `alerts`; manual commits after each fully handled batch."""

    def __init__(self, settings: Settings, config: RoutingConfig) -> None:
        self.settings = settings
        self.ds: DispatchSettings = settings.dispatch
        self.config = config
        self.handled = 0

    def _max_poll_interval_ms(self) -> int:
        # A batch may wait out a whole retry budget before it commits; the group must not
        # think the dispatcher died meanwhile.
        budget = max(rc.retry.max_elapsed_s + rc.retry.max_delay_s for rc in self.config.receivers.values())
        return int(max(300.0, budget + 60.0) * 1000)

    async def run(self, stop: asyncio.Event, ready: Callable[[], None] | None = None) -> None:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
        from aiokafka.errors import CommitFailedError

        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka, acks="all", enable_idempotence=True, client_id="finsentry-dispatch"
        )
        consumer = AIOKafkaConsumer(
            topics.ALERTS,
            bootstrap_servers=self.settings.kafka,
            group_id=self.ds.group_id,
            client_id="finsentry-dispatch",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=self._max_poll_interval_ms(),
        )

        async def park(letter: DeadLetter, key: bytes | None) -> None:
            await producer.send_and_wait(topics.ALERTS_DLQ, letter.to_json(), key=key)

        ledger = Ledger(self.ds.state_dir)
        pruned = ledger.prune(self.ds.ledger_retention_s)
        dispatcher = Dispatcher(self.config, ledger, park, max_in_flight=self.ds.max_in_flight)
        await producer.start()
        digest_task: asyncio.Task[None] | None = None
        try:
            await consumer.start()
            log.info(
                "dispatching %s -> %d receivers (%s), group %s, ledger %s (%d old rows pruned)",
                topics.ALERTS,
                len(dispatcher.receivers),
                ", ".join(f"{n}:{r.kind}" for n, r in dispatcher.receivers.items()),
                self.ds.group_id,
                ledger.path,
                pruned,
            )
            digest_task = asyncio.create_task(self._digest_loop(dispatcher, stop))
            if ready:
                ready()
            while not stop.is_set():
                polled = await consumer.getmany(
                    timeout_ms=int(self.ds.poll_timeout_s * 1000), max_records=self.ds.max_batch
                )
                if not polled:
                    continue
                records = [
                    Record(m.value or b"", m.key, Origin(tp.topic, tp.partition, m.offset))
                    for tp, msgs in polled.items()
                    for m in msgs
                ]
                if not await self._finish(dispatcher.handle_batch(records), stop, len(records)):
                    break
                try:
                    await consumer.commit({tp: msgs[-1].offset + 1 for tp, msgs in polled.items()})
                except CommitFailedError as exc:
                    # The group rebalanced mid-batch; the new owner re-reads these alerts and
                    # the ledger turns them into duplicates rather than second pages.
                    log.warning("offset commit failed after a rebalance: %s", exc)
                self.handled += len(records)
        finally:
            if digest_task:
                digest_task.cancel()
                await asyncio.gather(digest_task, return_exceptions=True)
            await consumer.stop()
            await dispatcher.aclose()
            await producer.stop()
            ledger.close()
            log.info("dispatcher stopped after %d alerts", self.handled)

    async def _finish(self, work: Awaitable[None], stop: asyncio.Event, n: int) -> bool:
        """Run a batch; on stop give it `shutdown_grace_s`, then cancel it uncommitted."""
        task = asyncio.ensure_future(work)
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():
                log.info("stopping: finishing %d alerts in flight (up to %.0fs)", n, self.ds.shutdown_grace_s)
                await asyncio.wait({task}, timeout=self.ds.shutdown_grace_s)
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                log.warning("stopped mid-batch: %d alerts stay uncommitted and are re-read at the next start", n)
                return False
            task.result()
            return True
        finally:
            stopping.cancel()

    async def _digest_loop(self, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
        tick = min(dispatcher.router.digest.interval_s, 1.0)
        while not stop.is_set():
            try:
                await dispatcher.flush_digests()
            except Exception:
                log.exception("digest flush failed; trying again next tick")
            await asyncio.sleep(tick)
