"""File mode: JSONL in, JSONL out, no broker; the same pipeline as the Kafka worker.

Invalid lines are reported with their line numbers and skipped, never fatal, so a year
of headlines can be backtested in one run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from alerts.risk import RiskEngine
from alerts.state import DictStore
from finsentry.contracts import NewsEvent
from finsentry.pipeline import Models, run_pipeline
from finsentry.settings import Settings
from finsentry.validation import InvalidEvent, parse_news

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    lines: int = 0
    valid: int = 0
    enriched: int = 0
    alerts: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def _read_events(
    path: Path, settings: Settings, report: FileReport, on_bytes: Callable[[int], None]
) -> Iterator[NewsEvent]:
    skew = timedelta(seconds=settings.stream.max_future_skew_s)
    now = datetime.now(UTC)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            on_bytes(len(raw))
            line = raw.strip()
            if not line:
                continue
            report.lines += 1
            try:
                yield parse_news(line, max_text_bytes=settings.stream.max_text_bytes, max_future_skew=skew, now=now)
            except InvalidEvent as exc:
                report.invalid.append((lineno, str(exc)))
                log.warning("%s:%d skipped: %s", path, lineno, exc)


def score_file(
    src: Path,
    out: Path,
    models: Models,
    settings: Settings,
    *,
    alerts_out: Path | None = None,
    watchlist: frozenset[str] = frozenset(),
    on_bytes: Callable[[int], None] = lambda n: None,
) -> FileReport:
    """Enrich every valid line of `src` into `out` and, with `alerts_out`, score it.

    Events are processed in file order (a backtest file should be sorted by
    published_at); risk state lives in memory for the run.
    """
    report = FileReport()
    engine = RiskEngine(settings.risk, DictStore(), watchlist=watchlist)
    batch: list[NewsEvent] = []
    alert_fh: IO[bytes] | None = alerts_out.open("wb") if alerts_out else None
    try:
        with out.open("wb") as enriched_fh:

            def flush() -> None:
                result = run_pipeline(batch, models, engine, max_chars=settings.stream.model_text_chars)
                enriched_fh.writelines(r.to_json() + b"\n" for r in result.enriched)
                report.valid += len(batch)
                report.enriched += len(result.enriched)
                if alert_fh is not None:
                    alert_fh.writelines(a.to_json() + b"\n" for a in result.alerts)
                    report.alerts += len(result.alerts)
                batch.clear()

            for event in _read_events(src, settings, report, on_bytes):
                batch.append(event)
                if len(batch) >= settings.stream.batch_size:
                    flush()
            if batch:
                flush()
    finally:
        if alert_fh is not None:
            alert_fh.close()
    return report
