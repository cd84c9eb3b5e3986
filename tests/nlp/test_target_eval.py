"""Event targets and entity sentiment scored end to end (nlp/target_eval.py's evaluate_targets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from finsentry.pipeline import entity_sentiments
from finsentry.settings import EntitySettings, SentimentSettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.entity_eval import read_eval
from nlp.sentiment import load_sentiment
from nlp.target_eval import DEFAULT_TARGETS_EVAL, evaluate_targets, read_target_eval, score_targets


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def test_readers_keep_only_the_split_asked_for() -> None:
    every = read_target_eval()
    dev = read_target_eval(DEFAULT_TARGETS_EVAL, split="dev")
    assert dev and len(dev) < len(every) and all(i.split == "dev" for i in dev)
    assert read_target_eval(split="all") == every
    assert read_target_eval(split="no-such-split") == []
    eval_dev = read_eval(split="dev")
    assert eval_dev and all(i.split == "dev" for i in eval_dev)
    assert len(eval_dev) < len(read_eval())


def test_evaluate_targets_without_sentiment_scores_the_annotators_targets(annotator: SpacyAnnotator) -> None:
    items = read_target_eval(split="dev")[:40]
    report = evaluate_targets(annotator, items)
    annotations = annotator.annotate([i.text for i in items], [None] * len(items))
    assert report.as_dict() == score_targets(items, annotations).as_dict()
    assert report.n == 40 and report.entity_sentiment is None and report.article_baseline is None
    assert report.pairs.tp > 0


def test_evaluate_targets_reads_entity_sentiment_as_the_pipeline_does(
    annotator: SpacyAnnotator, tiny_model_dir: Path
) -> None:
    items = read_target_eval(split="dev")[:40]
    predictor = load_sentiment(SentimentSettings(model_dir=tiny_model_dir))
    report = evaluate_targets(annotator, items, predictor)
    texts = [i.text for i in items]
    annotations = annotator.annotate(texts, [None] * len(items))
    reading = predictor.read(texts)
    expected = score_targets(items, annotations, entity_sentiments(reading, annotations), reading.sentiments)
    assert report.as_dict() == expected.as_dict()
    assert report.entity_sentiment is not None and report.entity_sentiment.total > 0
