"""The dispatcher on Kafka: the consumer group on `alerts` around alerts/dispatch's `Dispatcher`.

Records are handed to the Dispatcher as they arrive (one dedup_key in order, keys
concurrently), so a receiver that is down delays only its own alerts, not the next page.
Every `commit_interval_s` each partition is committed up to its oldest alert not yet taken
by all receivers or parked (streams/consumer.py). Above `max_pending` open alerts, polling
pauses. `DispatchHandler` runs over any source and sink; `DispatchService` over Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from alerts.dispatch.ledger import Ledger
from alerts.dispatch.routing import RoutingConfig
from alerts.dispatch.service import Dispatcher, Origin, Record
from finsentry import topics
from finsentry.contracts import DeadLetter
from finsentry.settings import DispatchSettings, Settings
from streams.consumer import AtLeastOnceConsumer, Done
from streams.reconnect import Backoff
from streams.transport import KafkaSink, KafkaSource, Message, Sink, Source

log = logging.getLogger(__name__)


class DispatchHandler:
    """Each alert to the Dispatcher as it arrives; an alert is done when every receiver took it."""

    def __init__(self, dispatcher: Dispatcher, *, shutdown_grace_s: float, stop: asyncio.Event) -> None:
        self.dispatcher = dispatcher
        self.shutdown_grace_s = shutdown_grace_s
        self.handled = 0
        self._stop = stop
        self._chains: dict[bytes, asyncio.Task[None]] = {}
        self._work: set[asyncio.Task[None]] = set()
        self.failures: list[BaseException] = []

    async def handle(self, batch: list[Message], done: Done) -> None:
        for m in batch:
            record = Record(m.value, m.key, Origin(m.topic, m.partition, m.offset))
            key = m.key or f"{m.partition}:{m.offset}".encode()
            task = asyncio.create_task(self._one(record, m, done, self._chains.get(key)))
            self._chains[key] = task
            self._work.add(task)
            task.add_done_callback(lambda t, k=key: self._finished(t, k))  # type: ignore[misc]

    async def _one(self, record: Record, m: Message, done: Done, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await asyncio.wait({before})  # same dedup_key: strictly after the previous one
        await self.dispatcher.handle(record)
        # Only a record that was fully handled may be committed past; one whose DLQ write
        # failed stays open, so the next start reads it again.
        done(m)
        self.handled += 1

    def _finished(self, task: asyncio.Task[None], key: bytes) -> None:
        self._work.discard(task)
        if self._chains.get(key) is task:
            del self._chains[key]
        if not task.cancelled() and (exc := task.exception()) is not None:
            self.failures.append(exc)
            self._stop.set()

    async def drain(self) -> None:
        """On stop: give sends in flight `shutdown_grace_s`, then cancel them uncommitted."""
        pending = set(self._work)
        if not pending:
            return
        log.info("stopping: finishing %d alerts in flight (up to %.0fs)", len(pending), self.shutdown_grace_s)
        _, left = await asyncio.wait(pending, timeout=self.shutdown_grace_s)
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
            log.warning("stopped with %d alerts unfinished: uncommitted, re-read at the next start", len(left))


async def run_dispatcher(
    source: Source,
    sink: Sink,
    config: RoutingConfig,
    ds: DispatchSettings,
    stop: asyncio.Event,
    *,
    ready: Callable[[], None] | None = None,
    on_handler: Callable[[DispatchHandler], None] | None = None,
) -> int:
    """Dispatch until `stop` is set; returns the number of alerts handled. Transport-free."""

    async def park(letter: DeadLetter, key: bytes | None) -> None:
        await sink.send(topics.ALERTS_DLQ, [(key, letter.to_json())])

    ledger = Ledger(ds.state_dir)
    pruned = ledger.prune(ds.ledger_retention_s)
    dispatcher = Dispatcher(config, ledger, park, max_in_flight=ds.max_in_flight)
    handler = DispatchHandler(dispatcher, shutdown_grace_s=ds.shutdown_grace_s, stop=stop)
    if on_handler:
        on_handler(handler)
    consumer = AtLeastOnceConsumer(
        source,
        handler,
        max_batch=ds.max_batch,
        poll_timeout_s=ds.poll_timeout_s,
        commit_interval_s=ds.commit_interval_s,
        max_pending=ds.max_pending,
    )
    await sink.start()
    digest_task: asyncio.Task[None] | None = None
    try:
        await source.start()
        log.info(
            "dispatching %s -> %d receivers (%s), group %s, ledger %s (%d old rows pruned)",
            topics.ALERTS,
            len(dispatcher.receivers),
            ", ".join(f"{n}:{r.kind}" for n, r in dispatcher.receivers.items()),
            ds.group_id,
            ledger.path,
            pruned,
        )
        digest_task = asyncio.create_task(_digest_loop(dispatcher, stop))
        if ready:
            ready()
        await consumer.run(stop.is_set)
    finally:
        if digest_task:
            digest_task.cancel()
            await asyncio.gather(digest_task, return_exceptions=True)
        await source.stop()
        await dispatcher.aclose()
        await sink.stop()
        ledger.close()
        log.info("dispatcher stopped after %d alerts", handler.handled)
    if handler.failures:
        raise handler.failures[0]
    return handler.handled


async def _digest_loop(dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    tick = min(dispatcher.router.digest.interval_s, 1.0)
    while not stop.is_set():
        try:
            await dispatcher.flush_digests()
        except Exception:
            log.exception("digest flush failed; trying again next tick")
        await asyncio.sleep(tick)


class DispatchService:
    """The dispatcher's consumer group on Kafka (`finsentry dispatch`)."""

    def __init__(self, settings: Settings, config: RoutingConfig) -> None:
        self.settings = settings
        self.config = config
        self.handler: DispatchHandler | None = None

    @property
    def handled(self) -> int:
        return self.handler.handled if self.handler else 0

    async def run(self, stop: asyncio.Event, ready: Callable[[], None] | None = None) -> None:
        ds = self.settings.dispatch
        security = self.settings.kafka_security
        backoff = Backoff.of(self.settings.kafka_retry)
        source = KafkaSource(
            self.settings.kafka, topics.ALERTS, ds.group_id, "finsentry-dispatch", security=security, backoff=backoff
        )
        sink = KafkaSink(self.settings.kafka, "finsentry-dispatch", idempotent=True, security=security, backoff=backoff)
        await run_dispatcher(source, sink, self.config, ds, stop, ready=ready, on_handler=self._keep)

    def _keep(self, handler: DispatchHandler) -> None:
        self.handler = handler


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
