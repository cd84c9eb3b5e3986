"""A real Prometheus scrapes a running worker and dispatcher while news flows through the
real broker; every PromQL expression we ship must evaluate, and the key series have data.

Run alone with `-s` to see the figures Prometheus measured (throughput, latency, batches).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from finsentry import topics
from tests.alerts.dispatch_servers import SmtpSink
from tests.deploy.promql import (
    INSTALL_HINT,
    PrometheusProc,
    dashboard_exprs,
    grafana_to_promql,
    loopback_config,
    rule_exprs,
)
from tests.kafka_helpers import produce
from tests.streams.worker_proc import WorkerProc

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

TICKERS = ("AAPL", "MSFT", "NVDA", "JPM", "XOM")
WAVES = 5
VALID_PER_WAVE = 40
INVALID = [b"{not json", b'{"id": "x1"}', b"\xff\xfe not utf-8", b'{"id": "x2", "headline": 42}']


@dataclass
class Stack:
    prom: PrometheusProc
    worker: WorkerProc
    group: str
    valid: int
    invalid: int


def _news(wave: int, i: int, now: datetime) -> dict[str, object]:
    # Every fifth record is a two-hour-old backfill: it must land in the published_at
    # clock's hour buckets while the Kafka clock stays sub-second.
    age = timedelta(hours=2) if i % 5 == 0 else timedelta(seconds=1)
    return {
        "id": f"obs-{wave}-{i}-{uuid.uuid4().hex[:6]}",
        "headline": f"{TICKERS[i % len(TICKERS)]} shares fall after guidance cut, wave {wave}",
        "published_at": (now - age).isoformat().replace("+00:00", "Z"),
        "tickers": [TICKERS[i % len(TICKERS)]],
    }


def _dispatcher(bootstrap: str, metrics_port: int, workdir: Path, smtp_port: int) -> subprocess.Popen[bytes]:
    routing = workdir / "routing.toml"
    routing.write_text(
        "[receivers.desk]\n"
        'type = "smtp"\nhost = "127.0.0.1"\n'
        f"port = {smtp_port}\n"
        'tls = "none"\nfrom = "finsentry@example.com"\nto = ["desk@example.com"]\n\n'
        '[default_route]\nreceivers = ["desk"]\n'
    )
    env = {
        **os.environ,
        "FINSENTRY_KAFKA": bootstrap,
        # The dispatcher serves on port + 1, next to the worker's port.
        "FINSENTRY_METRICS__PORT": str(metrics_port),
        "FINSENTRY_DISPATCH__GROUP_ID": f"obs-dispatch-{uuid.uuid4().hex[:8]}",
        "FINSENTRY_DISPATCH__STATE_DIR": str(workdir / "dispatch"),
    }
    log = (workdir / "dispatcher.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "finsentry.cli", "dispatch", "--routing", str(routing)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("observability")
    if shutil.which("prometheus") is None:
        pytest.skip(INSTALL_HINT)

    app_id = f"obs-{uuid.uuid4().hex[:8]}"
    model = "default" if Path("var/models/default").is_dir() else "noop"
    worker = WorkerProc(kafka_bootstrap, app_id, workdir, model=model)
    smtp = SmtpSink().start()
    dispatcher = _dispatcher(kafka_bootstrap, worker.metrics_port, workdir, smtp.port)
    prom = PrometheusProc(
        workdir / "prometheus",
        loopback_config(
            {
                "finsentry-worker": f"127.0.0.1:{worker.metrics_port}",
                "finsentry-dispatcher": f"127.0.0.1:{worker.metrics_port + 1}",
            }
        ),
    )
    try:
        prom.wait_ready()
        worker.wait_ready(timeout_s=180)
        valid = invalid = 0
        for wave in range(WAVES):
            now = datetime.now(UTC)
            valid += produce(kafka_bootstrap, topics.NEWS, [_news(wave, i, now) for i in range(VALID_PER_WAVE)])
            invalid += produce(kafka_bootstrap, topics.NEWS, INVALID)
            time.sleep(2.0)
        yield Stack(prom=prom, worker=worker, group=f"{app_id}-enrich", valid=valid, invalid=invalid)
    finally:
        prom.stop()
        dispatcher.terminate()
        try:
            dispatcher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dispatcher.kill()
        worker.stop()
        smtp.stop()


def _wait_for_pipeline(stack: Stack) -> None:
    p = stack.prom
    enriched = p.wait_for(
        'sum(finsentry_events_produced_total{job="finsentry-worker",topic="news.enriched"})',
        lambda v: v >= stack.valid,
        timeout_s=180,
    )
    assert enriched is not None and enriched >= stack.valid, (
        f"worker enriched {enriched} of {stack.valid} in time:\n{stack.worker.log()[-3000:]}"
    )
    # The lag monitor polls every few seconds; wait for it to see the group's commits.
    lag = p.wait_for(
        f'sum(finsentry_consumer_lag{{group="{stack.group}",topic="news"}})', lambda v: v == 0, timeout_s=60
    )
    assert lag == 0, f"lag of {stack.group} on news did not drain: {lag}"
    time.sleep(3)  # a few more scrapes so 15 s rate windows hold the whole run


def test_every_shipped_promql_expression_evaluates(stack: Stack) -> None:
    _wait_for_pipeline(stack)
    exprs = dashboard_exprs() + rule_exprs()
    assert len(exprs) >= 40
    failures, empty = [], []
    for e in exprs:
        body = stack.prom.query(grafana_to_promql(e.expr))
        if body.get("status") != "success":
            failures.append(f"{e.where}: {body.get('errorType')}: {body.get('error')}\n    {e.expr}")
        elif not body["data"]["result"]:
            empty.append(e.where)
    assert not failures, "\n".join(failures)
    print(f"\n{len(exprs)} expressions evaluated, {len(exprs) - len(empty)} with data; empty: {empty}")


def test_key_series_have_data(stack: Stack) -> None:
    _wait_for_pipeline(stack)
    p = stack.prom
    at_least = {
        'up{job="finsentry-worker"}': 1,
        'up{job="finsentry-dispatcher"}': 1,
        'sum(finsentry_events_consumed_total{topic="news"})': stack.valid + stack.invalid,
        'sum(finsentry_events_produced_total{topic="news.dlq"})': stack.invalid,
        'sum(finsentry_invalid_events_total{reason="invalid_json"})': 1,
        'sum(finsentry_invalid_events_total{reason="invalid_utf8"})': 1,
        'sum(finsentry_invalid_events_total{reason="schema"})': 2,
        "sum(finsentry_batch_size_count)": 1,
        'sum(finsentry_model_inference_seconds_count{model="sentiment"})': 1,
        'sum(finsentry_model_inference_seconds_count{model="entities"})': 1,
        'sum(finsentry_event_to_enriched_seconds_count{clock="kafka"})': stack.valid,
        'sum(finsentry_event_to_enriched_seconds_count{clock="published_at"})': stack.valid,
        "sum(finsentry_sentiment_total)": stack.valid,
        'sum(finsentry_events_consumed_total{topic="news.enriched"})': stack.valid,
        "count(finsentry_model_info)": 2,
        f'count(finsentry_consumer_lag{{group="{stack.group}",topic="news"}})': len(range(topics.PARTITIONS["news"])),
        'count(finsentry_entity_risk_score{entity=~"AAPL|MSFT|NVDA|JPM|XOM"})': len(TICKERS),
        'process_resident_memory_bytes{job="finsentry-worker"}': 1,
        'count(finsentry_deliveries_total{job="finsentry-dispatcher"})': 1,
    }
    short = {expr: p.scalar(expr) for expr in at_least}
    missing = {e: v for e, v in short.items() if v is None or v < at_least[e]}
    assert not missing, (
        f"series below their floor (expr: got, floor): { {e: (v, at_least[e]) for e, v in missing.items()} }"
    )

    # The backfilled fifth of the records sits in the published_at clock's hour buckets.
    old = p.scalar(
        'sum(finsentry_event_to_enriched_seconds_count{clock="published_at"})'
        ' - sum(finsentry_event_to_enriched_seconds_bucket{clock="published_at",le="3600.0"})'
    )
    assert old is not None and old >= stack.valid // 5

    # Panels that must draw something after a run like this one.
    for expr in (
        "sum by (topic) (rate(finsentry_events_consumed_total[$__range]))",
        'histogram_quantile(0.95, sum by (le) (rate(finsentry_event_to_enriched_seconds_bucket{clock="kafka"}[$__range])))',
        "sum by (reason) (rate(finsentry_invalid_events_total[$__range]))",
        "histogram_quantile(0.5, sum by (le) (rate(finsentry_batch_size_bucket[$__range])))",
        "topk(15, max by (entity) (finsentry_entity_risk_score))",
        "sum by (label) (increase(finsentry_sentiment_total[$__range]))",
    ):
        assert p.vector(grafana_to_promql(expr)), expr

    figures = {
        "consumed news/s (peak 15s rate)": p.scalar(
            'max_over_time(sum(rate(finsentry_events_consumed_total{topic="news"}[15s]))[5m:1s])'
        ),
        "kafka->enriched p50 s": p.scalar(
            'histogram_quantile(0.5, sum by (le) (increase(finsentry_event_to_enriched_seconds_bucket{clock="kafka"}[5m])))'
        ),
        "kafka->enriched p95 s": p.scalar(
            'histogram_quantile(0.95, sum by (le) (increase(finsentry_event_to_enriched_seconds_bucket{clock="kafka"}[5m])))'
        ),
        "mean batch size": p.scalar("sum(finsentry_batch_size_sum) / sum(finsentry_batch_size_count)"),
        "sentiment model mean s/batch": p.scalar(
            'sum(finsentry_model_inference_seconds_sum{model="sentiment"})'
            ' / sum(finsentry_model_inference_seconds_count{model="sentiment"})'
        ),
        "worker RSS MiB": (p.scalar('process_resident_memory_bytes{job="finsentry-worker"}') or 0) / 2**20,
    }
    print("\nmeasured by Prometheus:", {k: None if v is None else round(v, 4) for k, v in figures.items()})


def test_rules_load_and_evaluate_healthy(stack: Stack) -> None:
    _wait_for_pipeline(stack)
    groups = stack.prom.api("rules")["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) == len(rule_exprs())
    unhealthy = {r["name"]: r.get("lastError") for r in rules if r["health"] != "ok"}
    assert not unhealthy, unhealthy
    firing = {a["labels"]["alertname"] for a in stack.prom.api("alerts")["data"]["alerts"] if a["state"] != "inactive"}
    # A healthy run: the worker and dispatcher are up, nothing lags, nothing fails.
    assert not firing & {"FinsentryWorkerDown", "FinsentryNoWorker", "FinsentryDispatcherDown"}, firing


def test_worker_down_rule_fires_when_the_worker_dies(stack: Stack) -> None:
    """Last in this module: it kills the worker and watches the real rule go pending."""
    _wait_for_pipeline(stack)
    stack.worker.kill()
    deadline = time.monotonic() + 30
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        alerts = stack.prom.api("alerts")["data"]["alerts"]
        states = {a["labels"]["alertname"]: a["state"] for a in alerts}
        if states.get("FinsentryWorkerDown") in ("pending", "firing"):
            break
        time.sleep(0.5)
    assert states.get("FinsentryWorkerDown") in ("pending", "firing"), states
    assert stack.prom.scalar('up{job="finsentry-worker"}') == 0
