"""Every Prometheus metric of the finsentry pipeline, in one module.

The worker calls the small `observe_*` / `set_*` functions below once per batch (not once
per event where it can be helped), and `serve_metrics` once at start-up. All metrics live
on prometheus_client's default registry, next to its process, platform and GC collectors,
so one `/metrics` page shows them all. The dispatcher keeps its delivery metrics in
alerts/dispatch/metrics.py, on the same registry, with the same `finsentry_` prefix.

Label values are always drawn from small fixed sets (topic names, reasons, model kinds,
severities, event-type ids, sentiment labels) or from tickers of the company list, which
is bounded (~500 names); no article text ever becomes a label value. `set_entity_risk`
rejects anything that does not look like a ticker for that reason.

docs/observability.md lists every metric with its labels and the PromQL that reads it.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info, disable_created_metrics, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from finsentry.contracts import SENTIMENT_LABELS
from finsentry.validation import REASONS, Reason

if TYPE_CHECKING:
    from wsgiref.simple_server import WSGIServer

log = logging.getLogger(__name__)

# The `_created` companion series double the series count and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# The dead-letter reasons are defined once, by the validation that produces them.
InvalidReason = Reason
INVALID_REASONS: Final[tuple[InvalidReason, ...]] = REASONS

ModelKind = Literal["sentiment", "entities"]
MODEL_KINDS: Final[tuple[ModelKind, ...]] = ("sentiment", "entities")

# Latency is measured twice: from the feed's `published_at` (what a reader feels, includes
# the feed's own delay and any backfill) and from the Kafka record timestamp (what the
# pipeline itself adds).
LatencyClock = Literal["published_at", "kafka"]
LATENCY_CLOCKS: Final[tuple[LatencyClock, ...]] = ("published_at", "kafka")

# Seconds from 10 ms up to a week: live traffic lands in the sub-second buckets, while a
# backfill of yesterday's headlines measured on the `published_at` clock lands in the
# hour/day buckets instead of all piling up in +Inf.
LATENCY_BUCKETS: Final[tuple[float, ...]] = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    86400.0,
    7 * 86400.0,
)
MODEL_BUCKETS: Final[tuple[float, ...]] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
# Powers of two up to twice the default batch bound (StreamSettings.batch_size = 512).
BATCH_BUCKETS: Final[tuple[float, ...]] = tuple(float(2**i) for i in range(12))

EVENTS_CONSUMED = Counter("finsentry_events_consumed_total", "Records read from a Kafka topic.", ["topic"])
EVENTS_PRODUCED = Counter("finsentry_events_produced_total", "Records written to a Kafka topic.", ["topic"])
INVALID_EVENTS = Counter(
    "finsentry_invalid_events_total", "News records sent to the dead-letter topic, by reason.", ["reason"]
)
BATCH_SIZE = Histogram("finsentry_batch_size", "Events per pipeline batch.", buckets=BATCH_BUCKETS)
MODEL_INFERENCE = Histogram(
    "finsentry_model_inference_seconds",
    "Wall time of one batched model call.",
    ["model", "device"],
    buckets=MODEL_BUCKETS,
)
EVENT_TO_ENRICHED = Histogram(
    "finsentry_event_to_enriched_seconds",
    "From the event's time to its enriched record being produced.",
    ["clock"],
    buckets=LATENCY_BUCKETS,
)
EVENT_TO_ALERT = Histogram(
    "finsentry_event_to_alert_seconds",
    "From the newest contributing event's time to the alert being produced.",
    ["clock"],
    buckets=LATENCY_BUCKETS,
)
ALERTS = Counter(
    "finsentry_alerts_total",
    "Alerts produced, by severity, event type and status.",
    ["severity", "event_type", "status"],
)
SENTIMENT = Counter("finsentry_sentiment_total", "Articles scored, by sentiment label.", ["label"])
ENTITY_RISK = Gauge(
    "finsentry_entity_risk_score",
    "Latest risk score (0-100) of a ticker; one series per ticker of the company list.",
    ["entity"],
)
CONSUMER_LAG = Gauge(
    "finsentry_consumer_lag",
    "Messages not yet committed by the group: end offset minus committed offset.",
    ["group", "topic", "partition"],
)
LAG_POLLS = Counter("finsentry_lag_polls_total", "Lag monitor polls of the broker, by outcome.", ["outcome"])
LAG_LAST_POLL = Gauge("finsentry_lag_last_poll_timestamp_seconds", "Unix time of the last successful lag poll.")
BROKER_UP = Gauge(
    "finsentry_kafka_broker_up",
    "1 while this process's last contact with Kafka succeeded, 0 while the broker is unreachable.",
)
RISK_THRESHOLD = Gauge(
    "finsentry_risk_threshold",
    "The risk score at which each severity starts (settings.risk), for dashboards to compare against.",
    ["severity"],
)
MODEL_INFO = Info("finsentry_model", "The model serving each stage.", ["model"])

# Created up front so dashboards and rules see zeros, not "no data", before the first event.
for _reason in INVALID_REASONS:
    INVALID_EVENTS.labels(reason=_reason)
for _clock in LATENCY_CLOCKS:
    EVENT_TO_ENRICHED.labels(clock=_clock)
    EVENT_TO_ALERT.labels(clock=_clock)
for _label in SENTIMENT_LABELS:
    SENTIMENT.labels(label=_label)
for _outcome in ("ok", "error"):
    LAG_POLLS.labels(outcome=_outcome)

_TICKER = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,9}$")


# --------------------------------------------------------------------------- the hot path


def observe_consumed(topic: str, n: int) -> None:
    if n:
        EVENTS_CONSUMED.labels(topic=topic).inc(n)


def observe_produced(topic: str, n: int) -> None:
    if n:
        EVENTS_PRODUCED.labels(topic=topic).inc(n)


def observe_invalid(reason: InvalidReason, n: int = 1) -> None:
    INVALID_EVENTS.labels(reason=reason).inc(n)


def observe_invalid_reasons(reasons: Iterable[InvalidReason]) -> None:
    """A batch's dead letters: one counter call per distinct reason."""
    for reason, n in Tally(reasons).items():
        INVALID_EVENTS.labels(reason=reason).inc(n)


