"""`finsentry worker`: the stages of one worker process, its metrics and its lag monitors.

`--stage all` (default) runs both stages in one process. Because the enrich stage is
model-bound and the scoring stage is light, large deployments run them as separate
process pools (`--stage enrich` / `--stage score`), each scaled by its own partitions.
"""

from __future__ import annotations

import logging
from typing import Literal

import faust

from finsentry import kafka_security, metrics, topics
from finsentry.pipeline import Models
from finsentry.settings import Settings
from streams.app import create_app
from streams.enrich import EnrichService
from streams.monitoring import LagMonitor
from streams.reconnect import Backoff, wait_until_reachable

log = logging.getLogger(__name__)

Stage = Literal["all", "enrich", "score"]


def run_worker(
    settings: Settings,
    models: Models,
    *,
    watchlist: frozenset[str] = frozenset(),
    loglevel: str = "info",
    stage: Stage = "all",
) -> None:
    """Run until SIGINT/SIGTERM; Faust's worker stops the services cleanly on either."""
    security = settings.kafka_security
    # Served first: while the worker waits for the broker, /metrics says so.
    metrics.serve_metrics(settings.metrics.host, settings.metrics.port)
    metrics.set_broker_up(False)
    # Faust exits when the broker is not up yet, and retries a refused login without end: one
    # direct connection, waited for as the stages' own clients wait, turns a refusal into one
    # clear error line and a non-zero exit.
    wait_until_reachable(settings.kafka, security, Backoff.of(settings.kafka_retry), what="starting the worker")
    enrich_on = stage in ("all", "enrich")
    score_on = stage in ("all", "score")
    app = create_app(settings, watchlist=watchlist, score=score_on)
    services = [EnrichService(settings, models)] if enrich_on else []
    if enrich_on:
        for kind, model, device in (
            ("sentiment", models.sentiment, models.sentiment.device),
            ("entities", models.annotator, models.annotator.device),
        ):
            metrics.set_model_info(kind, name=model.name, version=model.version, device=device)  # type: ignore[arg-type]
    r = settings.risk
    metrics.set_risk_thresholds({"critical": r.critical, "high": r.high, "medium": r.medium, "low": r.low})
    metrics.register_gpu_collector()
    every = settings.metrics.lag_interval_s
    monitors = []
    if enrich_on:
        monitors.append(
            LagMonitor(
                settings.kafka, f"{settings.stream.app_id}-enrich", [topics.NEWS], interval_s=every, security=security
            )
        )
    if score_on:
        monitors.append(
            LagMonitor(settings.kafka, settings.stream.app_id, [topics.ENRICHED], interval_s=every, security=security)
        )
    for monitor in monitors:
        monitor.start()
    log.info(
        "worker %s (stage %s): %s -> %s -> %s on Kafka %s (%s), batches of %d / %.2fs",
        settings.stream.app_id,
        stage,
        topics.NEWS,
        topics.ENRICHED,
        topics.ALERTS,
        settings.kafka,
        kafka_security.describe(security),
        settings.stream.batch_size,
        settings.stream.batch_timeout_s,
    )
    if settings.stream.event_loop == "uvloop":
        import mode.loop

        mode.loop.use("uvloop")
    try:
        worker = faust.Worker(app, *services, loglevel=loglevel, redirect_stdouts=False, override_logging=False)
        worker.execute_from_commandline()
    finally:
        for monitor in monitors:
            monitor.stop()
