"""Scoring event targets and entity-level sentiment on multi-company headlines.

The set (`nlp/resources/entity_targets_eval.jsonl`) has one line per headline:
{"id", "split", "category", "text", "companies": [{"ticker", "sentiment", "events"}]}, where
`events` are the types that happen to that company (it is their target) and `sentiment` is the
headline's reading for that company. It was written and annotated before the code that reads
targets ran on it (docs/entities.md, "Event targets").

Three figures for targets, all micro-averaged over (ticker, event type) pairs:
- `pairs`: end to end: the annotator's events with their targets against the gold pairs (an
  event credited to a company that is not its target is a false positive; a missed event is a
  false negative);
- `attribution`: the same, restricted per headline to the event types both the gold and the
  annotator have, so it measures who an event is given to, not whether it was found;
- `inherit_baseline`: what finsentry did before targets: every linked company gets every event.
Entity sentiment is scored per gold company: against the entity head's reading when the company
was linked (companies not linked are counted apart), and against the article's sentiment as the
baseline that every company used to inherit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finsentry.contracts import SENTIMENT_LABELS, Sentiment
from finsentry.jsonl import read_rows
from nlp.companies import normalize_ticker
from nlp.entity_eval import PRF
from nlp.interfaces import Annotation, Annotator, SentimentModel

DEFAULT_TARGETS_EVAL = Path(__file__).parent / "resources" / "entity_targets_eval.jsonl"


@dataclass(frozen=True)
class GoldCompany:
    ticker: str
    sentiment: str
    events: frozenset[str]


@dataclass(frozen=True)
class TargetItem:
    id: str
    text: str
    companies: tuple[GoldCompany, ...]
    split: str = "dev"
    category: str = ""

    def pairs(self) -> set[tuple[str, str]]:
        return {(c.ticker, e) for c in self.companies for e in c.events}


def read_target_eval(path: Path = DEFAULT_TARGETS_EVAL, *, split: str = "all") -> list[TargetItem]:
    """The multi-company headlines of `path`: all of them, or those whose `split` field is `split`."""

    def parse(row: dict[str, Any], n: int) -> TargetItem:
        companies = tuple(
            GoldCompany(
                ticker=normalize_ticker(c["ticker"]) or c["ticker"],
                sentiment=c["sentiment"],
                events=frozenset(c.get("events", [])),
            )
            for c in row["companies"]
        )
        if any(c.sentiment not in SENTIMENT_LABELS for c in companies):
            raise ValueError(f"a sentiment is not one of {SENTIMENT_LABELS}")
        return TargetItem(
            id=str(row.get("id", n)),
            text=row["text"],
            companies=companies,
            split=row.get("split", "dev"),
            category=row.get("category", ""),
        )

    items = read_rows(path, parse, "target eval")
    return items if split == "all" else [i for i in items if i.split == split]


@dataclass
class SentimentScore:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"accuracy": round(self.accuracy, 4), "correct": self.correct, "n": self.total}


@dataclass
class TargetReport:
    n: int
    pairs: PRF = field(default_factory=PRF)
    attribution: PRF = field(default_factory=PRF)
    inherit_baseline: PRF = field(default_factory=PRF)
    entity_sentiment: SentimentScore | None = None
    article_baseline: SentimentScore | None = None
    not_linked: int = 0
    by_category: dict[str, PRF] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "pairs": self.pairs.as_dict(),
            "attribution": self.attribution.as_dict(),
            "inherit_baseline": self.inherit_baseline.as_dict(),
            "entity_sentiment": self.entity_sentiment.as_dict() if self.entity_sentiment else None,
            "article_sentiment_baseline": self.article_baseline.as_dict() if self.article_baseline else None,
            "gold_companies_not_linked": self.not_linked,
            "pairs_by_category": {k: v.as_dict() for k, v in sorted(self.by_category.items())},
        }


def evaluate_targets(
    annotator: Annotator, items: Sequence[TargetItem], predictor: SentimentModel | None = None
) -> TargetReport:
    """Annotate the headlines and score their event targets; with a sentiment model, also score
    the sentiment towards each linked company (read as the pipeline reads it) against the article's."""
    from finsentry.pipeline import entity_sentiments

    texts = [i.text for i in items]
    annotations = annotator.annotate(texts, [None] * len(items))
    if predictor is None:
        return score_targets(items, annotations)
    reading = predictor.read(texts)
    return score_targets(items, annotations, entity_sentiments(reading, annotations), reading.sentiments)


def score_targets(
    items: Sequence[TargetItem],
    annotations: Sequence[Annotation],
    towards: Sequence[dict[str, Sentiment]] | None = None,
    articles: Sequence[Sentiment] | None = None,
) -> TargetReport:
    """Score annotations (and, when given, entity and article sentiments) against the gold companies."""
    report = TargetReport(n=len(items))
    if towards is not None:
        report.entity_sentiment, report.article_baseline = SentimentScore(), SentimentScore()
    for i, (item, ann) in enumerate(zip(items, annotations, strict=True)):
        gold = item.pairs()
        predicted = {(t, e.type) for e in ann.events for t in (e.targets or [])}
        linked = [e.ticker for e in ann.entities if e.ticker]
        report.pairs.add(gold, predicted)
        report.by_category.setdefault(item.category, PRF()).add(gold, predicted)
        report.inherit_baseline.add(gold, {(t, e.type) for t in linked for e in ann.events})
        both = {t for _, t in gold} & {e.type for e in ann.events}
        report.attribution.add({p for p in gold if p[1] in both}, {p for p in predicted if p[1] in both})
        wrong_sentiment = []
        if towards is not None and articles is not None:
            assert report.entity_sentiment is not None and report.article_baseline is not None
            for c in item.companies:
                report.article_baseline.total += 1
                report.article_baseline.correct += articles[i].label == c.sentiment
                got = towards[i].get(c.ticker)
                if got is None:
                    report.not_linked += 1
                    continue
                report.entity_sentiment.total += 1
                report.entity_sentiment.correct += got.label == c.sentiment
                if got.label != c.sentiment:
                    wrong_sentiment.append(f"{c.ticker}: {got.label} (gold {c.sentiment})")
        if gold != predicted or wrong_sentiment:
            report.errors.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "missed": sorted(f"{t}:{e}" for t, e in gold - predicted),
                    "extra": sorted(f"{t}:{e}" for t, e in predicted - gold),
                    "actors": {e.type: e.actor for e in ann.events if e.actor},
                    "sentiment": wrong_sentiment,
                }
            )
    return report


def category_counts(items: Sequence[TargetItem]) -> dict[str, int]:
    return dict(Counter(i.category for i in items))
