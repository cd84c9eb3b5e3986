"""Classification metrics for the 3-class sentiment models: accuracy, macro-F1, per class P/R/F1, confusion.

Pure Python on label lists, so the trainer, `finsentry evaluate` and the tests share one
definition. Precision, recall or F1 of a class with no predictions (or no examples) is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from finsentry.contracts import SENTIMENT_LABELS
from nlp.entity_data import EntityExample, conflict_rows
from nlp.entity_spans import find_mentions
from nlp.interfaces import SentimentModel
from nlp.sentiment_data import Example


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScores]
    # confusion[i][j]: examples of true labels[i] predicted as labels[j].
    confusion: list[list[int]]
    labels: tuple[str, ...] = SENTIMENT_LABELS
    # Accuracy per annotator-agreement level, when the data has one (PhraseBank).
    accuracy_by_agreement: dict[str, float] = field(default_factory=dict)
    # Entity-level data: accuracy over the rows of headlines whose entities have different gold labels.
    conflict_accuracy: float | None = None
    conflict_n: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["labels"] = list(self.labels)
        return out


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def classification_report(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str] = SENTIMENT_LABELS,
    agreement: Sequence[int | None] | None = None,
    conflict: Sequence[bool] | None = None,
) -> Report:
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    index = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        confusion[index[t]][index[p]] += 1
    n = len(y_true)
    correct = sum(confusion[i][i] for i in range(len(labels)))
    per_class: dict[str, ClassScores] = {}
    for i, label in enumerate(labels):
        tp = confusion[i][i]
        predicted = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = _div(tp, predicted)
        recall = _div(tp, support)
        per_class[label] = ClassScores(
            precision=precision,
            recall=recall,
            f1=_div(2 * precision * recall, precision + recall),
            support=support,
        )
    by_agreement: dict[str, float] = {}
    if agreement is not None and any(a is not None for a in agreement):
        hits: dict[int, list[bool]] = defaultdict(list)
        for t, p, a in zip(y_true, y_pred, agreement, strict=True):
            if a is not None:
                hits[a].append(t == p)
        by_agreement = {str(a): sum(h) / len(h) for a, h in sorted(hits.items())}
    conflict_hits = [t == p for t, p, c in zip(y_true, y_pred, conflict or [False] * n, strict=True) if c]
    return Report(
        n=n,
        accuracy=_div(correct, n),
        macro_f1=sum(c.f1 for c in per_class.values()) / len(labels),
        per_class=per_class,
        confusion=confusion,
        labels=tuple(labels),
        accuracy_by_agreement=by_agreement,
        conflict_accuracy=_div(sum(conflict_hits), len(conflict_hits)) if conflict is not None else None,
        conflict_n=len(conflict_hits),
    )


def evaluate_model(model: SentimentModel, examples: Sequence[Example]) -> Report:
    """Predict every example's text with `model` and score the labels."""
    predictions = model.predict([e.text for e in examples])
    return classification_report(
        [e.label for e in examples],
        [p.label for p in predictions],
        agreement=[e.agreement for e in examples],
    )


def format_report(report: Report) -> str:
    """A plain-text table for terminals and model cards."""
    width = max(len(label) for label in report.labels)
    lines = [
        f"n={report.n}  accuracy={report.accuracy:.4f}  macro-F1={report.macro_f1:.4f}",
        f"{'':{width}}  precision  recall     f1  support",
    ]
    for label, s in report.per_class.items():
        lines.append(f"{label:{width}}  {s.precision:9.4f}  {s.recall:6.4f}  {s.f1:.4f}  {s.support:7d}")
    lines.append("confusion (rows: true, columns: predicted " + " / ".join(report.labels) + ")")
    for label, row in zip(report.labels, report.confusion, strict=True):
        lines.append(f"{label:{width}}  " + "  ".join(f"{v:6d}" for v in row))
    for level, acc in report.accuracy_by_agreement.items():
        lines.append(f"accuracy at agreement {level}%: {acc:.4f}")
    if report.conflict_accuracy is not None:
        lines.append(
            f"accuracy on rows of headlines whose entities disagree: {report.conflict_accuracy:.4f}"
            f" (n={report.conflict_n})"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class EntityEvaluation:
    report: Report
    # File lines of rows whose entity is not in their text: read from the whole text instead.
    not_found_lines: list[int]


def evaluate_entity_model(model: SentimentModel, examples: Sequence[EntityExample]) -> EntityEvaluation:
    """Score the sentiment towards each row's entity, read from every mention of it in the text.

    A row whose entity does not occur in its text (a typo in the data, a garbled name) is not
    dropped: its entity is read from the whole text, the head's documented fallback, and the
    row is counted and named in `not_found_lines`.
    """
    texts = list(dict.fromkeys(e.text for e in examples))
    index = {t: i for i, t in enumerate(texts)}
    reading = model.read(texts)
    spans = [find_mentions(e.text, e.entity) for e in examples]
    predicted = reading.towards([(index[e.text], s) for e, s in zip(examples, spans, strict=True)])
    report = classification_report(
        [e.label for e in examples], [p.label for p in predicted], conflict=conflict_rows(examples)
    )
    return EntityEvaluation(report, [e.line for e, s in zip(examples, spans, strict=True) if not s])
