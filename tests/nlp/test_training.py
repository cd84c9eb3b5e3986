"""Training a few steps on a tiny subset: the model directory is complete and round-trips."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from finsentry.contracts import SENTIMENT_LABELS
from finsentry.settings import SentimentSettings
from nlp.metrics_eval import evaluate_model
from nlp.sentiment import BatchedSentiment, has_model, load_sentiment
from nlp.sentiment_data import REPO_TWEETS_TRAIN, DataFormatError, load_csv, stratified_split
from nlp.training import (
    DEFAULT_CONFIG,
    TINY_CONFIG,
    TRAINING_FILE,
    ensure_default_model,
    read_training_card,
    split_articles,
    split_config,
    split_entities,
    train,
    train_tiny_model,
    validation_examples,
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Shared with the other sentiment test modules through the session's base temp dir.
    out = tmp_path_factory.getbasetemp() / "tiny-sentiment"
    return out if has_model(out) else train_tiny_model(out)


def test_model_directory_holds_weights_tokenizer_labels_and_card(tiny: Path) -> None:
    names = {p.name for p in tiny.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "labels.json", "README.md", TRAINING_FILE} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    config = json.loads((tiny / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(3)] == list(SENTIMENT_LABELS)
    assert not list(tiny.parent.glob(f".{tiny.name}.partial-*")), "staging directory left behind"


def test_model_card_records_data_hyperparameters_metrics_date_and_code(tiny: Path) -> None:
    card = read_training_card(tiny)
    (source,) = card["data"]
    assert source["path"] == str(REPO_TWEETS_TRAIN)
    assert source["train_rows"] + source["valid_rows"] == 9543
    assert sum(source["train_labels"].values()) == source["train_rows"]
    assert card["config"]["max_steps"] == TINY_CONFIG.max_steps == card["steps"]
    assert card["train_rows_used"] == TINY_CONFIG.max_train_rows
    assert 0.0 <= card["validation"]["accuracy"] <= 1.0
    assert card["trained_at"] and card["code_version"].startswith("finsentry ")
    readme = (tiny / "README.md").read_text()
    assert "macro-F1" in readme and str(REPO_TWEETS_TRAIN) in readme


def test_saved_model_predicts_what_the_trainer_measured(tiny: Path) -> None:
    """Round trip: the loaded model reproduces the confusion matrix computed in memory before saving."""
    card = read_training_card(tiny)
    valid = validation_examples([REPO_TWEETS_TRAIN], TINY_CONFIG)
    assert len(valid) == TINY_CONFIG.max_valid_rows
    predictor = BatchedSentiment(tiny, device="cpu", max_length=TINY_CONFIG.max_length)
    report = evaluate_model(predictor, valid)
    assert report.confusion == card["validation"]["confusion"]
    assert report.confusion == card["validation_by_source"][str(REPO_TWEETS_TRAIN)]["confusion"]


def test_validation_examples_come_from_the_held_out_part() -> None:
    _, valid = stratified_split(load_csv(REPO_TWEETS_TRAIN), TINY_CONFIG.valid_fraction, TINY_CONFIG.seed)
    assert set(validation_examples([REPO_TWEETS_TRAIN], TINY_CONFIG)) <= set(valid)


def test_loading_twice_gives_the_same_probabilities(tiny: Path) -> None:
    texts = ["Shares plunge after profit warning", "Company to hold annual meeting", "Revenue beats estimates"]
    a = BatchedSentiment(tiny, device="cpu").predict(texts)
    b = load_sentiment(SentimentSettings(model_dir=tiny, device="cpu")).predict(texts)
    assert a == b


def test_bad_data_fails_before_anything_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("headline,label\nx,0\n")
    out = tmp_path / "model"
    with pytest.raises(DataFormatError, match="no text column"):
        train(out, [bad], TINY_CONFIG, progress=False)
    assert not out.exists()
    assert os.listdir(tmp_path) == ["bad.csv"]


def test_ensure_default_model_trains_once_then_reuses(tmp_path: Path) -> None:
    settings = SentimentSettings(default_dir=tmp_path / "models" / "default")
    first = ensure_default_model(settings, progress=False, config=TINY_CONFIG)
    assert first == settings.default_dir and has_model(first)
    stamp = (first / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_model(settings, progress=False, config=TINY_CONFIG) == first
    assert (first / "model.safetensors").stat().st_mtime_ns == stamp
    # The default model carries its score on the tweets' held-out valid split in its card.
    assert list(read_training_card(first)["evaluation"]) and load_sentiment(settings).predict(["x"])


def test_the_split_rule_cuts_what_the_card_recorded(tiny: Path) -> None:
    """`finsentry evaluate --split` and `train` share one rule: the card's config cuts the same parts."""
    config = split_config(tiny)
    assert (config.valid_fraction, config.seed) == (TINY_CONFIG.valid_fraction, TINY_CONFIG.seed)
    train_part, valid_part = split_articles(load_csv(REPO_TWEETS_TRAIN), config)
    (source,) = read_training_card(tiny)["data"]
    assert (len(train_part), len(valid_part)) == (source["train_rows"], source["valid_rows"])
    assert set(validation_examples([REPO_TWEETS_TRAIN], TINY_CONFIG)) <= set(valid_part)


def test_split_config_reads_the_card_and_falls_back_to_the_defaults(tmp_path: Path) -> None:
    assert split_config(tmp_path) == DEFAULT_CONFIG  # no card: the defaults' fraction and seed
    card = {"config": {"valid_fraction": 0.25, "seed": 7, "epochs": 99}}
    (tmp_path / TRAINING_FILE).write_text(json.dumps(card))
    config = split_config(tmp_path)
    assert (config.valid_fraction, config.seed) == (0.25, 7)
    assert config.epochs == DEFAULT_CONFIG.epochs  # only the split is read from the card
    (tmp_path / TRAINING_FILE).write_text(json.dumps({"config": {"seed": "3"}}))
    assert (split_config(tmp_path).valid_fraction, split_config(tmp_path).seed) == (DEFAULT_CONFIG.valid_fraction, 3)


def test_split_articles_and_entities_cut_with_the_configs_fraction_and_seed() -> None:
    from dataclasses import replace

    from nlp.entity_data import REPO_SENTFIN_TRAIN, load_entity_csv, split_by_headline

    config = replace(DEFAULT_CONFIG, valid_fraction=0.2, seed=5)
    rows = load_csv(REPO_TWEETS_TRAIN)
    assert split_articles(rows, config) == stratified_split(rows, 0.2, 5)
    assert split_articles(rows, config) != split_articles(rows, replace(config, seed=6))
    entities = load_entity_csv(REPO_SENTFIN_TRAIN)
    train_part, valid_part = split_entities(entities, config)
    assert (train_part, valid_part) == split_by_headline(entities, 0.2, 5)
    assert not {e.group for e in train_part} & {e.group for e in valid_part}  # headlines stay whole
