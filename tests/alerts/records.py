"""Builders of enriched records for scoring tests (real contract objects, no fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from finsentry.contracts import Enriched, Entity, Event, Sentiment, SentimentProbs

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# Seven distinct negative stories about one company: a burst.
BURST = [
    "Acme sued by shareholders over accounting",
    "Regulators open probe into Acme books",
    "Acme supplier halts shipments amid dispute",
    "Acme chief financial officer resigns abruptly",
    "Acme plunges as lenders pull credit line",
    "Acme warns of going concern doubts",
    "Acme misses bond coupon payment",
]

_PROBS = {
    "negative": SentimentProbs(negative=0.92, neutral=0.06, positive=0.02),
    "neutral": SentimentProbs(negative=0.03, neutral=0.94, positive=0.03),
    "positive": SentimentProbs(negative=0.02, neutral=0.08, positive=0.90),
}


def record(
    news_id: str,
    ticker: str | None,
    headline: str,
    *,
    minutes: float = 0.0,
    label: str = "negative",
    events: list[tuple[str, float]] | None = None,
    source: str = "wire",
) -> Enriched:
    probs = _PROBS[label]
    return Enriched(
        news_id=news_id,
        entity=ticker,
        headline=headline,
        source=source,
        published_at=T0 + timedelta(minutes=minutes),
        sentiment=Sentiment(label=label, score=max(probs.negative, probs.neutral, probs.positive), probs=probs),  # type: ignore[arg-type]
        entities=[Entity(text=ticker, type="ORG", ticker=ticker, name=f"{ticker} Corp", sector="Tech", source="feed")]
        if ticker
        else [],
        events=[Event(type=t, trigger=t, severity=sev) for t, sev in (events or [])],
        model_versions={"sentiment": "test", "entities": "test"},
        processed_at=T0,
    )
