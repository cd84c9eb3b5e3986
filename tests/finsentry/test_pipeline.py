"""The pure pipeline function: one record per (article, ticker), each with its own reading."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from finsentry.contracts import Enriched, NewsEvent
from finsentry.models import load_models
from finsentry.pipeline import Models, enrich
from finsentry.settings import Settings
from nlp.interfaces import NoopAnnotator, NoopSentiment


@pytest.fixture(scope="module", params=[False, True], ids=["in-process", "child-process"])
def models(request: pytest.FixtureRequest, tiny_model_dir: Path) -> Models:
    settings = Settings()
    settings.sentiment.model_dir = tiny_model_dir
    settings.entities.separate_process = request.param
    return load_models(settings, "default", build_default=False)


def _news(headline: str, tickers: list[str] | None = None) -> NewsEvent:
    return NewsEvent(id="n1", headline=headline, published_at=datetime(2026, 3, 2, 9, tzinfo=UTC), tickers=tickers)


def test_each_company_gets_its_own_sentiment_and_only_its_events(models: Models) -> None:
    records = enrich([_news("Moody's downgrades Boeing to junk")], models).records
    by_ticker = {r.entity: r for r in records}
    assert set(by_ticker) == {"MCO", "BA"}
    for ticker, r in by_ticker.items():
        assert r.entity_sentiment is not None
        [entity] = [e for e in r.entities if e.ticker == ticker]
        assert entity.sentiment == r.entity_sentiment
    [event] = by_ticker["BA"].events
    assert (event.type, event.targets, event.actor) == ("credit_downgrade", ["BA"], "MCO")
    assert not event.targets_entity("MCO")


def test_a_feed_ticker_without_a_mention_reads_as_the_article(models: Models) -> None:
    [record] = enrich([_news("Shares tumble after profit warning", ["ACME"])], models).records
    assert record.entity == "ACME"
    assert record.entity_sentiment == record.sentiment
    # "Shares tumble" is a price drop, the profit warning a guidance cut: both happen to ACME.
    assert [(e.type, e.targets) for e in record.events] == [("price_drop", ["ACME"]), ("guidance_cut", ["ACME"])]


def test_an_article_without_companies_has_no_entity_sentiment(models: Models) -> None:
    [record] = enrich([_news("Markets drift before the Fed decision")], models).records
    assert record.entity is None
    assert record.entity_sentiment is None


def test_the_noop_models_keep_the_contract() -> None:
    noop = Models(sentiment=NoopSentiment(), annotator=NoopAnnotator())
    [record] = enrich([_news("Anything", ["XYZ"])], noop).records
    assert record.entity_sentiment == record.sentiment


def test_records_from_before_entity_sentiment_still_parse() -> None:
    """Old consumers and old producers: the new fields are only added, all with defaults."""
    old = {
        "news_id": "n1",
        "entity": "BA",
        "headline": "Boeing sued",
        "published_at": "2026-03-02T09:00:00Z",
        "sentiment": {"label": "negative", "score": 0.9, "probs": {"negative": 0.9, "neutral": 0.05, "positive": 0.05}},
        "entities": [{"text": "Boeing", "type": "ORG", "ticker": "BA", "source": "ruler"}],
        "events": [{"type": "lawsuit", "trigger": "sued", "severity": 0.6}],
        "model_versions": {},
        "processed_at": "2026-03-02T09:00:01Z",
    }
    record = Enriched.model_validate(old)
    assert record.entity_sentiment is None
    assert record.events[0].targets is None and record.events[0].targets_entity("BA")
