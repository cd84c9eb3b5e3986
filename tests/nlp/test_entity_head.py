"""The entity head: trained beside the article head, saved as safetensors, read back the same."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finsentry.cli import app
from nlp.entity_data import REPO_SENTFIN_TRAIN, load_entity_csv
from nlp.entity_head import HEAD_CONFIG, HEAD_WEIGHTS, has_head, load_head
from nlp.entity_spans import find_mentions
from nlp.sentiment import BatchedSentiment
from nlp.training import encode_entity_examples, predict_entity_ids

runner = CliRunner()


def test_the_tiny_model_has_both_heads(tiny_model_dir: Path) -> None:
    assert has_head(tiny_model_dir)
    card = json.loads((tiny_model_dir / "training.json").read_text())
    assert card["entity_validation"]["n"] > 0
    assert card["entity_data"][0]["path"].endswith("sentfin/train.csv")
    assert card["entity_data"][1]["path"].endswith("us_entity_sentiment/train.csv")
    assert set(card["entity_validation_by_source"]) == {d["path"] for d in card["entity_data"]}


def test_the_head_round_trips_through_save_and_load(tiny_model_dir: Path) -> None:
    """Training's own prediction path on a freshly loaded model and the serving path agree exactly."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    rows = load_entity_csv(REPO_SENTFIN_TRAIN)[:60]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, use_safetensors=True)
    ids, positions, _ = encode_entity_examples(tokenizer, rows, 64)
    trained_path = predict_entity_ids(model, load_head(tiny_model_dir), ids, positions, tokenizer.pad_token_id)

    serving = BatchedSentiment(tiny_model_dir, device="cpu", cpu_threads=1, max_length=64)
    texts = list(dict.fromkeys(r.text for r in rows))
    reading = serving.read(texts)
    served = reading.towards([(texts.index(r.text), find_mentions(r.text, r.entity)) for r in rows])
    labels = ("negative", "neutral", "positive")
    assert [s.label for s in served] == [labels[y] for y in trained_path]
    # The article head is unchanged by reading: read() and predict() agree.
    assert [s.label for s in reading.sentiments] == [s.label for s in serving.predict(texts)]


def test_a_model_without_an_entity_head_gives_entities_the_article_sentiment(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    old = tmp_path / "old-model"
    shutil.copytree(tiny_model_dir, old)
    (old / HEAD_WEIGHTS).unlink()
    (old / HEAD_CONFIG).unlink()
    model = BatchedSentiment(old, device="cpu", cpu_threads=1)
    reading = model.read(["Moody's downgrades Boeing to junk"])
    assert reading.towards([(0, [(19, 25)])]) == [reading.sentiments[0]]
    assert model.version.endswith("-article-only")


@pytest.fixture
def conflict_csv(tmp_path: Path) -> Path:
    path = tmp_path / "entities.csv"
    path.write_text(
        "headline_id,text,entity,label\n"
        '1,"Walmart beats estimates while Target cuts its outlook",Walmart,positive\n'
        '1,"Walmart beats estimates while Target cuts its outlook",Target,negative\n'
        "2,Pfizer rises on strong demand,Pfizer,positive\n"
        "3,Acme soars,Zeta Corp,positive\n"
    )
    return path


def test_evaluate_scores_entities_and_counts_rows_whose_entity_is_missing(
    tiny_model_dir: Path, conflict_csv: Path
) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(conflict_csv), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n", "conflict_accuracy"} <= report.keys()
    assert report["n"] == 4
    assert report["conflict_n"] == 2  # the two rows of the Walmart/Target headline
    assert [sum(row) for row in report["confusion"]] == [1, 0, 3]
    assert report["entity_not_found"] == {"rows": 1, "lines": [5]}
    assert "not in their text (lines 5)" in result.output


def test_conflict_accuracy_is_the_accuracy_over_disagreeing_headlines() -> None:
    from nlp.metrics_eval import classification_report

    report = classification_report(
        ["positive", "negative", "positive", "neutral"],
        ["positive", "positive", "positive", "neutral"],
        conflict=[True, True, False, False],
    )
    assert report.accuracy == 0.75
    assert report.conflict_accuracy == 0.5
    assert report.conflict_n == 2


def test_evaluate_rejects_a_malformed_entity_csv(tiny_model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,entity,label\nWalmart beats,Walmart,positive\nTarget falls,,negative\n")
    result = runner.invoke(app, ["evaluate", "--model", str(tiny_model_dir), "--data", str(bad)])
    assert result.exit_code == 2
    assert "line 3: empty entity" in result.output