def observe_batch(size: int, *, topic: str | None = None) -> None:
    """One pipeline batch of `size` events; with `topic`, also counts them as consumed."""
    BATCH_SIZE.observe(size)
    if topic is not None:
        observe_consumed(topic, size)


def observe_model(model: ModelKind, device: str, seconds: float) -> None:
    MODEL_INFERENCE.labels(model=model, device=device).observe(seconds)


@contextmanager
def time_model(model: ModelKind, device: str) -> Iterator[None]:
    """`with time_model("sentiment", "cpu"): model.predict(texts)` observes its wall time."""
    started = time.perf_counter()
    try:
        yield
    finally:
        observe_model(model, device, time.perf_counter() - started)


def _epoch(t: datetime | float | None) -> float | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return t.timestamp()
    return float(t)


def _observe_latency(
    histogram: Histogram,
    published_at: Iterable[datetime | float | None],
    kafka_ts: Iterable[datetime | float | None],
    now: float | None,
) -> None:
    # Labelled children are fetched once per batch; observe() on a child is a lock and an add.
    end = time.time() if now is None else now
    by_feed = histogram.labels(clock="published_at")
    by_kafka = histogram.labels(clock="kafka")
    for t in published_at:
        e = _epoch(t)
        if e is not None:
            by_feed.observe(max(0.0, end - e))
    for t in kafka_ts:
        e = _epoch(t)
        if e is not None:
            by_kafka.observe(max(0.0, end - e))


def observe_enriched_latency(
    published_at: Iterable[datetime | float | None],
    kafka_ts: Iterable[datetime | float | None] = (),
    *,
    now: float | None = None,
) -> None:
    """Event-to-enriched latency for a batch. Times are datetimes or Unix seconds (Kafka's
    millisecond timestamps must be divided by 1000 first); None entries are skipped."""
    _observe_latency(EVENT_TO_ENRICHED, published_at, kafka_ts, now)


