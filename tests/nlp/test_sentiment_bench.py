"""`finsentry bench model`'s texts (nlp/sentiment_bench.py); the benchmark itself runs in test_sentiment_cli."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.sentiment_bench import bench_texts
from nlp.sentiment_data import REPO_TWEETS_VALID, DataFormatError, load_csv


def test_bench_texts_repeat_the_files_texts_in_order(tmp_path: Path) -> None:
    path = tmp_path / "texts.csv"
    path.write_text("text,label\nProfits fall,negative\nBoard meets,neutral\nSales soar,positive\n")
    assert bench_texts(7, path) == ["Profits fall", "Board meets", "Sales soar"] * 2 + ["Profits fall"]
    assert bench_texts(2, path) == ["Profits fall", "Board meets"]


def test_bench_texts_default_to_the_repo_tweets_valid_split() -> None:
    assert bench_texts(5) == [e.text for e in load_csv(REPO_TWEETS_VALID)][:5]


def test_bench_texts_of_a_file_without_labels_raise(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,stars\ngood,5\n")
    with pytest.raises(DataFormatError, match="no label column"):
        bench_texts(3, path)
