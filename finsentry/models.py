"""Which models a process runs: the real ones, or the no-op stand-ins for benchmarks."""

from __future__ import annotations

import logging
from typing import Literal

from finsentry.pipeline import Models
from finsentry.settings import Settings

log = logging.getLogger(__name__)

ModelChoice = Literal["default", "noop"]


def load_models(settings: Settings, choice: ModelChoice = "default", *, build_default: bool = True) -> Models:
    """Load the sentiment and entity models the settings name.

    `default` builds the default sentiment model on first use when `build_default` is set
    (settings.sentiment.model_dir unset and var/models/default missing); `noop` loads
    nothing and measures the framework path.
    """
    from nlp.interfaces import NoopAnnotator, NoopSentiment

    if choice == "noop":
        return Models(sentiment=NoopSentiment(), annotator=NoopAnnotator())
    from nlp.annotator import load_annotator
    from nlp.interfaces import Annotator
    from nlp.sentiment import load_sentiment
    from nlp.training import ensure_default_model

    if settings.sentiment.model_dir is None and build_default:
        ensure_default_model(settings.sentiment)
    annotator: Annotator
    if settings.entities.separate_process:
        from nlp.annotator_process import ProcessAnnotator

        # Started first: the child loads spaCy while this process loads the transformer.
        child = ProcessAnnotator(settings.entities, wait=False)
        sentiment = load_sentiment(settings.sentiment)
        annotator = child.wait_ready()
    else:
        annotator = load_annotator(settings.entities)
        sentiment = load_sentiment(settings.sentiment)
    log.info("models: sentiment %s on %s, entities %s", sentiment.version, sentiment.device, annotator.version)
    return Models(sentiment=sentiment, annotator=annotator)


def load_watchlist(settings: Settings) -> frozenset[str]:
    """Tickers that weigh more in the risk score (empty when no watchlist is set)."""
    if settings.entities.watchlist is None:
        return frozenset()
    from nlp.companies import load_companies

    directory = load_companies(settings.entities)
    return frozenset(t for t in directory.tickers() if directory.in_watchlist(t))
