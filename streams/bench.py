"""`finsentry bench pipeline`: events/s and latency through a real broker and a real worker.

It starts its own broker (fresh, on free loopback ports, in a temporary folder) and a
`finsentry worker` subprocess, so runs are comparable and nothing else is disturbed.

0. Models alone (real models only): sentiment, then entities, over the same N texts in
   batches of the worker's size, in this process while the broker idles: the models' own
   batched throughput, which `ratio` compares the pipeline with.
1. Throughput: N events are produced first, then the worker starts; the rate is the events
   completed after the first enriched record over the time from it to the last (Kafka
   timestamps of the enriched records).
2. Latency: events are then produced at a steady rate below that throughput; latency is
   output record time minus input record time (both Kafka CreateTime, one clock) for
   news -> news.enriched and, for alerts, news -> alerts (via the alert's last news id).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import orjson

from finsentry import kafka_local, kafka_security, topics
from finsentry.settings import get_settings
from streams.replay import sample_headlines

_CASHTAG = re.compile(r"\$([A-Z]{1,5})\b")
_NEGATIVE = [
    "{t} shares plunge after accounting fraud allegations",
    "{t} files for bankruptcy protection",
    "{t} hit with class action lawsuit over misleading investors",
    "{t} recalls products after safety defect",
    "{t} cuts full-year guidance as demand slumps",
]


@dataclass
class PipelineBench:
    model: str
    stage: str
    events: int
    events_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    latency_events: int
    latency_rate_per_s: float
    alert_p50_ms: float | None
    alert_p99_ms: float | None
    score_p50_ms: float | None
    alerts: int
    worker_cpu_us_per_event: float
    # The models alone (measure_models: each model by itself, same texts, same batch size)
    # and the pipeline's rate over it; None for --model noop, which measures the framework.
    models_per_s: float | None
    ratio: float | None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _headlines() -> list[tuple[str, list[str]]]:
    return [(text, _CASHTAG.findall(text)[:3] or ["SPY"]) for text in sample_headlines()]


def _news(i: int, pool: list[tuple[str, list[str]]], prefix: str) -> bytes:
    headline, tickers = pool[i % len(pool)]
    return orjson.dumps(
        {
            "id": f"{prefix}-{i}",
            "headline": headline,
            "published_at": datetime.now(UTC).isoformat(),
            "tickers": tickers,
            "source": "bench",
        }
    )


def measure_models(pool: list[tuple[str, list[str]]], events: int) -> float:
    """Events/s of the models alone: sentiment, then entities, each batched, one after the other.

    The same texts and batch size as the worker, each model in this process with the
    machine to itself: `bench model` and `bench entities` combined. The worker may beat it,
    as it runs the two models at once (entities in a child process).
    """
    from finsentry.models import load_models

    settings = get_settings()
    # Entities in this process: the baseline is each model alone, one after the other.
    in_process = settings.entities.model_copy(update={"separate_process": False})
    models = load_models(settings.model_copy(update={"entities": in_process}))
    sentiment, annotator = models.sentiment, models.annotator
    chars = settings.stream.model_text_chars
    texts = [pool[i % len(pool)][0][:chars] for i in range(events)]
    tickers = [pool[i % len(pool)][1] for i in range(events)]
    size = settings.stream.batch_size
    sentiment.predict(texts[:size])  # warm-up
    annotator.annotate(texts[:size], tickers[:size])
    started = time.perf_counter()
    for i in range(0, events, size):
        sentiment.predict(texts[i : i + size])
    sentiment_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, events, size):
        annotator.annotate(texts[i : i + size], tickers[i : i + size])
    entities_s = time.perf_counter() - started
    return events / (sentiment_s + entities_s)


def _probe_ticker(k: int) -> str:
    """A distinct made-up ticker per probe (QBA, QBB, ...: k + 26 in base 26 after a Q).

    Only distinctness matters (one dedup key each); a few far along the sequence are real
    symbols (QSR), which changes nothing for the timing.
    """
    letters = ""
    k += 26
    while k:
        k, r = divmod(k, 26)
        letters = chr(ord("A") + r) + letters
    return "Q" + letters


def _wait_caught_up(bootstrap: str, group: str, topic: str, log: Callable[[str], None], timeout_s: float = 300) -> None:
    from streams.monitoring import LagMonitor

    monitor = LagMonitor(bootstrap, group, [topic], client_id="finsentry-bench")
    deadline = time.monotonic() + timeout_s
    lag = -1
    try:
        while time.monotonic() < deadline:
            lag = sum(p.lag for p in monitor.poll_once())
            if lag == 0:
                return
            time.sleep(0.5)
    finally:
        monitor.close()
    log(f"stage 2 still {lag} records behind after {timeout_s:.0f}s; measuring latency anyway")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def throughput(out_times: list[float]) -> float:
    """Events per second from output timestamps; NaN when all came out in one batch.

    The first batch's outputs carry the first timestamp and the span runs from there, so only
    the events completed after it count (else a few big batches overstate the rate).
    """
    first = min(out_times)
    span = max(out_times) - first
    after_first = sum(1 for t in out_times if t > first + 0.001)
    if after_first == 0 or span <= 0:
        return float("nan")
    return after_first / span


class _Reader:
    """Reads a topic from the beginning, keeping the first Kafka time of each key field."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        from kafka import KafkaConsumer, TopicPartition

        self.consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_bytes=64 << 20)
        parts = None
        while parts is None:
            parts = self.consumer.partitions_for_topic(topic)
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        self.consumer.assign(tps)
        self.consumer.seek_to_beginning(*tps)

    def poll(self, on_record: Callable[[dict[str, object], float], None]) -> int:
        n = 0
        for msgs in self.consumer.poll(timeout_ms=200, max_records=50_000).values():
            for m in msgs:
                on_record(orjson.loads(m.value), m.timestamp / 1000)
                n += 1
        return n

    def close(self) -> None:
        self.consumer.close()


