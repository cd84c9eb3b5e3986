"""Scoring of the annotator against an annotated headline set (nlp/resources/entity_eval.jsonl).

Each line: {"id", "split", "text", "tickers": [gold tickers], "events": [gold event type ids]}.
Ticker linking is scored as sets per headline (a ticker named twice counts once), micro-
averaged over the set. Events are scored per type as sets per headline; the macro-F1 is
the mean F1 over the types that occur in the gold or the predictions of the scored rows.
Feed tickers are not given to the annotator, so linking is scored on the text alone.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finsentry.jsonl import read_rows
from nlp.companies import normalize_ticker
from nlp.interfaces import Annotation, Annotator

DEFAULT_EVAL = Path(__file__).parent / "resources" / "entity_eval.jsonl"


@dataclass(frozen=True)
class EvalItem:
    id: str
    text: str
    tickers: frozenset[str]
    events: frozenset[str]
    split: str = "dev"


def read_eval(path: Path = DEFAULT_EVAL, *, split: str = "all") -> list[EvalItem]:
    """The annotated headlines of `path`: all of them, or those whose `split` field is `split`."""

    def parse(row: dict[str, Any], n: int) -> EvalItem:
        return EvalItem(
            id=str(row.get("id", n)),
            text=row["text"],
            tickers=frozenset(normalize_ticker(t) for t in row.get("tickers", [])),
            events=frozenset(row.get("events", [])),
            split=row.get("split", "dev"),
        )

    items = read_rows(path, parse, "eval")
    return items if split == "all" else [i for i in items if i.split == split]


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, gold: Iterable[Hashable], pred: Iterable[Hashable], key: Hashable | None = None) -> None:
        g, p = set(gold), set(pred)
        if key is not None:
            g, p = {x for x in g if x == key}, {x for x in p if x == key}
        self.tp += len(g & p)
        self.fp += len(p - g)
        self.fn += len(g - p)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "support": self.tp + self.fn,
        }


@dataclass
class EvalReport:
    n: int
    tickers: PRF
    events: dict[str, PRF]
    errors: list[dict[str, object]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        return sum(p.f1 for p in self.events.values()) / len(self.events) if self.events else 0.0

    @property
    def macro_f1_gold_types(self) -> float:
        """Mean F1 over the types that occur in the gold only (a spurious type does not count)."""
        gold = [p for p in self.events.values() if p.tp + p.fn]
        return sum(p.f1 for p in gold) / len(gold) if gold else 0.0

    @property
    def micro_events(self) -> PRF:
        total = PRF()
        for p in self.events.values():
            total.tp, total.fp, total.fn = total.tp + p.tp, total.fp + p.fp, total.fn + p.fn
        return total

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "tickers": self.tickers.as_dict(),
            "events_macro_f1": round(self.macro_f1, 4),
            "events_macro_f1_gold_types": round(self.macro_f1_gold_types, 4),
            "events_micro": self.micro_events.as_dict(),
            "events": {k: v.as_dict() for k, v in sorted(self.events.items())},
        }


def score(items: Sequence[EvalItem], annotations: Sequence[Annotation]) -> EvalReport:
    tickers = PRF()
    per_type: dict[str, PRF] = {}
    errors: list[dict[str, object]] = []
    for item, ann in zip(items, annotations, strict=True):
        pred_tickers = {e.ticker for e in ann.entities if e.ticker}
        pred_events = {e.type for e in ann.events}
        tickers.add(item.tickers, pred_tickers)
        for t in item.events | pred_events:
            per_type.setdefault(t, PRF()).add(item.events, pred_events, key=t)
        if pred_tickers != item.tickers or pred_events != item.events:
            errors.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "tickers_missed": sorted(item.tickers - pred_tickers),
                    "tickers_extra": sorted(pred_tickers - item.tickers),
                    "events_missed": sorted(item.events - pred_events),
                    "events_extra": sorted(pred_events - item.events),
                    "triggers": {e.type: e.trigger for e in ann.events},
                }
            )
    return EvalReport(n=len(items), tickers=tickers, events=per_type, errors=errors)


def evaluate(annotator: Annotator, items: Sequence[EvalItem]) -> EvalReport:
    annotations = annotator.annotate([i.text for i in items], [None] * len(items))
    return score(items, annotations)
