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
from finsentry import metrics, topics
from finsentry.contracts import Alert, Enriched
from finsentry.settings import Settings
from streams.tables import FaustTableStore

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


async def _score_batch(app: faust.App, engine: RiskEngine, store: FaustTableStore, events: Any) -> None:
    alerts: list[Alert] = []
    kafka_time: dict[str, float] = {}  # entity -> Kafka time of its newest record in the batch
    for event in events:
        _current_event.set(weakref.ref(event))
        try:
            record = Enriched.model_validate_json(event.value)
        except ValueError as exc:  # our own stage wrote it; log, never crash the agent
            log.error("unreadable news.enriched record at %s: %s", event.message.tp, exc)
            continue
        out = engine.process_one(record)
        if record.entity is not None:
            kafka_time[record.entity] = event.message.timestamp / 1000
        alerts.extend(out)
    store.owned = {tp.partition for tp in app.consumer.assignment() if tp.topic == topics.ENRICHED}
    if engine.watermark is not None:
        alerts.extend(engine.tick(engine.watermark))
    store.flush()
    metrics.observe_consumed(topics.ENRICHED, len(events))
    if alerts:
        futures = [
            await app.producer.send(topics.ALERTS, a.dedup_key.encode(), a.to_json(), None, None, None) for a in alerts
        ]
        await asyncio.gather(*futures)
        metrics.observe_produced(topics.ALERTS, len(alerts))
        metrics.observe_alerts(alerts)
        firing = [a for a in alerts if a.status == "firing"]
        metrics.observe_alert_latency(
            [a.last_seen for a in firing],
            [kafka_time[a.entity] for a in firing if a.entity in kafka_time],
            now=time.time(),
        )
        for a in alerts:
            log.info("alert %s %s %s score=%.1f: %s", a.status, a.severity, a.dedup_key, a.risk_score, a.headlines[-1:])
    scores = {}
    for entity in kafka_time:
        state = store.get(entity)
        if state is not None:
            scores[entity] = state.last_score
    metrics.set_entity_risk(scores)
