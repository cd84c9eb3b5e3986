"""How far a desk can trust the alerts: the pipeline's alerts against labelled headlines.

The labelled set (`alerts/resources/desk_labels.jsonl`, README beside it) gives each headline
the company it is about and the label a risk analyst reading it live would give it: none, low,
medium, high or critical. Each headline is scored on its own, as the readers judged it: it goes
through the file-mode pipeline (`finsentry.pipeline.run_pipeline`, the same functions as the
worker) with a fresh risk state, so no other headline makes a burst or a baseline for it.

Two readings of "the pipeline alerted", at medium or worse (what reaches a person one by one):
- `company`: an alert of that severity for the labelled company (a broker paged for the
  downgrade it gave counts as a miss of the company and, when the label is below medium, as a
  false alarm);
- `headline`: an alert of that severity for any company of the headline.

`linked` repeats `company` over the headlines whose labelled company the pipeline linked: it
splits a miss of the company list (no alert can go to a company finsentry does not link) from a
miss of the scoring.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alerts.risk import RiskEngine
from alerts.state import DictStore
from finsentry.contracts import SEVERITY_ORDER, Alert, Enriched, NewsEvent
from finsentry.jsonl import read_rows
from finsentry.pipeline import Models, enrich
from finsentry.settings import RiskSettings

DESK_LABELS = Path(__file__).resolve().parent / "resources" / "desk_labels.jsonl"
LABELS: tuple[str, ...] = ("none", *SEVERITY_ORDER)
PAGED = "medium"  # the lowest severity delivered one by one


@dataclass(frozen=True)
class DeskItem:
    id: str
    text: str
    ticker: str | None
    label: str
    split: str


def read_desk_labels(path: Path = DESK_LABELS) -> list[DeskItem]:
    def parse(row: dict[str, Any], n: int) -> DeskItem:
        if row["label"] not in LABELS:
            raise ValueError(f"label {row['label']!r} is not one of {LABELS}")
        return DeskItem(row["id"], row["text"], row.get("ticker"), row["label"], row.get("split", "dev"))

    return read_rows(path, parse, "desk label")


def at_least(label: str | None, floor: str = PAGED) -> bool:
    return label is not None and LABELS.index(label) >= LABELS.index(floor)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, gold: bool, predicted: bool) -> None:
        if gold and predicted:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif gold:
            self.fn += 1
        else:
            self.tn += 1

    def as_dict(self) -> dict[str, float | int]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        return {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


@dataclass
class DeskReport:
    n: int
    company: Counts = field(default_factory=Counts)
    headline: Counts = field(default_factory=Counts)
    # `company` over the headlines whose labelled company was linked (None: not measured)
    linked: Counts | None = None
    # confusion[gold][predicted] over the five labels, for the labelled company
    confusion: dict[str, dict[str, int]] = field(default_factory=lambda: {g: dict.fromkeys(LABELS, 0) for g in LABELS})
    alerts_per_headline: float = 0.0
    # firing messages by severity, over all headlines
    by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITY_ORDER, 0))
    errors: list[dict[str, object]] = field(default_factory=list)

    def per_1000(self) -> dict[str, float]:
        return {sev: round(1000 * n / self.n, 1) if self.n else 0.0 for sev, n in self.by_severity.items()}

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "paged_at": PAGED,
            "company": self.company.as_dict(),
            "headline": self.headline.as_dict(),
            **({"linked": self.linked.as_dict()} if self.linked is not None else {}),
            "confusion": self.confusion,
            "alerts_per_headline": round(self.alerts_per_headline, 3),
            "alerts_per_1000_by_severity": self.per_1000(),
        }


def _severest(alerts: Sequence[Alert], ticker: str | None = None) -> str:
    found = [a.severity for a in alerts if a.status == "firing" and (ticker is None or a.entity == ticker)]
    return max(found, key=LABELS.index) if found else "none"


def score_desk(
    items: Sequence[DeskItem],
    alerts: Sequence[Sequence[Alert]],
    linked: Sequence[AbstractSet[str]] | None = None,
) -> DeskReport:
    """`linked`: the companies the pipeline linked in each headline (fills `report.linked`)."""
    report = DeskReport(n=len(items), linked=Counts() if linked is not None else None)
    fired = 0
    links: Sequence[AbstractSet[str] | None] = linked if linked is not None else [None] * len(items)
    for item, item_alerts, item_links in zip(items, alerts, links, strict=True):
        firing = [a for a in item_alerts if a.status == "firing"]
        fired += len(firing)
        for a in firing:
            report.by_severity[a.severity] += 1
        company = _severest(firing, item.ticker) if item.ticker else "none"
        anyone = _severest(firing)
        gold = at_least(item.label)
        report.company.add(gold, at_least(company))
        report.headline.add(gold, at_least(anyone))
        if report.linked is not None and item_links is not None and item.ticker in item_links:
            report.linked.add(gold, at_least(company))
        report.confusion[item.label][company] += 1
        if gold != at_least(company):
            report.errors.append(
                {
                    "id": item.id,
                    "text": item.text,
                    "gold": f"{item.ticker}:{item.label}",
                    "alerts": [f"{a.entity}:{a.severity}:{a.event_type}" for a in firing],
                }
            )
    report.alerts_per_headline = fired / len(items) if items else 0.0
    return report


@dataclass(frozen=True)
class HeadlineRun:
    """One labelled headline through the pipeline: its alerts and the companies it linked."""

    alerts: list[Alert]
    linked: frozenset[str]


def run_headlines(items: Sequence[DeskItem], models: Models, risk: RiskSettings) -> list[HeadlineRun]:
    """Each headline through the pipeline with a fresh risk state (one batch for the models)."""
    when = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    news = [NewsEvent(id=item.id, headline=item.text, published_at=when) for item in items]
    records: dict[str, list[Enriched]] = {item.id: [] for item in items}
    for record in enrich(news, models).records:
        records[record.news_id].append(record)
    return [
        HeadlineRun(
            RiskEngine(risk, DictStore()).process(records[item.id]),
            frozenset(r.entity for r in records[item.id] if r.entity is not None),
        )
        for item in items
    ]
