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
from nlp.sentiment_data import LABEL2ID, DataFormatError, parse_label

ENTITY_COLUMN = "entity"
GROUP_COLUMN = "headline_id"
REPO_SENTFIN_TRAIN = Path(__file__).resolve().parent / "resources" / "sentfin" / "train.csv"


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
