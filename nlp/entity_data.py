"""Entity-level sentiment data: one row per (headline, entity) with the sentiment towards that entity.

The CSV has `text`, `entity` and `label` columns and optionally `headline_id` (rows of one
headline share it; without it the text is the headline's id). SEntFiN 1.0's training part,
shipped in `nlp/resources/sentfin/`, has this shape. Validation parts are cut by headline, so
no headline is both trained on and validated on.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from finsentry.contracts import SentimentLabel
from nlp.interfaces import Annotator
from nlp.sentiment_data import LABEL2ID, DataFormatError, parse_label

ENTITY_COLUMN = "entity"
GROUP_COLUMN = "headline_id"
REPO_SENTFIN_TRAIN = Path(__file__).resolve().parent / "resources" / "sentfin" / "train.csv"
# US multi-company headlines written for finsentry (resources/us_entity_sentiment/README.md).
REPO_US_ENTITY_TRAIN = Path(__file__).resolve().parent / "resources" / "us_entity_sentiment" / "train.csv"


@dataclass(frozen=True)
class EntityExample:
    text: str
    entity: str
    label: SentimentLabel
    group: str  # the headline this row belongs to
    line: int  # line in its file, for error messages

    @property
    def label_id(self) -> int:
        return LABEL2ID[self.label]


def _columns(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh), [])
    return [c.strip().lower() for c in header]


def is_entity_csv(path: Path) -> bool:
    """True when the CSV has an `entity` column (entity-level data rather than article-level)."""
    path = Path(path)
    return path.is_file() and ENTITY_COLUMN in _columns(path)


def load_entity_csv(path: Path) -> list[EntityExample]:
    """Read one entity-level CSV; DataFormatError names the file, the line or the missing column."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        names = {c.strip().lower(): c for c in reader.fieldnames or []}
        missing = [c for c in ("text", ENTITY_COLUMN, "label") if c not in names]
        if missing:
            raise DataFormatError(
                f"{path}: missing column(s) {', '.join(missing)}: an entity-level CSV needs text, entity, label"
                f" (and optionally {GROUP_COLUMN}); found {sorted(names)}"
            )
        examples: list[EntityExample] = []
        for line, row in enumerate(reader, start=2):
            text = (row.get(names["text"]) or "").strip()
            entity = (row.get(names[ENTITY_COLUMN]) or "").strip()
            if not text and not entity:
                continue
            if not text or not entity:
                raise DataFormatError(f"{path}, line {line}: empty {'text' if not text else 'entity'}")
            try:
                label = parse_label(row.get(names["label"]) or "")
            except ValueError as exc:
                raise DataFormatError(f"{path}, line {line}: {exc}") from None
            group = (row.get(names[GROUP_COLUMN]) or "").strip() if GROUP_COLUMN in names else ""
            examples.append(EntityExample(text=text, entity=entity, label=label, group=group or text, line=line))
    if not examples:
        raise DataFormatError(f"{path}: no labelled rows")
    return examples


def split_by_headline(
    examples: Sequence[EntityExample], fraction: float, seed: int
) -> tuple[list[EntityExample], list[EntityExample]]:
    """(train, valid) with about `fraction` of the headlines in valid; the same for the same seed."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction}")
    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    valid_groups = set(groups[: max(1, round(len(groups) * fraction))])
    train = [e for e in examples if e.group not in valid_groups]
    valid = [e for e in examples if e.group in valid_groups]
    return train, valid


def conflict_rows(examples: Iterable[EntityExample]) -> list[bool]:
    """Per row: does its headline have entities with different gold labels?"""
    rows = list(examples)
    labels: dict[str, set[str]] = defaultdict(set)
    for e in rows:
        labels[e.group].add(e.label)
    return [len(labels[e.group]) > 1 for e in rows]


def rows_from_annotated(items: Sequence[dict[str, object]], annotator: Annotator) -> tuple[list[dict[str, str]], int]:
    """Entity-level CSV rows from multi-company JSONL (`text`, `companies`: [{`ticker`, `sentiment`}]).

    The `entity` of a row is the text of the company's first mention as the linker finds it, so
    training reads the same mentions serving does. Returns (rows, companies the linker did not find).
    """
    texts = [str(item["text"]) for item in items]
    annotations = annotator.annotate(texts, [None] * len(texts))
    rows: list[dict[str, str]] = []
    missed = 0
    for item, text, ann in zip(items, texts, annotations, strict=True):
        mention: dict[str, str] = {}
        for e in ann.entities:
            if e.ticker and e.start is not None and e.end is not None:
                mention.setdefault(e.ticker, text[e.start : e.end])
        for company in item["companies"]:  # type: ignore[attr-defined]
            surface = mention.get(company["ticker"])
            if surface is None:
                missed += 1
                continue
            rows.append(
                {"headline_id": str(item["id"]), "text": text, "entity": surface, "label": company["sentiment"]}
            )
    return rows, missed


def main(argv: Sequence[str] | None = None) -> int:
    """python -m nlp.entity_data IN.jsonl OUT.csv: annotated multi-company headlines to an entity-level CSV."""
    import argparse
    import json

    from finsentry.settings import get_settings
    from nlp.annotator import load_annotator

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("jsonl", type=Path)
    parser.add_argument("csv", type=Path)
    args = parser.parse_args(argv)
    items = [json.loads(line) for line in args.jsonl.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, missed = rows_from_annotated(items, load_annotator(get_settings().entities))
    with args.csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["headline_id", "text", "entity", "label"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows from {len(items)} headlines written to {args.csv}; {missed} companies not linked, skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
