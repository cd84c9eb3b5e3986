"""The Faust app: topics, the entity-state table and the risk agent (stage 2).

Stage 1 (news -> news.enriched) is streams/enrich.py; stage 2 reads `news.enriched`,
keyed by ticker, keeps per-entity state in the `entity-risk` table and writes alerts.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

import faust
from faust.streams import _current_event  # set per event so table writes know their partition

from alerts.risk import RiskEngine
from alerts.state import StateStore
from finsentry import kafka_security, metrics, topics
from finsentry.contracts import Alert, Enriched
from finsentry.settings import Settings
from streams.consumer import Done
from streams.tables import FaustTableStore
from streams.transport import Message, Sink

log = logging.getLogger(__name__)

TABLE = "entity-risk"


def create_app(settings: Settings, *, watchlist: frozenset[str] = frozenset(), score: bool = True) -> faust.App:
    """The Faust app; with `score=False` it carries no agent (an enrich-only worker)."""
    s = settings.stream
    (s.data_dir / s.app_id).mkdir(parents=True, exist_ok=True)
    app = faust.App(
        s.app_id,
        broker=f"kafka://{settings.kafka}",
        store="memory://",
        datadir=str(s.data_dir / s.app_id),
        topic_partitions=topics.PARTITIONS[topics.ENRICHED],
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=0.005,
        web_enabled=False,
        table_cleanup_interval=3600,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        # TLS and SASL ride in broker_credentials; the URL scheme stays kafka://.
        **kafka_security.faust_options(settings.kafka_security),
    )
    if not score:
        return app
    enriched_topic = app.topic(topics.ENRICHED, key_serializer="raw", value_serializer="raw", internal=False)
    table = app.Table(
        TABLE,
        default=None,
        partitions=topics.PARTITIONS[topics.ENRICHED],
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
    )
    store = FaustTableStore(table, topics.PARTITIONS[topics.ENRICHED])
    engine = RiskEngine(settings.risk, store, watchlist=watchlist)
    app.finsentry_engine = engine  # type: ignore[attr-defined]

    @app.agent(enriched_topic, name="score")
    async def score_agent(stream: Any) -> None:
        async for events in stream.take_events(s.batch_size, within=s.batch_timeout_s):
            await _score_batch(app, engine, store, events)

    return app


class ScoreBatch:
    """One batch of `news.enriched` values through the risk engine: the scoring stage's core,
    shared by the Faust agent and `ScoreStage` (any source and sink)."""

    def __init__(self, engine: RiskEngine) -> None:
        self.engine = engine
        self.alerts: list[Alert] = []
        self.kafka_time: dict[str, float] = {}  # entity -> Kafka time of its newest record in the batch
        self.read = 0

    def add(self, value: bytes, kafka_s: float, where: object) -> None:
        self.read += 1
        try:
            record = Enriched.model_validate_json(value)
        except ValueError as exc:  # our own stage wrote it; log, never crash the stage
            log.error("unreadable news.enriched record at %s: %s", where, exc)
            return
        self.alerts.extend(self.engine.process_one(record))
        if record.entity is not None:
            self.kafka_time[record.entity] = kafka_s

    def close(self) -> list[Alert]:
        """The batch's alerts, with the resolutions its event time lets go."""
        if self.engine.watermark is not None:
            self.alerts.extend(self.engine.tick(self.engine.watermark))
        return self.alerts

    def observe(self, store: StateStore) -> None:
        """Metrics of a written batch: alerts, their latency, and the scored companies' risk."""
        metrics.observe_consumed(topics.ENRICHED, self.read)
        if self.alerts:
            metrics.observe_produced(topics.ALERTS, len(self.alerts))
            metrics.observe_alerts(self.alerts)
            firing = [a for a in self.alerts if a.status == "firing"]
            metrics.observe_alert_latency(
                [a.last_seen for a in firing],
                [self.kafka_time[a.entity] for a in firing if a.entity in self.kafka_time],
                now=time.time(),
            )
            for a in self.alerts:
                log.info(
                    "alert %s %s %s score=%.1f: %s", a.status, a.severity, a.dedup_key, a.risk_score, a.headlines[-1:]
                )
        scores = {}
        for entity in self.kafka_time:
            state = store.get(entity)
            if state is not None:
                scores[entity] = state.last_score
        metrics.set_entity_risk(scores)


def alert_items(alerts: list[Alert]) -> list[tuple[bytes | None, bytes]]:
    """Alerts as (key, value) records of the `alerts` topic, keyed by incident."""
    return [(a.dedup_key.encode(), a.to_json()) for a in alerts]


class ScoreStage:
    """The scoring stage over any source and sink (streams/consumer.py): a batch is done once
    its alerts are acknowledged. The worker runs the same core in a Faust agent (its table)."""

    def __init__(self, engine: RiskEngine, store: StateStore, sink: Sink) -> None:
        self.engine = engine
        self.store = store
        self.sink = sink

    async def handle(self, batch: list[Message], done: Done) -> None:
        scored = ScoreBatch(self.engine)
        for m in batch:
            scored.add(m.value, m.timestamp_ms / 1000, m.position)
        alerts = scored.close()
        await self.sink.send(topics.ALERTS, alert_items(alerts))
        scored.observe(self.store)
        for m in batch:
            done(m)

    async def drain(self) -> None:
        """Nothing runs past `handle`."""


async def _score_batch(app: faust.App, engine: RiskEngine, store: FaustTableStore, events: Any) -> None:
    scored = ScoreBatch(engine)
    for event in events:
        _current_event.set(weakref.ref(event))
        scored.add(event.value, event.message.timestamp / 1000, event.message.tp)
    store.owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == topics.ENRICHED}
    alerts = scored.close()
    store.flush()
    if alerts:
        futures = [
            await app.producer.send(topics.ALERTS, key, value, None, None, None) for key, value in alert_items(alerts)
        ]
        await asyncio.gather(*futures)
    scored.observe(store)
