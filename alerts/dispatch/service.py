"""The dispatcher: `alerts` -> routes -> receivers, acknowledged only when every receiver is done.

`Dispatcher` holds the delivery rules and knows no Kafka: give it an alert's bytes and it
sends, buffers for the digest, suppresses or parks, and records each outcome in the ledger.
`DispatchService` is the plain aiokafka consumer group around it: it hands each record
over as it arrives and commits a partition only up to its oldest alert not yet taken by
all its receivers or parked in `alerts.dlq`. Alerts of one dedup_key are handled in offset
order (a resolve never overtakes its trigger); different keys go out concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


class OffsetTracker:
    """Offsets read but not done, per partition; the commit point is the lowest one not done.

    Alerts finish out of order (keys run concurrently, one may wait out a retry budget), so
    a partition is committed up to, not past, its oldest alert still in the works.
    """

    def __init__(self) -> None:
        self._open: dict[Any, set[int]] = defaultdict(set)
        self._next: dict[Any, int] = {}

    def started(self, tp: Any, offset: int) -> None:
        self._open[tp].add(offset)
        self._next[tp] = max(self._next.get(tp, 0), offset + 1)

    def finished(self, tp: Any, offset: int) -> None:
        self._open[tp].discard(offset)

    def commit_points(self) -> dict[Any, int]:
        return {tp: min(self._open[tp]) if self._open[tp] else nxt for tp, nxt in self._next.items()}

    def open_count(self) -> int:
        return sum(len(v) for v in self._open.values())


class DispatchService:
    """The consumer group on `alerts`, with manual commits of what is done.

    Records are handed to the Dispatcher as they arrive (one dedup_key in order, keys
    concurrently), so a receiver that is down delays only its own alerts, not the next page.
    Every `commit_interval_s` each partition is committed up to its oldest alert not yet
    taken by all receivers or parked. Above `max_pending` open alerts, polling pauses.
    """

    def __init__(self, settings: Settings, config: RoutingConfig) -> None:
        self.settings = settings
        self.ds: DispatchSettings = settings.dispatch
        self.config = config
        self.handled = 0
        self._committed: dict[Any, int] = {}

    async def run(self, stop: asyncio.Event, ready: Callable[[], None] | None = None) -> None:
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

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
        )

        async def park(letter: DeadLetter, key: bytes | None) -> None:
            await producer.send_and_wait(topics.ALERTS_DLQ, letter.to_json(), key=key)

        ledger = Ledger(self.ds.state_dir)
        pruned = ledger.prune(self.ds.ledger_retention_s)
        dispatcher = Dispatcher(self.config, ledger, park, max_in_flight=self.ds.max_in_flight)
        await producer.start()
        digest_task: asyncio.Task[None] | None = None
        tracker = OffsetTracker()
        work: set[asyncio.Task[None]] = set()
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
            await self._consume(consumer, dispatcher, tracker, work, stop)
        finally:
            if work:
                await self._drain(work)
            with contextlib.suppress(Exception):
                await self._commit(consumer, tracker)
            if digest_task:
                digest_task.cancel()
                await asyncio.gather(digest_task, return_exceptions=True)
            await consumer.stop()
            await dispatcher.aclose()
            await producer.stop()
            ledger.close()
            log.info("dispatcher stopped after %d alerts", self.handled)

    async def _consume(
        self,
        consumer: Any,
        dispatcher: Dispatcher,
        tracker: OffsetTracker,
        work: set[asyncio.Task[None]],
        stop: asyncio.Event,
    ) -> None:
        chains: dict[bytes, asyncio.Task[None]] = {}
        failures: list[BaseException] = []
        last_commit = time.monotonic()

        async def one(record: Record, tp: Any, before: asyncio.Task[None] | None) -> None:
            if before is not None:
                await asyncio.wait({before})  # same dedup_key: strictly after the previous one
            await dispatcher.handle(record)
            # Only a record that was fully handled may be committed past; one whose DLQ write
            # failed stays open, so the next start reads it again.
            tracker.finished(tp, record.origin.offset or 0)
            self.handled += 1

        def done(task: asyncio.Task[None], key: bytes) -> None:
            work.discard(task)
            if chains.get(key) is task:
                del chains[key]
            if not task.cancelled() and task.exception() is not None:
                failures.append(task.exception())  # type: ignore[arg-type]
                stop.set()

        while not stop.is_set():
            if tracker.open_count() >= self.ds.max_pending:
                consumer.pause(*consumer.assignment())
            elif consumer.paused():
                consumer.resume(*consumer.paused())
            polled = await consumer.getmany(
                timeout_ms=int(self.ds.poll_timeout_s * 1000), max_records=self.ds.max_batch
            )
            for tp, msgs in polled.items():
                for m in msgs:
                    record = Record(m.value or b"", m.key, Origin(tp.topic, tp.partition, m.offset))
                    key = m.key or f"{tp.partition}:{m.offset}".encode()
                    tracker.started(tp, m.offset)
                    task = asyncio.create_task(one(record, tp, chains.get(key)))
                    chains[key] = task
                    work.add(task)
                    task.add_done_callback(lambda t, k=key: done(t, k))  # type: ignore[misc]
            if time.monotonic() - last_commit >= self.ds.commit_interval_s:
                await self._commit(consumer, tracker)
                last_commit = time.monotonic()
        if failures:
            raise failures[0]

    async def _commit(self, consumer: Any, tracker: OffsetTracker) -> None:
        from aiokafka.errors import CommitFailedError

        points = {tp: off for tp, off in tracker.commit_points().items() if self._committed.get(tp) != off}
        if not points:
            return
        try:
            await consumer.commit(points)
            self._committed = {**self._committed, **points}
        except CommitFailedError as exc:
            # The group rebalanced; the new owner re-reads these alerts and the ledger turns
            # them into duplicates rather than second pages.
            log.warning("offset commit failed after a rebalance: %s", exc)

    async def _drain(self, work: set[asyncio.Task[None]]) -> None:
        """On stop: give sends in flight `shutdown_grace_s`, then cancel them uncommitted."""
        pending = set(work)
        log.info("stopping: finishing %d alerts in flight (up to %.0fs)", len(pending), self.ds.shutdown_grace_s)
        _, left = await asyncio.wait(pending, timeout=self.ds.shutdown_grace_s)
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
            log.warning("stopped with %d alerts unfinished: uncommitted, re-read at the next start", len(left))

    async def _digest_loop(self, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
        tick = min(dispatcher.router.digest.interval_s, 1.0)
        while not stop.is_set():
            try:
                await dispatcher.flush_digests()
            except Exception:
                log.exception("digest flush failed; trying again next tick")
            await asyncio.sleep(tick)


def serve(service: DispatchService, *, logger: logging.Logger = log, ready: Callable[[], None] | None = None) -> None:
    """Run `service` in this (the main) thread until SIGINT or SIGTERM, then stop cleanly: the sends
    in flight get dispatch.shutdown_grace_s to finish. A second signal stops at once (exit 130).
    `logger` says what the signals did (`finsentry dispatch` passes its own)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(signame: str) -> None:
            if stop.is_set():
                logger.warning("second %s: stopping now", signame)
                raise SystemExit(130)
            logger.info("%s: stopping after the alerts in flight", signame)
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig.name)
        await service.run(stop, ready)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
