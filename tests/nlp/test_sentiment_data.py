"""CSV formats, the label map, the text clean-up and the validation split."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from finsentry.contracts import SENTIMENT_LABELS
from nlp.sentiment_data import (
    ID2LABEL,
    LABEL2ID,
    REPO_TWEETS_TRAIN,
    REPO_TWEETS_VALID,
    DataFormatError,
    Example,
    load_csv,
    normalize_text,
    parse_label,
    stratified_split,
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tweet_numbers_map_to_names(tmp_path: Path) -> None:
    path = write(tmp_path, "tweets.csv", "text,label\nshares sink,0\nshares soar,1\nboard meets,2\n")
    assert [(e.text, e.label) for e in load_csv(path)] == [
        ("shares sink", "negative"),
        ("shares soar", "positive"),
        ("board meets", "neutral"),
    ]


def test_phrasebank_format_with_names_agreement_and_extra_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "pb.csv",
        'id,sentence,label,agreement\n7,"Profit fell , sharply .",negative,100\n8,Sales rose .,Positive,66\n'
        "9,The office is in Espoo .,neutral,\n",
    )
    examples = load_csv(path)
    assert examples == [
        Example("Profit fell , sharply .", "negative", 100),
        Example("Sales rose .", "positive", 66),
        Example("The office is in Espoo .", "neutral", None),
    ]


def test_bom_and_column_case_are_tolerated_and_blank_texts_skipped(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffText,Label\nup,positive\n  ,negative\n".encode())
    assert load_csv(path) == [Example("up", "positive")]


def test_missing_text_column_names_file_and_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "notext.csv", "headline,label\nx,0\n")
    with pytest.raises(DataFormatError) as err:
        load_csv(path)
    message = str(err.value)
    assert str(path) in message and "text" in message and "sentence" in message and "headline" in message


def test_missing_label_column_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "nolabel.csv", "text,sentiment\nx,positive\n")
    with pytest.raises(DataFormatError, match=r"nolabel\.csv: no label column"):
        load_csv(path)


def test_unknown_label_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", "text,label\na,positive\nb,very good\n")
    with pytest.raises(DataFormatError, match=r"bad\.csv, line 3: unknown label 'very good'"):
        load_csv(path)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file"):
        load_csv(tmp_path / "absent.csv")
    with pytest.raises(DataFormatError, match="no labelled rows"):
        load_csv(write(tmp_path, "empty.csv", "text,label\n"))


def test_label_map_is_the_contract_order() -> None:
    assert tuple(ID2LABEL[i] for i in range(3)) == SENTIMENT_LABELS
    assert all(ID2LABEL[LABEL2ID[label]] == label for label in SENTIMENT_LABELS)
    assert parse_label(" NEGATIVE ") == "negative"
    assert parse_label("bullish") == "positive"
    with pytest.raises(ValueError):
        parse_label("3")


def test_normalize_text_drops_urls_and_collapses_space() -> None:
    assert normalize_text("$AAPL  beats\n estimates https://t.co/abc123 www.x.com/y \t") == "$AAPL beats estimates"
    assert normalize_text("") == ""


def test_repo_tweets_are_shipped_with_attribution() -> None:
    train, valid = load_csv(REPO_TWEETS_TRAIN), load_csv(REPO_TWEETS_VALID)
    assert (len(train), len(valid)) == (9543, 2388)
    assert set(Counter(e.label for e in train)) == set(SENTIMENT_LABELS)
    readme = (REPO_TWEETS_TRAIN.parent / "README.md").read_text()
    assert "MIT" in readme and "Twitter Financial News" in readme


def test_stratified_split_keeps_class_shares_and_is_seeded() -> None:
    examples = [Example(f"t{i}", SENTIMENT_LABELS[i % 3] if i < 60 else "neutral") for i in range(200)]
    train, valid = stratified_split(examples, 0.2, seed=1)
    assert len(train) + len(valid) == 200
    assert set(map(id, train)).isdisjoint(map(id, valid))
    counts, valid_counts = Counter(e.label for e in examples), Counter(e.label for e in valid)
    for label in SENTIMENT_LABELS:
        assert valid_counts[label] == round(0.2 * counts[label])
    assert stratified_split(examples, 0.2, seed=1) == (train, valid)
    assert stratified_split(examples, 0.2, seed=2)[1] != valid


def test_stratified_split_keeps_a_rare_class_on_both_sides() -> None:
    examples = [Example("a", "negative"), Example("b", "negative")] + [Example(f"n{i}", "neutral") for i in range(50)]
    train, valid = stratified_split(examples, 0.1, seed=0)
    assert sum(e.label == "negative" for e in valid) == 1
    assert sum(e.label == "negative" for e in train) == 1
    with pytest.raises(ValueError):
        stratified_split(examples, 1.0, seed=0)
