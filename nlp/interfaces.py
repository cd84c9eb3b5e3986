"""What the pipeline asks of the models: two small protocols, and no-op stand-ins.

The pipeline (finsentry/pipeline.py) depends on these protocols only, so a model can be
swapped (a larger spaCy pipeline, another fine-tuned transformer, the no-op models of
`bench pipeline --model noop`) without touching it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from finsentry.contracts import Entity, Event, Sentiment, SentimentProbs

# A character span [start, end) into the text a reading was made of.
CharSpan = tuple[int, int]


class SentimentReading(Protocol):
    """One batch read once: the article-level sentiments, and the sentiment towards entities in them."""

    sentiments: list[Sentiment]

    def towards(self, requests: Sequence[tuple[int, Sequence[CharSpan]]]) -> list[Sentiment]:
        """For each (text index, the entity's mentions as character spans), the sentiment towards it."""
        ...


@dataclass
class ArticleReading:
    """A reading with no entity head: every entity gets its article's sentiment."""

    sentiments: list[Sentiment]

    def towards(self, requests: Sequence[tuple[int, Sequence[CharSpan]]]) -> list[Sentiment]:
        return [self.sentiments[i] for i, _ in requests]


class SentimentModel(Protocol):
    """Batched 3-class sentiment: one Sentiment per text, in order; `read` adds entity-level sentiment."""

    name: str
    version: str
    device: str

    def predict(self, texts: Sequence[str]) -> list[Sentiment]: ...

    def read(self, texts: Sequence[str]) -> SentimentReading: ...


@dataclass(frozen=True)
class Annotation:
    """What the entity and event models found in one article."""

    entities: list[Entity] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


class Annotator(Protocol):
    """Batched entities + events: one Annotation per text, in order.

    `feed_tickers[i]` are the tickers the feed gave for text i (or None); they are merged
    into the entities with source "feed", without duplicates.
    """

    name: str
    version: str
    device: str

    def annotate(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> list[Annotation]: ...


class PendingAnnotations(Protocol):
    """A batch handed to an annotator that works in the background."""

    seconds: float  # the annotator's own time for the batch, known after result()

    def result(self) -> list[Annotation]: ...


@runtime_checkable
class BackgroundAnnotator(Annotator, Protocol):
    """An annotator that can take a batch and answer later, so the caller can run sentiment meanwhile."""

    def submit(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> PendingAnnotations: ...


_NEUTRAL = Sentiment(label="neutral", score=1.0, probs=SentimentProbs(negative=0.0, neutral=1.0, positive=0.0))


class NoopSentiment:
    """Says neutral to everything: measures the framework path without a model."""

    name = "noop"
    version = "noop"
    device = "none"

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        return [_NEUTRAL] * len(texts)

    def read(self, texts: Sequence[str]) -> SentimentReading:
        return ArticleReading(self.predict(texts))


class NoopAnnotator:
    """Finds only the feed's tickers: measures the framework path without spaCy."""

    name = "noop"
    version = "noop"
    device = "none"

    def annotate(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> list[Annotation]:
        return [
            Annotation(
                entities=[
                    Entity.model_construct(
                        text=t, type="ORG", ticker=t, name=None, sector=None, start=None, end=None, source="feed"
                    )
                    for t in dict.fromkeys(tickers or ())
                ]
            )
            for tickers in feed_tickers
        ]
