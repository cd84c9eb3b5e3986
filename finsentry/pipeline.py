"""The transport-free core: a batch of NewsEvent in, enriched records and alerts out.

No Faust, no Kafka, no sockets here. The Kafka worker (streams/) and file mode
(finsentry/filemode.py) both call `enrich` and `RiskEngine.process`; `run_pipeline`
chains the two for file mode and tests.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from alerts.risk import RiskEngine
from finsentry.contracts import Alert, Enriched, NewsEvent, Sentiment, utcnow
from nlp.interfaces import Annotation, Annotator, BackgroundAnnotator, CharSpan, SentimentModel, SentimentReading


@dataclass(frozen=True)
class Models:
    sentiment: SentimentModel
    annotator: Annotator

    def versions(self) -> dict[str, str]:
        return {"sentiment": self.sentiment.version, "entities": self.annotator.version}


@dataclass
class Timings:
    """Seconds spent in each model for one batch (the caller turns them into metrics)."""

    sentiment_s: float = 0.0
    entities_s: float = 0.0


@dataclass
class EnrichResult:
    records: list[Enriched]
    timings: Timings = field(default_factory=Timings)


@dataclass
class PipelineResult:
    enriched: list[Enriched]
    alerts: list[Alert]
    timings: Timings


def enrich(
    batch: Sequence[NewsEvent],
    models: Models,
    *,
    fallback_times: Sequence[datetime | None] | None = None,
    max_chars: int = 2000,
    now: datetime | None = None,
) -> EnrichResult:
    """Run sentiment, entities and events over a batch; one record per (article, ticker).

    Event time is the feed's `published_at`, else `fallback_times[i]` (the Kafka
    timestamp), else the processing time.
    """
    if not batch:
        return EnrichResult(records=[])
    processed_at = now or utcnow()
    texts = [e.text[:max_chars] for e in batch]
    timings = Timings()
    feed_tickers = [e.tickers for e in batch]
    # A background annotator (another process) finds entities while sentiment runs here.
    pending = (
        models.annotator.submit(texts, feed_tickers) if isinstance(models.annotator, BackgroundAnnotator) else None
    )
    started = time.perf_counter()
    reading = models.sentiment.read(texts)
    sentiments = reading.sentiments
    timings.sentiment_s = time.perf_counter() - started
    if pending is not None:
        annotations = pending.result()
        timings.entities_s = pending.seconds
    else:
        started = time.perf_counter()
        annotations = models.annotator.annotate(texts, feed_tickers)
        timings.entities_s = time.perf_counter() - started
    versions = models.versions()
    started = time.perf_counter()
    towards = entity_sentiments(reading, annotations)
    timings.sentiment_s += time.perf_counter() - started

    records: list[Enriched] = []
    for i, (event, sentiment, ann) in enumerate(zip(batch, sentiments, annotations, strict=True)):
        fallback = fallback_times[i] if fallback_times is not None else None
        event_time = event.published_at or fallback or processed_at
        tickers: list[str | None] = list(dict.fromkeys(e.ticker for e in ann.entities if e.ticker))
        by_ticker = towards[i]
        entities = [e.model_copy(update={"sentiment": by_ticker[e.ticker]}) if e.ticker else e for e in ann.entities]
        for ticker in tickers or [None]:
            # model_construct: every field is already a validated record or a plain value,
            # and re-validating ~2 records per event costs more than the rest of the stage.
            records.append(
                Enriched.model_construct(
                    news_id=event.id,
                    entity=ticker,
                    headline=event.headline,
                    source=event.source,
                    url=event.url,
                    published_at=event_time,
                    sentiment=sentiment,
                    entity_sentiment=by_ticker[ticker] if ticker else None,
                    entities=entities,
                    events=ann.events,
                    model_versions=versions,
                    processed_at=processed_at,
                )
            )
    return EnrichResult(records=records, timings=timings)


def entity_sentiments(reading: SentimentReading, annotations: Sequence[Annotation]) -> list[dict[str, Sentiment]]:
    """Per article, the sentiment towards each linked ticker, from all of its mentions in one head call.

    A ticker only the feed gave (no mention in the text) gets the article's sentiment: the feed
    names the article's subject, and there is no span to read.
    """
    requests: list[tuple[int, list[CharSpan]]] = []
    keys: list[tuple[int, str]] = []
    out: list[dict[str, Sentiment]] = [{} for _ in annotations]
    for i, ann in enumerate(annotations):
        spans: dict[str, list[CharSpan]] = {}
        for e in ann.entities:
            if e.ticker:
                spans.setdefault(e.ticker, [])
                if e.start is not None and e.end is not None:
                    spans[e.ticker].append((e.start, e.end))
        for ticker, mentions in spans.items():
            if mentions:
                requests.append((i, mentions))
                keys.append((i, ticker))
            else:
                out[i][ticker] = reading.sentiments[i]
    for (i, ticker), sentiment in zip(keys, reading.towards(requests), strict=True):
        out[i][ticker] = sentiment
    return out


def run_pipeline(
    batch: Sequence[NewsEvent],
    models: Models,
    engine: RiskEngine,
    *,
    fallback_times: Sequence[datetime | None] | None = None,
    max_chars: int = 2000,
) -> PipelineResult:
    """Enrich a batch and score it: what file mode and the tests run end to end."""
    result = enrich(batch, models, fallback_times=fallback_times, max_chars=max_chars)
    alerts = engine.process(result.records)
    return PipelineResult(enriched=result.records, alerts=alerts, timings=result.timings)