def run_pipeline_bench(
    *,
    model: str,
    events: int,
    latency_seconds: float = 8.0,
    latency_rate: float | None = None,
    log: Callable[[str], None] = print,
    extra_env: dict[str, str] | None = None,
    stage: str = "all",
) -> PipelineBench:
    from kafka import KafkaProducer

    workdir = Path(tempfile.mkdtemp(prefix="finsentry-bench-"))
    broker = kafka_local.LocalKafka(home=workdir / "kafka", port=kafka_local.free_port_pair(), heap="1g")
    log(f"starting a fresh broker on {broker.bootstrap}")
    broker.start(timeout_s=120)
    pool = _headlines()
    models_rate: float | None = None
    if model != "noop":
        log(f"measuring the models alone over {events} events")
        models_rate = measure_models(pool, events)
        log(f"models alone: {models_rate:,.1f} events/s")
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, linger_ms=20, batch_size=256 * 1024)
    worker: subprocess.Popen[bytes] | None = None
    scorer: subprocess.Popen[bytes] | None = None
    try:
        log(f"producing {events} events")
        for i in range(events):
            producer.send(topics.NEWS, _news(i, pool, "tp"))
        producer.flush()
        env = {
            # The throwaway broker is plaintext: the worker must not bring the user's TLS/SASL settings to it.
            **kafka_security.plaintext_env(os.environ),
            "FINSENTRY_KAFKA": broker.bootstrap,
            "FINSENTRY_STREAM__APP_ID": "bench",
            "FINSENTRY_STREAM__DATA_DIR": str(workdir / "faust"),
            "FINSENTRY_METRICS__PORT": str(kafka_local.free_port_pair()),
            "FINSENTRY_LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        log(f"starting the worker (--model {model}, --stage {stage})")
        # "split": the production layout of separate pools, one enrich and one score process.
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "finsentry.cli",
                "worker",
                "--model",
                model,
                "--stage",
                "enrich" if stage == "split" else stage,
            ],
            env=env,
            stdout=(workdir / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        if stage == "split":
            scorer = subprocess.Popen(
                [sys.executable, "-m", "finsentry.cli", "worker", "--stage", "score"],
                env={**env, "FINSENTRY_METRICS__PORT": str(kafka_local.free_port_pair())},
                stdout=(workdir / "scorer.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        enriched = _Reader(broker.bootstrap, topics.ENRICHED)
        out_time: dict[str, float] = {}

        def on_enriched(value: dict[str, object], ts: float) -> None:
            out_time.setdefault(str(value["news_id"]), ts)

        deadline = time.monotonic() + max(600.0, events / 50)
        cpu_start: float | None = None
        while sum(1 for k in out_time if k.startswith("tp-")) < events:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited: {(workdir / 'worker.log').read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("the worker did not drain the topic in time")
            enriched.poll(on_enriched)
            if cpu_start is None and out_time:
                cpu_start = _cpu_seconds(worker.pid)  # from the first output: model loading excluded
        cpu_used = _cpu_seconds(worker.pid) - (cpu_start or 0.0)
        times = [t for k, t in out_time.items() if k.startswith("tp-")]
        rate = throughput(times)
        span = max(times) - min(times)
        if math.isnan(rate):
            log(f"all {events} events came out in one batch; use --events well above the batch size to measure a rate")
        log(f"throughput: {rate:,.0f} events/s ({events} events in {span:.2f}s), worker CPU {cpu_used:.1f}s")

        # Stage 2 may still be scoring the backlog; latency starts from a caught-up worker,
        # else the first alerts would time the backlog, not the pipeline.
        if stage != "enrich":
            _wait_caught_up(broker.bootstrap, "bench", topics.ENRICHED, log)

        # Latency under a steady load below capacity.
        lat_rate = latency_rate or (max(1.0, min(rate * 0.5, 5000.0)) if math.isfinite(rate) else 100.0)
        n_lat = max(1, int(lat_rate * latency_seconds))
        sent_at: dict[str, float] = {}
        log(f"latency: {n_lat} events at {lat_rate:,.0f}/s")
        started = time.monotonic()
        for i in range(n_lat):
            ahead = i / lat_rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
            if i % 10 == 0:
                # A ticker of its own per negative headline, so each one fires and is timed
                # (one ticker would fire once per dedup key, then stay quiet).
                ticker = _probe_ticker(i // 10)
                neg = _NEGATIVE[(i // 10) % len(_NEGATIVE)].format(t=ticker)
                value = orjson.dumps(
                    {
                        "id": f"lat-{i}",
                        "headline": neg,
                        "tickers": [ticker],
                        "source": f"s{i % 3}",
                        "published_at": datetime.now(UTC).isoformat(),
                    }
                )
            else:
                value = _news(i, pool, "lat")
            fut = producer.send(topics.NEWS, value)
            fut.add_callback(lambda md, k=f"lat-{i}": sent_at.__setitem__(k, md.timestamp / 1000))
        producer.flush()
        deadline = time.monotonic() + 120
        while sum(1 for k in out_time if k.startswith("lat-")) < n_lat and time.monotonic() < deadline:
            enriched.poll(on_enriched)
        lat_ms = [(out_time[k] - sent_at[k]) * 1000 for k in sent_at if k in out_time]
        alerts = _Reader(broker.bootstrap, topics.ALERTS)
        alert_ms: list[float] = []
        score_ms: list[float] = []  # stage 2 alone: news.enriched -> alerts

        def on_alert(value: dict[str, object], ts: float) -> None:
            ids = value.get("news_ids") or []
            if value.get("status") == "firing" and isinstance(ids, list) and ids and ids[-1] in sent_at:
                alert_ms.append((ts - sent_at[ids[-1]]) * 1000)
                if ids[-1] in out_time:
                    score_ms.append((ts - out_time[ids[-1]]) * 1000)

        time.sleep(1.0)
        for _ in range(10):
            alerts.poll(on_alert)
        alerts.close()
        enriched.close()
        return PipelineBench(
            model=model,
            stage=stage,
            events=events,
            events_per_s=round(rate, 1),
            p50_ms=round(_percentile(lat_ms, 0.50), 2),
            p95_ms=round(_percentile(lat_ms, 0.95), 2),
            p99_ms=round(_percentile(lat_ms, 0.99), 2),
            latency_events=len(lat_ms),
            latency_rate_per_s=round(lat_rate, 1),
            alert_p50_ms=round(_percentile(alert_ms, 0.50), 2) if alert_ms else None,
            alert_p99_ms=round(_percentile(alert_ms, 0.99), 2) if alert_ms else None,
            score_p50_ms=round(_percentile(score_ms, 0.50), 2) if score_ms else None,
            alerts=len(alert_ms),
            worker_cpu_us_per_event=round(cpu_used / events * 1e6, 1),
            models_per_s=round(models_rate, 1) if models_rate else None,
            ratio=round(rate / models_rate, 3) if models_rate else None,
        )
    finally:
        producer.close()
        for proc in (worker, scorer):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def as_dict(result: PipelineBench) -> dict[str, object]:
    return asdict(result)
