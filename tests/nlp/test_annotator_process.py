"""ProcessAnnotator: the real spaCy annotator in a real child process, against the in-process one."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from finsentry.contracts import NewsEvent
from finsentry.pipeline import Models, enrich
from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.annotator_process import AnnotatorProcessError, ProcessAnnotator
from nlp.interfaces import BackgroundAnnotator
from nlp.sentiment import BatchedSentiment

TEXTS = [
    "Apple recalls iPhone chargers after fire reports",
    "$TSLA files for Chapter 11 bankruptcy protection",
    "Moody's downgrades Boeing to junk; shares slide 8%",
    "",
    "   ",
    "Ünïcödé héadline about Nestlé 🚀 and $NVDA",
    "Board meeting scheduled for Monday",
    "lawsuit " * 2000,
]
FEED: list[list[str] | None] = [None, ["TSLA"], ["BA", "MCO"], None, ["MSFT"], None, ["AAPL", "AAPL"], None]


@pytest.fixture(scope="module")
def child() -> Iterator[ProcessAnnotator]:
    annotator = ProcessAnnotator(EntitySettings())
    yield annotator
    annotator.close()


@pytest.fixture(scope="module")
def local() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def test_child_answers_exactly_like_the_in_process_annotator(child: ProcessAnnotator, local: SpacyAnnotator) -> None:
    assert isinstance(child, BackgroundAnnotator)
    assert (child.name, child.version, child.device) == (local.name, local.version, local.device)
    assert child.annotate(TEXTS, FEED) == local.annotate(TEXTS, FEED)
    assert child.annotate([], []) == []


def test_enrich_overlaps_sentiment_with_the_child_and_gives_the_same_records(
    child: ProcessAnnotator, local: SpacyAnnotator, tiny_model_dir: Path
) -> None:
    sentiment = BatchedSentiment(tiny_model_dir, device="cpu", cpu_threads=2)
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    batch = [
        NewsEvent(id=f"n{i}", headline=text, tickers=feed, published_at=now)
        for i, (text, feed) in enumerate(zip(TEXTS, FEED, strict=True))
        if text.strip()  # the news contract refuses a blank headline
    ]
    background = enrich(batch, Models(sentiment=sentiment, annotator=child), now=now)
    serial = enrich(batch, Models(sentiment=sentiment, annotator=local), now=now)
    strip = {"model_versions"}
    assert [r.model_dump(exclude=strip) for r in background.records] == [
        r.model_dump(exclude=strip) for r in serial.records
    ]
    assert background.timings.entities_s > 0  # the child's own time, reported back
    assert {r.entity for r in background.records} >= {"AAPL", "TSLA", "BA", "MCO"}


def test_one_batch_in_flight_at_a_time(child: ProcessAnnotator) -> None:
    pending = child.submit(["Ford recalls trucks"], [None])
    with pytest.raises(AnnotatorProcessError, match="already in flight"):
        child.submit(["more"], [None])
    assert [e.type for e in pending.result()[0].events] == ["recall"]
    assert pending.seconds > 0


def test_mismatched_feed_tickers_are_refused(child: ProcessAnnotator) -> None:
    with pytest.raises(ValueError, match="2 texts but 1 feed ticker lists"):
        child.submit(["a", "b"], [None])


def test_a_dead_child_gives_a_clear_error_not_a_hang() -> None:
    annotator = ProcessAnnotator(EntitySettings())
    os.kill(annotator._proc.pid, signal.SIGKILL)
    with pytest.raises(AnnotatorProcessError, match=r"stopped answering \(exit code -9"):
        annotator.annotate(["Apple recalls iPhones"], [None])


def test_close_lets_the_child_exit_cleanly() -> None:
    annotator = ProcessAnnotator(EntitySettings())
    annotator.close()
    assert annotator._proc.returncode == 0


def test_a_model_that_cannot_load_is_reported() -> None:
    with pytest.raises(AnnotatorProcessError, match=r"loading the annotator failed.*no_such_spacy_model"):
        ProcessAnnotator(EntitySettings(spacy_model="no_such_spacy_model"))
