"""`finsentry worker`: one process running both stages, its metrics and its lag monitor."""

from __future__ import annotations

import logging

import faust

from finsentry import metrics, topics
from finsentry.pipeline import Models
from finsentry.settings import Settings
from streams.app import create_app
from streams.enrich import EnrichService

log = logging.getLogger(__name__)


def run_worker(
    settings: Settings, models: Models, *, watchlist: frozenset[str] = frozenset(), loglevel: str = "info"
) -> None:
    """Run until SIGINT/SIGTERM; Faust's worker stops the services cleanly on either."""
    app = create_app(settings, watchlist=watchlist)
    enrich = EnrichService(settings, models)
    metrics.set_model_info(
        "sentiment", name=models.sentiment.name, version=models.sentiment.version, device=models.sentiment.device
    )
    metrics.set_model_info("entities", name=models.annotator.name, version=models.annotator.version, device="cpu")
    r = settings.risk
    metrics.set_risk_thresholds({"critical": r.critical, "high": r.high, "medium": r.medium, "low": r.low})
    metrics.register_gpu_collector()
    metrics.serve_metrics(settings.metrics.host, settings.metrics.port)
    every = settings.metrics.lag_interval_s
    lag = metrics.LagMonitor(settings.kafka, enrich.group_id, [topics.NEWS], interval_s=every)
    lag_stage2 = metrics.LagMonitor(settings.kafka, settings.stream.app_id, [topics.ENRICHED], interval_s=every)
    lag.start()
    lag_stage2.start()
    log.info(
        "worker %s: %s -> %s -> %s (Kafka %s, batch %d / %.2fs)",
        settings.stream.app_id,
        topics.NEWS,
        topics.ENRICHED,
        topics.ALERTS,
        settings.kafka,
        settings.stream.batch_size,
        settings.stream.batch_timeout_s,
    )
    try:
        worker = faust.Worker(app, enrich, loglevel=loglevel, loop=None, redirect_stdouts=False, override_logging=False)
        worker.execute_from_commandline()
    finally:
        lag.stop()
        lag_stage2.stop()
