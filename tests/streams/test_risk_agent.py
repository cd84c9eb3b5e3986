"""Stage 2 on a real broker: enriched records keyed by ticker -> Faust table -> alerts."""

from __future__ import annotations

import signal
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from finsentry import topics
from finsentry.contracts import Enriched
from tests.alerts.records import BURST, record
from tests.kafka_helpers import produce, read_topic
from tests.streams.worker_proc import WorkerProc

pytestmark = pytest.mark.kafka


def send_enriched(bootstrap: str, records: list[Enriched]) -> None:
    produce(bootstrap, topics.ENRICHED, [r.to_json() for r in records], key=lambda v: _key_of(v, records))


def _key_of(value: bytes, records: list[Enriched]) -> bytes:
    import orjson

    data = orjson.loads(value)
    return (data["entity"] or data["news_id"]).encode()


def alerts_until(
    bootstrap: str, pred: Callable[[list[dict[str, Any]]], bool], timeout_s: float = 90
) -> list[dict[str, Any]]:
    return [
        r["value"]
        for r in read_topic(
            bootstrap, topics.ALERTS, until=lambda rs: pred([r["value"] for r in rs]), timeout_s=timeout_s
        )
    ]


def assert_no_key_fires_twice(alerts: list[dict[str, Any]]) -> None:
    """Each (dedup_key, severity) fires under one alert_id; copies of it are at-least-once redelivery."""
    ids: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for a in alerts:
        ids[(a["dedup_key"], a["status"], a["severity"])].add(a["alert_id"])
    doubled = {k: v for k, v in ids.items() if len(v) > 1}
    assert not doubled, doubled


def test_burst_fires_once_escalates_and_resolves_neutral_fires_nothing(
    fresh_kafka: Callable[[], str], tmp_path: Path
) -> None:
    bootstrap = fresh_kafka()
    worker = WorkerProc(bootstrap, "risk", tmp_path)
    try:
        worker.wait_ready()
        neutral = [
            record(f"neu-{i}", f"N{i % 30}", f"Company {i} schedules annual meeting", minutes=i / 10, label="neutral")
            for i in range(300)
        ]
        burst = [record(f"b{i}", "ACME", h, minutes=i * 3, events=[("lawsuit", 0.6)]) for i, h in enumerate(BURST)]
        send_enriched(bootstrap, neutral + burst)
        fired = alerts_until(bootstrap, lambda al: len({a["severity"] for a in al}) >= 2, timeout_s=90)
        # Calm: a quiet day later, on event time.
        send_enriched(bootstrap, [record("calm", "N1", "Company 1 names director", minutes=24 * 60, label="neutral")])
        everything = alerts_until(bootstrap, lambda al: any(a["status"] == "resolved" for a in al), timeout_s=90)
        time.sleep(2)
        everything = alerts_until(bootstrap, lambda al: False, timeout_s=3)
    finally:
        assert worker.stop() == 0
    assert fired
    assert {a["dedup_key"] for a in everything} == {"ACME"}, "neutral news must fire nothing"
    firing = [a for a in everything if a["status"] == "firing"]
    order = ["low", "medium", "high", "critical"]
    severities = [order.index(a["severity"]) for a in firing]
    assert severities == sorted(set(severities)) and len(severities) >= 2
    assert [a["status"] for a in everything].count("resolved") == 1
    assert everything[-1]["status"] == "resolved"
    assert_no_key_fires_twice(everything)


def test_sigkill_mid_stream_loses_nothing_and_fires_each_key_once(
    fresh_kafka: Callable[[], str], tmp_path: Path
) -> None:
    bootstrap = fresh_kafka()
    tickers = [f"K{i}" for i in range(12)]
    records = []
    for step in range(len(BURST)):
        for t in tickers:
            records.append(
                record(
                    f"{t}-{step}",
                    t,
                    BURST[step].replace("Acme", t),
                    minutes=step * 3,
                    events=[("fraud_allegation", 0.9)],
                )
            )
    news = [
        {"id": f"kill-{i}", "headline": f"Company {i} news", "published_at": "2026-03-02T09:00:00Z", "tickers": ["ZZ"]}
        for i in range(4000)
    ] + [b"{broken" for _ in range(50)]
    env = {"FINSENTRY_STREAM__BATCH_SIZE": "100"}
    first = WorkerProc(bootstrap, "kill", tmp_path, env=env)
    first.wait_ready()
    produce(bootstrap, topics.NEWS, news)
    send_enriched(bootstrap, records)
    # Kill once outputs are flowing but before everything is done.
    read_topic(bootstrap, topics.ENRICHED, until=lambda rs: len(rs) >= 500, timeout_s=60)
    first.stop(signal.SIGKILL)
    second = WorkerProc(bootstrap, "kill", tmp_path, env=env)
    try:
        second.wait_ready()
        want = {f"kill-{i}" for i in range(4000)}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want <= {r["value"]["news_id"] for r in rs}, timeout_s=120
        )
        dlq = read_topic(bootstrap, topics.NEWS_DLQ, until=lambda rs: len(rs) >= 50, timeout_s=60)
        alerts = alerts_until(bootstrap, lambda al: {a["entity"] for a in al} >= set(tickers), timeout_s=120)
        time.sleep(3)
        alerts = alerts_until(bootstrap, lambda al: False, timeout_s=3)
    finally:
        assert second.stop() == 0
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert len({(r["value"]["partition"], r["value"]["offset"]) for r in dlq}) == 50
    assert {a["entity"] for a in alerts} == set(tickers)
    assert_no_key_fires_twice(alerts)
