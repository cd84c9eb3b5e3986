"""The stages without a broker: enrich, score and dispatch over the in-memory transport.

These run the same handlers and the same at-least-once loop as the worker and the
dispatcher (streams/consumer.py), over streams/testing.py's MemoryBroker; the real-broker
tests (test_worker_e2e, test_real_models_e2e, tests/alerts/test_dispatch_service) stay.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.dispatch.routing import parse_routing
from alerts.risk import RiskEngine
from alerts.state import DictStore
from finsentry import topics
from finsentry.contracts import Alert, DeadLetter, Enriched
from finsentry.models import load_models
from finsentry.pipeline import Models
from finsentry.settings import DispatchSettings, RiskSettings, Settings
from nlp.interfaces import NoopAnnotator, NoopSentiment
from streams.app import ScoreStage
from streams.consumer import AtLeastOnceConsumer, OffsetTracker
from streams.dispatch import run_dispatcher
from streams.enrich import EnrichStage
from streams.testing import MemoryBroker, SendFailed
from tests.alerts.dispatch_servers import HttpSink
from tests.alerts.records import record

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _news(broker: MemoryBroker, news_id: str, headline: str, minutes: int = 0, **extra: object) -> None:
    at = T0.replace(minute=minutes).isoformat().replace("+00:00", "Z")
    value = json.dumps({"id": news_id, "headline": headline, "published_at": at, **extra}).encode()
    broker.produce(topics.NEWS, news_id.encode(), value)


async def _drain(consumer: AtLeastOnceConsumer, broker: MemoryBroker, topic: str, group: str) -> None:
    await consumer.source.start()
    await consumer.run(lambda: broker.lag(topic, group) == 0)


def _enrich_consumer(broker: MemoryBroker, models: Models, group: str = "g-enrich") -> AtLeastOnceConsumer:
    settings = Settings()
    stage = EnrichStage(settings, models, broker.sink())
    return AtLeastOnceConsumer(broker.source(topics.NEWS, group), stage, max_batch=3, poll_timeout_s=0.01)


NOOP = Models(sentiment=NoopSentiment(), annotator=NoopAnnotator())


def test_the_enrich_stage_writes_every_output_then_commits() -> None:
    broker = MemoryBroker()
    for i in range(5):
        _news(broker, f"n{i}", f"Company {i} holds its annual meeting")
    broker.produce(topics.NEWS, None, b"{not json")
    asyncio.run(_drain(_enrich_consumer(broker, NOOP), broker, topics.NEWS, "g-enrich"))
    enriched = [Enriched.model_validate_json(v) for v in broker.values(topics.ENRICHED)]
    assert sorted(r.news_id for r in enriched) == [f"n{i}" for i in range(5)]
    [letter] = [DeadLetter.model_validate_json(v) for v in broker.values(topics.NEWS_DLQ)]
    assert letter.original == b"{not json" and letter.reason.startswith("invalid_json")
    assert broker.lag(topics.NEWS, "g-enrich") == 0


def test_a_failed_write_commits_nothing_and_the_batch_is_read_again() -> None:
    broker = MemoryBroker(partitions=1)
    for i in range(3):
        _news(broker, f"n{i}", f"Company {i} opens a plant")
    broker.fail_sends = 1  # the broker refuses the first write of enriched records
    with pytest.raises(SendFailed):
        asyncio.run(_drain(_enrich_consumer(broker, NOOP, "g"), broker, topics.NEWS, "g"))
    # The stop commits only what was done: nothing past the unwritten batch.
    assert broker.committed["g"] == {(topics.NEWS, 0): 0} and broker.values(topics.ENRICHED) == []
    # A restart reads the batch again from the last commit: nothing lost.
    asyncio.run(_drain(_enrich_consumer(broker, NOOP, "g"), broker, topics.NEWS, "g"))
    assert sorted(Enriched.model_validate_json(v).news_id for v in broker.values(topics.ENRICHED)) == ["n0", "n1", "n2"]
    assert broker.lag(topics.NEWS, "g") == 0


def test_offsets_are_committed_up_to_the_oldest_message_not_done() -> None:
    tracker = OffsetTracker()
    for offset in range(4):
        tracker.started(("t", 0), offset)
    tracker.finished(("t", 0), 0)
    tracker.finished(("t", 0), 2)
    assert tracker.commit_points() == {("t", 0): 1}
    tracker.finished(("t", 0), 1)
    tracker.finished(("t", 0), 3)
    assert tracker.commit_points() == {("t", 0): 4} and tracker.open_count() == 0


def test_the_scoring_stage_writes_alerts_keyed_by_incident() -> None:
    broker = MemoryBroker()
    storm = [
        record("b1", "BA", "Boeing files for Chapter 11", events=[("bankruptcy", 1.0)]),
        record("b2", "BA", "Boeing defaults on bonds", minutes=5, events=[("default", 0.95)]),
        record("c1", "AAPL", "Apple holds annual meeting", minutes=6, label="neutral"),
    ]
    for r in storm:
        broker.produce(topics.ENRICHED, (r.entity or r.news_id).encode(), r.to_json())
    engine = RiskEngine(RiskSettings(), DictStore())
    stage = ScoreStage(engine, engine.store, broker.sink())
    consumer = AtLeastOnceConsumer(broker.source(topics.ENRICHED, "g-score"), stage, max_batch=10, poll_timeout_s=0.01)
    asyncio.run(_drain(consumer, broker, topics.ENRICHED, "g-score"))
    alerts = [Alert.model_validate_json(m.value) for m in broker.messages(topics.ALERTS)]
    assert [(a.dedup_key, a.status, a.severity) for a in alerts] == [("BA", "firing", "critical")]
    assert {m.key for m in broker.messages(topics.ALERTS)} == {b"BA"}


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


def _dispatch(broker: MemoryBroker, url: str, state_dir: Path, timeout_s: float = 30.0) -> int:
    text = (
        f'[receivers.hook]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "HOOK_SECRET"\n\n'
        '[default_route]\nreceivers = ["hook"]\n'
    )
    config = parse_routing(text, state_dir / "routing.toml", env={"HOOK_SECRET": "whsec-memory-test"})
    ds = DispatchSettings(state_dir=state_dir / "ledger", commit_interval_s=0.05, poll_timeout_s=0.02)

    async def go() -> int:
        stop = asyncio.Event()

        async def until_done() -> None:
            deadline = asyncio.get_running_loop().time() + timeout_s
            # Polls the in-memory commits: nothing to wait on but the broker's state.
            while broker.lag(topics.ALERTS, ds.group_id) and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            stop.set()

        watcher = asyncio.create_task(until_done())
        handled = await run_dispatcher(broker.source(topics.ALERTS, ds.group_id), broker.sink(), config, ds, stop)
        await watcher
        return handled

    return asyncio.run(go())


def test_the_dispatcher_loop_delivers_parks_and_commits(tmp_path: Path, http_sink: HttpSink) -> None:
    broker = MemoryBroker(partitions=2)
    engine = RiskEngine(RiskSettings(), DictStore())
    [alert] = engine.process([record("b1", "BA", "Boeing files for Chapter 11", events=[("bankruptcy", 1.0)])])
    broker.produce(topics.ALERTS, alert.dedup_key.encode(), alert.to_json())
    broker.produce(topics.ALERTS, b"XX", b'{"not": "an alert"}')
    assert _dispatch(broker, http_sink.url("/hook"), tmp_path) == 2
    [seen] = http_sink.accepted("/hook")
    assert seen.json()["alert_id"] == alert.alert_id
    [parked] = [DeadLetter.model_validate_json(v) for v in broker.values(topics.ALERTS_DLQ)]
    assert parked.reason.startswith("not an Alert")
    assert broker.lag(topics.ALERTS, "finsentry-dispatch") == 0
    # Read again from the start (a lost commit): the ledger knows it, no second page.
    broker.committed.clear()
    _dispatch(broker, http_sink.url("/hook"), tmp_path)
    assert len(http_sink.accepted("/hook")) == 1


def test_news_to_a_page_without_a_broker(tmp_path: Path, tiny_model_dir: Path, http_sink: HttpSink) -> None:
    """The three stages chained over one in-memory broker, with the real (tiny) models."""
    settings = Settings()
    settings.sentiment.model_dir = tiny_model_dir
    settings.entities.separate_process = False
    models = load_models(settings, "default", build_default=False)
    broker = MemoryBroker()
    _news(broker, "n1", "Boeing files for Chapter 11 bankruptcy protection", tickers=["BA"])
    _news(broker, "n2", "Apple to hold annual shareholder meeting", minutes=5)
    asyncio.run(_drain(_enrich_consumer(broker, models), broker, topics.NEWS, "g-enrich"))
    engine = RiskEngine(settings.risk, DictStore())
    score = AtLeastOnceConsumer(
        broker.source(topics.ENRICHED, "g-score"),
        ScoreStage(engine, engine.store, broker.sink()),
        max_batch=64,
        poll_timeout_s=0.01,
    )
    asyncio.run(_drain(score, broker, topics.ENRICHED, "g-score"))
    _dispatch(broker, http_sink.url("/hook"), tmp_path)
    [page] = [s.json() for s in http_sink.accepted("/hook")]
    assert (page["entity"], page["severity"], page["fired_by"]) == ("BA", "critical", "n1")
    assert "bankruptcy" in page["event_types"]
