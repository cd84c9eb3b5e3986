"""The worker on a real broker: valid news -> news.enriched, invalid -> news.dlq, commits after output."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from finsentry import topics
from tests.kafka_helpers import committed_offsets, produce_tracked, read_topic
from tests.streams.worker_proc import WorkerProc

pytestmark = pytest.mark.kafka


def news(i: int) -> bytes:
    return orjson.dumps(
        {
            "id": f"e2e-{i}",
            "headline": f"Company {i} reports quarterly results",
            "published_at": "2026-03-02T09:00:00Z",
            "tickers": [f"T{i % 7}"],
            "source": "test",
        }
    )


INVALID = [
    b"not json at all",
    b'{"id": 5, "headline": "numeric id"}',
    b'{"headline": "missing id"}',
    b'{"id": "x-ts", "headline": "h", "published_at": "not a date"}',
    b"\xff\xfe\x00",
    b"[]",
]


def test_valid_to_enriched_invalid_to_dlq_and_clean_stop(fresh_kafka: Callable[[], str], tmp_path: Path) -> None:
    bootstrap = fresh_kafka()
    values = [news(i) for i in range(40)] + INVALID
    produce_tracked(bootstrap, topics.NEWS, values)
    worker = WorkerProc(bootstrap, "e2e", tmp_path)
    try:
        worker.wait_ready()
        want_ids = {f"e2e-{i}" for i in range(40)}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want_ids <= {r["value"]["news_id"] for r in rs}, timeout_s=90
        )
        dlq = read_topic(bootstrap, topics.NEWS_DLQ, until=lambda rs: len(rs) >= len(INVALID), timeout_s=60)
    finally:
        code = worker.stop()
    assert code == 0, worker.log()[-3000:]
    by_id = {r["value"]["news_id"]: r for r in enriched}
    assert set(by_id) == want_ids
    sample = by_id["e2e-3"]
    assert sample["key"] == "T3"
    assert sample["value"]["entity"] == "T3"
    assert sample["value"]["sentiment"]["label"] in {"negative", "neutral", "positive"}
    assert sample["value"]["entities"][0]["ticker"] == "T3"
    assert {"news_id", "sentiment", "entities", "events", "model_versions", "processed_at"} <= set(sample["value"])

    assert len(dlq) == len(INVALID)
    originals = {base64.b64decode(r["value"]["original_b64"]) for r in dlq}
    assert originals == set(INVALID)
    for r in dlq:
        assert r["value"]["reason"]
        assert r["value"]["topic"] == topics.NEWS
        assert r["value"]["offset"] is not None and r["value"]["partition"] is not None
    reasons = {base64.b64decode(r["value"]["original_b64"]): r["value"]["reason"] for r in dlq}
    assert reasons[b"not json at all"].startswith("invalid_json")
    assert (
        reasons[b'{"headline": "missing id"}'].startswith("schema") and "id" in reasons[b'{"headline": "missing id"}']
    )
    assert reasons[b"\xff\xfe\x00"].startswith("invalid_utf8")
    assert "stopped" in worker.log()


def test_offsets_are_committed_only_after_outputs_exist(fresh_kafka: Callable[[], str], tmp_path: Path) -> None:
    bootstrap = fresh_kafka()
    n = 3000
    placed = produce_tracked(bootstrap, topics.NEWS, [news(i) for i in range(n)])
    where = {f"e2e-{i}": placed[i] for i in range(n)}
    worker = WorkerProc(bootstrap, "commit", tmp_path, env={"FINSENTRY_STREAM__BATCH_SIZE": "50"})
    checks = 0
    try:
        worker.wait_ready()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            committed = committed_offsets(bootstrap, "commit-enrich", topics.NEWS)
            # Read the outputs only after sampling the commits: anything committed must be there.
            done = {r["value"]["news_id"] for r in read_topic(bootstrap, topics.ENRICHED, timeout_s=10)}
            missing = [i for i, (p, off) in where.items() if off < committed.get(p, 0) and i not in done]
            assert not missing, f"committed before written: {missing[:5]}"
            checks += 1
            if sum(committed.values()) >= n:
                break
            time.sleep(0.3)
    finally:
        worker.stop()
    assert sum(committed_offsets(bootstrap, "commit-enrich", topics.NEWS).values()) == n
    assert checks >= 2
