"""Labelled sentiment data: CSV loading, the one label map, text clean-up and the validation split.

Accepted CSVs have a text column named `text` or `sentence` and a `label` column holding
either names (negative/neutral/positive) or the numbers of the Twitter Financial News set
(0 negative, 1 positive, 2 neutral). An optional `agreement` column (Financial PhraseBank)
is kept so evaluation can report the all-agree sentences. Other columns are ignored.
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from finsentry.contracts import SENTIMENT_LABELS, SentimentLabel

# Class ids of every model we train: the position in SENTIMENT_LABELS.
LABEL2ID: dict[SentimentLabel, int] = {label: i for i, label in enumerate(SENTIMENT_LABELS)}
ID2LABEL: dict[int, SentimentLabel] = dict(enumerate(SENTIMENT_LABELS))

# The Twitter Financial News set numbers its classes in another order.
TWEET_LABELS: dict[str, SentimentLabel] = {"0": "negative", "1": "positive", "2": "neutral"}
_NAMED_LABELS: dict[str, SentimentLabel] = {
    "negative": "negative",
    "neutral": "neutral",
    "positive": "positive",
    "bearish": "negative",
    "bullish": "positive",
}

TEXT_COLUMNS = ("text", "sentence")
LABEL_COLUMN = "label"
AGREEMENT_COLUMN = "agreement"

REPO_TWEETS_DIR = Path(__file__).resolve().parent / "resources" / "twitter_financial_news"
REPO_TWEETS_TRAIN = REPO_TWEETS_DIR / "train.csv"
REPO_TWEETS_VALID = REPO_TWEETS_DIR / "valid.csv"

URL_PATTERN = re.compile(r"https?://\S+|www\.\S+")
_SPACE = re.compile(r"\s+")


class Labelled(Protocol):
    """Anything with a gold label: an article-level or an entity-level example."""

    @property
    def label(self) -> SentimentLabel: ...


class DataFormatError(ValueError):
    """A CSV that cannot be read as labelled sentiment data; the message names the file and the problem."""


@dataclass(frozen=True)
class Example:
    text: str
    label: SentimentLabel
    # Highest annotator agreement (PhraseBank: 50, 66, 75, 100); None when the file has none.
    agreement: int | None = None

    @property
    def label_id(self) -> int:
        return LABEL2ID[self.label]


def normalize_text(text: str) -> str:
    """What the model reads, in training and in serving alike.

    URLs carry no sentiment and cost a third of a tweet's tokens, so they are dropped;
    whitespace runs (feeds send newlines and tabs) become one space.
    """
    return _SPACE.sub(" ", URL_PATTERN.sub(" ", text)).strip()


def parse_label(raw: str) -> SentimentLabel:
    """Map a label cell (a name, or a tweet number) to one of the three labels; ValueError otherwise."""
    key = raw.strip().lower()
    if key in _NAMED_LABELS:
        return _NAMED_LABELS[key]
    if key in TWEET_LABELS:
        return TWEET_LABELS[key]
    raise ValueError(f"unknown label {raw!r}: expected one of {', '.join(SENTIMENT_LABELS)} or 0/1/2 (tweets)")


def load_csv(path: Path) -> list[Example]:
    """Read one labelled CSV; raises DataFormatError naming the file, the row or the missing column."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        by_name = dict(zip(columns, reader.fieldnames or [], strict=True))
        text_col = next((by_name[c] for c in TEXT_COLUMNS if c in by_name), None)
        if text_col is None:
            raise DataFormatError(
                f"{path}: no text column: expected a column named {' or '.join(TEXT_COLUMNS)!s}; found {columns}"
            )
        if LABEL_COLUMN not in by_name:
            raise DataFormatError(f"{path}: no label column: expected a column named {LABEL_COLUMN!r}; found {columns}")
        label_col = by_name[LABEL_COLUMN]
        agreement_col = by_name.get(AGREEMENT_COLUMN)
        examples: list[Example] = []
        for line, row in enumerate(reader, start=2):
            text = (row.get(text_col) or "").strip()
            if not text:
                continue
            try:
                label = parse_label(row.get(label_col) or "")
            except ValueError as exc:
                raise DataFormatError(f"{path}, line {line}: {exc}") from None
            agreement = _parse_agreement(row.get(agreement_col)) if agreement_col else None
            examples.append(Example(text=text, label=label, agreement=agreement))
    if not examples:
        raise DataFormatError(f"{path}: no labelled rows")
    return examples


def _parse_agreement(raw: str | None) -> int | None:
    try:
        return int(float(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def label_counts(examples: Iterable[Labelled]) -> dict[str, int]:
    counts = Counter(e.label for e in examples)
    return {label: counts.get(label, 0) for label in SENTIMENT_LABELS}


def stratified_split(examples: Sequence[Example], fraction: float, seed: int) -> tuple[list[Example], list[Example]]:
    """Split into (train, valid) with `fraction` of each label in valid, the same for the same seed.

    It depends only on the examples and the seed, so `finsentry evaluate --split valid` can cut
    the very validation part that `finsentry train` held out.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, example in enumerate(examples):
        by_label[example.label].append(i)
    rng = random.Random(seed)
    valid_idx: set[int] = set()
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        take = round(len(idx) * fraction)
        # A class with any examples gets at least one in each part when it can.
        if len(idx) >= 2:
            take = min(max(take, 1), len(idx) - 1)
        valid_idx.update(idx[:take])
    train = [e for i, e in enumerate(examples) if i not in valid_idx]
    valid = [e for i, e in enumerate(examples) if i in valid_idx]
    return train, valid
