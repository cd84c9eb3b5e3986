"""Builders of enriched records for scoring tests (real contract objects, no fakes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from finsentry.contracts import Enriched, Entity, Event, Magnitude, Sentiment, SentimentProbs

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
    entity_label: str | None = None,
    targets: dict[str, list[str]] | None = None,
    actor: str | None = None,
    magnitude: dict[str, Magnitude] | None = None,
) -> Enriched:
    """`targets` maps an event type to its targets (absent: the event has none recorded, as from
    producers before targets); `entity_label` is the sentiment towards `ticker` when it differs."""
    probs = _PROBS[label]
    towards = _PROBS[entity_label] if entity_label else None
    return Enriched(
        news_id=news_id,
        entity=ticker,
        headline=headline,
        source=source,
        published_at=T0 + timedelta(minutes=minutes),
        sentiment=Sentiment(label=label, score=max(probs.negative, probs.neutral, probs.positive), probs=probs),
        entities=[Entity(text=ticker, type="ORG", ticker=ticker, name=f"{ticker} Corp", sector="Tech", source="feed")]
        if ticker
        else [],
        entity_sentiment=Sentiment(
            label=entity_label, score=max(towards.negative, towards.neutral, towards.positive), probs=towards
        )
        if towards
        else None,
        events=[
            Event(
                type=t,
                trigger=t,
                severity=sev,
                targets=(targets or {}).get(t),
                actor=actor if targets and t in targets else None,
                magnitude=(magnitude or {}).get(t),
            )
            for t, sev in (events or [])
        ],
        model_versions={"sentiment": "test", "entities": "test"},
        processed_at=T0,
    )