def observe_alert_latency(
    published_at: Iterable[datetime | float | None],
    kafka_ts: Iterable[datetime | float | None] = (),
    *,
    now: float | None = None,
) -> None:
    """Event-to-alert latency for the alerts of a batch (same conventions as above)."""
    _observe_latency(EVENT_TO_ALERT, published_at, kafka_ts, now)


def observe_sentiment(labels: Iterable[str]) -> None:
    """The sentiment labels of a batch's articles (one per article, not per ticker)."""
    for label, n in Tally(labels).items():
        SENTIMENT.labels(label=label).inc(n)


def observe_alerts(alerts: Iterable[Any]) -> None:
    """Alerts produced (contracts.Alert or anything with severity, event_type, status)."""
    for (severity, event_type, status), n in Tally((a.severity, a.event_type, a.status) for a in alerts).items():
        ALERTS.labels(severity=severity, event_type=event_type, status=status).inc(n)


def set_entity_risk(scores: Mapping[str, float]) -> None:
    """Latest risk score per ticker. Keys that do not look like tickers are dropped (and
    logged once per call), so a bug upstream cannot turn headlines into label values."""
    rejected = 0
    for entity, score in scores.items():
        if _TICKER.match(entity):
            ENTITY_RISK.labels(entity=entity).set(score)
        else:
            rejected += 1
    if rejected:
        log.warning("dropped %d entity risk values whose key is not a ticker", rejected)


def clear_entity_risk(entity: str) -> None:
    """Forget a ticker's series (e.g. once its risk has decayed to zero)."""
    with suppress(KeyError):
        ENTITY_RISK.remove(entity)


def set_risk_thresholds(thresholds: Mapping[str, float]) -> None:
    """Publish settings.risk's severity thresholds, e.g. {"critical": 85, "high": 70, ...},
    so dashboards read them instead of repeating the numbers."""
    for severity, score in thresholds.items():
        RISK_THRESHOLD.labels(severity=severity).set(score)


def set_broker_up(up: bool) -> None:
    """Whether the last contact with Kafka (a lag poll, a connection, a write) succeeded."""
    BROKER_UP.set(1 if up else 0)


def set_model_info(model: ModelKind, *, name: str, version: str, device: str) -> None:
    MODEL_INFO.labels(model=model).info({"name": name, "version": version, "device": device})


# --------------------------------------------------------------------------- GPU memory


class GpuMemoryCollector(Collector):
    """`finsentry_gpu_memory_bytes{device,kind}` read from torch at scrape time.

    It reports only when torch is already imported by the process and CUDA is available
    and initialised, so it costs nothing (and imports nothing) on CPU-only workers.
    """

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "finsentry_gpu_memory_bytes", "CUDA memory held by this process's torch.", labels=["device", "kind"]
        )

    def collect(self) -> Iterable[GaugeMetricFamily]:
        torch = sys.modules.get("torch")
        family = self._family()
        try:
            if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
                for i in range(torch.cuda.device_count()):
                    dev = f"cuda:{i}"
                    family.add_metric([dev, "allocated"], float(torch.cuda.memory_allocated(i)))
                    family.add_metric([dev, "reserved"], float(torch.cuda.memory_reserved(i)))
        except Exception:  # a scrape must never fail because a driver hiccupped
            log.debug("GPU memory read failed", exc_info=True)
        if family.samples:
            yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # Names the metric to the registry (duplicate checks) without touching torch.
        return [self._family()]


_gpu_lock = threading.Lock()
_gpu_registered = False


def register_gpu_collector() -> None:
    """Idempotent: add the GPU memory collector to the default registry."""
    global _gpu_registered
    with _gpu_lock:
        if not _gpu_registered:
            REGISTRY.register(GpuMemoryCollector())
            _gpu_registered = True


register_gpu_collector()


# --------------------------------------------------------------------------- serving


def serve_metrics(host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """Serve the default registry on http://host:port/metrics from a daemon thread."""
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return server, thread
