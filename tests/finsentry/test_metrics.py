"""finsentry.metrics: what each helper records and label hygiene (the lag monitor and Faust's
sensor, which talk to Kafka, are tested in tests/streams/test_monitoring.py)."""

from __future__ import annotations

import re
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from finsentry import metrics


def value(name: str, **labels: str) -> float:
    got = REGISTRY.get_sample_value(name, labels)
    return 0.0 if got is None else got


def test_invalid_reasons_are_precreated_and_counted_per_reason() -> None:
    for reason in metrics.INVALID_REASONS:
        assert REGISTRY.get_sample_value("finsentry_invalid_events_total", {"reason": reason}) is not None
    before = {r: value("finsentry_invalid_events_total", reason=r) for r in ("schema", "too_large")}
    metrics.observe_invalid_reasons(["schema", "too_large", "schema"])
    assert value("finsentry_invalid_events_total", reason="schema") == before["schema"] + 2
    assert value("finsentry_invalid_events_total", reason="too_large") == before["too_large"] + 1


def test_observe_batch_counts_consumed_and_fills_the_histogram() -> None:
    topic = f"t-{uuid.uuid4().hex[:6]}"
    count0 = value("finsentry_batch_size_count")
    sum0 = value("finsentry_batch_size_sum")
    le16 = value("finsentry_batch_size_bucket", le="16.0")
    metrics.observe_batch(12, topic=topic)
    metrics.observe_batch(300)
    assert value("finsentry_events_consumed_total", topic=topic) == 12
    assert value("finsentry_batch_size_count") == count0 + 2
    assert value("finsentry_batch_size_sum") == sum0 + 312
    assert value("finsentry_batch_size_bucket", le="16.0") == le16 + 1


def test_latency_is_measured_on_both_clocks_and_skips_missing_times() -> None:
    now = 1_800_000_000.0
    feed0 = value("finsentry_event_to_enriched_seconds_count", clock="published_at")
    kafka0 = value("finsentry_event_to_enriched_seconds_count", clock="kafka")
    sum0 = value("finsentry_event_to_enriched_seconds_sum", clock="published_at")
    two_hours_ago = datetime.fromtimestamp(now, UTC) - timedelta(hours=2)
    metrics.observe_enriched_latency([two_hours_ago, None, now - 1.5], [now - 0.25, now - 0.5], now=now)
    assert value("finsentry_event_to_enriched_seconds_count", clock="published_at") == feed0 + 2
    assert value("finsentry_event_to_enriched_seconds_count", clock="kafka") == kafka0 + 2
    assert value("finsentry_event_to_enriched_seconds_sum", clock="published_at") == pytest.approx(sum0 + 7201.5)
    # A backfill two hours old lands in a finite bucket, not only in +Inf.
    assert value("finsentry_event_to_enriched_seconds_bucket", clock="published_at", le="14400.0") >= 1


def test_alerts_sentiment_and_model_helpers() -> None:
    alerts = [
        SimpleNamespace(severity="high", event_type="guidance_cut", status="firing"),
        SimpleNamespace(severity="high", event_type="guidance_cut", status="firing"),
        SimpleNamespace(severity="low", event_type="guidance_cut", status="resolved"),
    ]
    hi0 = value("finsentry_alerts_total", severity="high", event_type="guidance_cut", status="firing")
    metrics.observe_alerts(alerts)
    assert value("finsentry_alerts_total", severity="high", event_type="guidance_cut", status="firing") == hi0 + 2
    assert value("finsentry_alerts_total", severity="low", event_type="guidance_cut", status="resolved") >= 1

    neg0 = value("finsentry_sentiment_total", label="negative")
    metrics.observe_sentiment(["negative", "neutral", "negative"])
    assert value("finsentry_sentiment_total", label="negative") == neg0 + 2

    n0 = value("finsentry_model_inference_seconds_count", model="entities", device="cpu")
    with metrics.time_model("entities", "cpu"):
        time.sleep(0.01)
    assert value("finsentry_model_inference_seconds_count", model="entities", device="cpu") == n0 + 1
    assert value("finsentry_model_inference_seconds_sum", model="entities", device="cpu") >= 0.01

    metrics.set_model_info("sentiment", name="minilm-finsent", version="abc123", device="cpu")
    labels = {"model": "sentiment", "name": "minilm-finsent", "version": "abc123", "device": "cpu"}
    assert REGISTRY.get_sample_value("finsentry_model_info", labels) == 1.0


def test_entity_risk_takes_tickers_and_refuses_text() -> None:
    metrics.set_entity_risk({"ACME": 72.5, "BRK.B": 10.0, "Acme shares plunge after fraud probe": 99.0})
    assert value("finsentry_entity_risk_score", entity="ACME") == 72.5
    assert value("finsentry_entity_risk_score", entity="BRK.B") == 10.0
    entities = {
        s.labels["entity"]
        for fam in REGISTRY.collect()
        if fam.name == "finsentry_entity_risk_score"
        for s in fam.samples
    }
    assert all(re.fullmatch(r"[A-Z0-9][A-Z0-9.\-]{0,9}", e) for e in entities)
    metrics.clear_entity_risk("ACME")
    assert REGISTRY.get_sample_value("finsentry_entity_risk_score", {"entity": "ACME"}) is None


def test_no_label_value_of_ours_carries_free_text() -> None:
    """Label values of finsentry_* series are short identifiers, never sentences."""
    for fam in REGISTRY.collect():
        if not fam.name.startswith("finsentry_"):
            continue
        for sample in fam.samples:
            for key, val in sample.labels.items():
                assert len(val) <= 64 and " " not in val, (fam.name, key, val)


def test_serve_metrics_answers_on_loopback() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server, _thread = metrics.serve_metrics("127.0.0.1", port)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert "finsentry_batch_size_bucket" in body
    assert "process_cpu_seconds_total" in body  # the default process collector
