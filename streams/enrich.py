"""Stage 1 of the worker: `news` -> validate -> enrich (batched models) -> `news.enriched`.

Why not a Faust agent here: a Faust stream costs ~140 us of CPU per message in its own
machinery (shared/notes/faust-throughput.md: ~7k events/s ceiling on 2 cores), while the
target is 10k events/s per worker. So this stage is a mode Service started by the Faust
worker next to the agents, reading whole batches with aiokafka's `getmany` and producing
each batch with one burst of sends. Semantics are at-least-once: a batch's offsets are
committed only after every enriched and dead-letter record of it is acknowledged by the
broker; a crash before that replays the batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from mode import Service

from finsentry import metrics, topics
from finsentry.contracts import DeadLetter, Enriched, NewsEvent
from finsentry.pipeline import Models, Timings, enrich
from finsentry.settings import Settings
from finsentry.validation import InvalidEvent, parse_news
from streams.tables import partition_of_bytes

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Validated:
    """A batch split into good events (with their Kafka times) and dead letters."""

    events: list[NewsEvent]
    kafka_times: list[datetime]
    dead: list[tuple[DeadLetter, str]]  # (letter, reason)


def validate_batch(msgs: Sequence[ConsumerRecord[bytes, bytes]], settings: Settings) -> Validated:
    now = datetime.now(UTC)
    skew = timedelta(seconds=settings.stream.max_future_skew_s)
    events: list[NewsEvent] = []
    times: list[datetime] = []
    dead: list[tuple[DeadLetter, str]] = []
    for m in msgs:
        raw = m.value or b""
        try:
            event = parse_news(raw, max_text_bytes=settings.stream.max_text_bytes, max_future_skew=skew, now=now)
        except InvalidEvent as exc:
            letter = DeadLetter.of(raw, str(exc), topic=m.topic, partition=m.partition, offset=m.offset)
            dead.append((letter, exc.reason))
            continue
        events.append(event)
        times.append(datetime.fromtimestamp(m.timestamp / 1000, UTC))
    return Validated(events=events, kafka_times=times, dead=dead)


class EnrichService(Service):
    """The batched consumer of `news`; one per worker process, in group `<app_id>-enrich`."""

    def __init__(self, settings: Settings, models: Models, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.models = models
        self.group_id = f"{settings.stream.app_id}-enrich"
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self.processed = 0
        self._partitions: dict[str, int] = {}
        self._spread = 0

    async def on_start(self) -> None:
        s = self.settings
        self._producer = AIOKafkaProducer(
            bootstrap_servers=s.kafka,
            acks="all",
            linger_ms=5,
            max_batch_size=512 * 1024,
            client_id=f"{s.stream.app_id}-enrich",
        )
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            topics.NEWS,
            bootstrap_servers=s.kafka,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=s.stream.batch_size,
            fetch_max_bytes=64 * 1024 * 1024,
            client_id=f"{s.stream.app_id}-enrich",
        )
        await self._consumer.start()
        log.info("enrich stage reading %s as group %s", topics.NEWS, self.group_id)

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()
        log.info("enrich stage stopped after %d events", self.processed)

    @Service.task
    async def _consume(self) -> None:
        assert self._consumer is not None
        timeout_ms = int(self.settings.stream.batch_timeout_s * 1000)
        while not self.should_stop:
            polled = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=self.settings.stream.batch_size)
            msgs = [m for part in polled.values() for m in part]
            if not msgs:
                continue
            await self.process(msgs)
            offsets = {tp: part[-1].offset + 1 for tp, part in polled.items()}
            await self._commit(offsets)

    async def process(self, msgs: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """Validate, enrich off the event loop, write every output and wait for the acks."""
        assert self._producer is not None
        metrics.observe_batch(len(msgs), topic=topics.NEWS)
        started = time.perf_counter()
        valid = validate_batch(msgs, self.settings)
        records: list[Enriched] = []
        timings = Timings()
        if valid.events:
            result = await asyncio.to_thread(
                enrich,
                valid.events,
                self.models,
                fallback_times=valid.kafka_times,
                max_chars=self.settings.stream.model_text_chars,
            )
            records, timings = result.records, result.timings
            metrics.observe_model("sentiment", self.models.sentiment.device, timings.sentiment_s)
            metrics.observe_model("entities", self.models.annotator.device, timings.entities_s)
        modelled = time.perf_counter()
        futures = await self._send_keyed(
            topics.ENRICHED, [((r.entity or r.news_id).encode(), r.to_json()) for r in records]
        )
        futures += await self._send_keyed(topics.NEWS_DLQ, [(None, letter.to_json()) for letter, _ in valid.dead])
        if futures:
            await asyncio.gather(*futures)  # surfaces send errors before we commit
        now = time.time()
        metrics.observe_produced(topics.ENRICHED, len(records))
        metrics.observe_produced(topics.NEWS_DLQ, len(valid.dead))
        metrics.observe_invalid_reasons(reason for _, reason in valid.dead)  # type: ignore[misc]
        metrics.observe_enriched_latency([e.published_at for e in valid.events], valid.kafka_times, now=now)
        # One label per article, not per (article, ticker) record.
        first = {r.news_id: r.sentiment.label for r in reversed(records)}
        metrics.observe_sentiment(first.values())
        self.processed += len(msgs)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "batch of %d: %.0f ms (sentiment %.0f, entities %.0f, write+acks %.0f)",
                len(msgs),
                (time.perf_counter() - started) * 1000,
                timings.sentiment_s * 1000,
                timings.entities_s * 1000,
                (time.perf_counter() - modelled) * 1000,
            )
        if valid.dead:
            log.warning("%d invalid news records sent to %s", len(valid.dead), topics.NEWS_DLQ)

    async def _send_keyed(self, topic: str, items: list[tuple[bytes | None, bytes]]) -> list[asyncio.Future[Any]]:
        """Send (key, value) pairs as whole record batches, one or more per partition.

        Building batches ourselves skips aiokafka's per-message coroutine (`send`), the
        largest per-event cost of this stage; keys are partitioned exactly as the default
        partitioner would, so a ticker always lands on the same partition.
        """
        if not items:
            return []
        assert self._producer is not None
        producer = self._producer
        n = self._partitions.get(topic)
        if n is None:
            n = self._partitions[topic] = len(await producer.partitions_for(topic))
        by_partition: dict[int, list[tuple[bytes | None, bytes]]] = {}
        for i, (key, value) in enumerate(items):
            p = partition_of_bytes(key, n) if key is not None else (self._spread + i) % n
            by_partition.setdefault(p, []).append((key, value))
        self._spread += len(items)
        futures: list[asyncio.Future[Any]] = []
        for partition, pairs in by_partition.items():
            batch = producer.create_batch()
            for key, value in pairs:
                if batch.append(key=key, value=value, timestamp=None) is None:
                    futures.append(await producer.send_batch(batch, topic, partition=partition))
                    batch = producer.create_batch()
                    batch.append(key=key, value=value, timestamp=None)
            futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self._consumer is not None
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # A rebalance took the partitions: the new owner replays from the last commit,
            # so the records just written may appear twice downstream (at-least-once).
            log.warning("offset commit failed (%s); the batch will be replayed by the new owner", exc)
