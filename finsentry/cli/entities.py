"""`finsentry evaluate-entities` and `finsentry bench entities`: the entity/event annotator's commands."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from finsentry.settings import get_settings

if TYPE_CHECKING:
    from rich.console import Console

    from nlp.entity_eval import EvalReport
    from nlp.interfaces import Annotator

log = logging.getLogger("finsentry.entities")


def evaluate_entities(
    data: Path = typer.Option(None, "--data", help="annotated JSONL (text, tickers, events); default: the shipped set"),
    split: str = typer.Option(
        "all",
        "--split",
        help="rows whose `split` field is this (dev, heldout, wild, unseen, final, final2 ... final11), or all",
    ),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line of all figures"),
    errors: int = typer.Option(0, "--errors", help="also list up to this many headlines the annotator got wrong"),
    targets_data: Path = typer.Option(
        None,
        "--targets-data",
        help="multi-company JSONL (text, companies: ticker, sentiment, events) for event targets and entity "
        "sentiment; default: the shipped set",
    ),
    model: Path = typer.Option(
        None, "--model", help="sentiment model for entity sentiment; default: the settings' model, when it exists"
    ),
    sentiment: bool = typer.Option(
        True, "--sentiment/--no-sentiment", help="also score entity-level sentiment on the targets set"
    ),
) -> None:
    """Score ticker linking (precision/recall/F1) and event types (per type and macro-F1) on annotated headlines,
    then event targets (which company each event happens to) and entity-level sentiment on multi-company ones."""
    from rich.console import Console

    from nlp.annotator import load_annotator
    from nlp.entity_eval import DEFAULT_EVAL, evaluate, read_eval

    path = data or DEFAULT_EVAL
    try:
        items = read_eval(path, split=split)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    annotator = load_annotator(get_settings().entities)
    console = Console(stderr=as_json)
    main: dict[str, object] = {}
    if items:
        log.info("scoring %d headlines from %s (split %s)", len(items), path, split)
        main = _report_entities(evaluate(annotator, items), console, errors)
    else:
        console.print(f"entities and events: no rows in {path} for split {split!r}")
    targets = _evaluate_targets(annotator, targets_data, split, model, sentiment, console, errors)
    if not items and targets is None:
        typer.echo(f"error: no rows for split {split!r} in either evaluation set", err=True)
        raise typer.Exit(2)
    if as_json:
        out = {"data": str(path), "split": split, "annotator": annotator.version, **main, "targets": targets}
        typer.echo(json.dumps(out))


def _report_entities(report: EvalReport, console: Console, errors: int) -> dict[str, object]:
    from rich.table import Table

    t = report.tickers
    console.print(
        f"[bold]ticker linking[/] on {report.n} headlines: precision {t.precision:.4f}  recall {t.recall:.4f}  "
        f"F1 {t.f1:.4f}  (tp {t.tp}, fp {t.fp}, fn {t.fn})"
    )
    table = Table(title="event types")
    for col in ("type", "precision", "recall", "F1", "support", "fp"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for name, prf in sorted(report.events.items()):
        table.add_row(
            name, f"{prf.precision:.3f}", f"{prf.recall:.3f}", f"{prf.f1:.3f}", str(prf.tp + prf.fn), str(prf.fp)
        )
    console.print(table)
    micro = report.micro_events
    console.print(
        f"[bold]event macro-F1[/] {report.macro_f1:.4f} over {len(report.events)} types in gold or predictions "
        f"({report.macro_f1_gold_types:.4f} over the gold types only); micro P {micro.precision:.4f} "
        f"R {micro.recall:.4f} F1 {micro.f1:.4f}"
    )
    for err in report.errors[:errors]:
        console.print(err)
    return report.as_dict()


def _evaluate_targets(
    annotator: Annotator,
    data: Path | None,
    split: str,
    model: Path | None,
    with_sentiment: bool,
    console: Console,
    errors: int,
) -> dict[str, object] | None:
    from nlp.sentiment import BatchedSentiment, ModelNotFoundError, load_sentiment
    from nlp.target_eval import DEFAULT_TARGETS_EVAL, evaluate_targets, read_target_eval

    path = data or DEFAULT_TARGETS_EVAL
    try:
        items = read_target_eval(path, split=split)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not items:
        console.print(f"targets: no rows in {path} for split {split!r}")
        return None
    predictor: BatchedSentiment | None = None
    if with_sentiment:
        settings = get_settings().sentiment
        if model is not None:
            settings = settings.model_copy(update={"model_dir": model})
        try:
            predictor = load_sentiment(settings)
        except ModelNotFoundError as exc:
            console.print(f"entity sentiment skipped: {exc}")
    version = predictor.version if predictor is not None else None
    report = evaluate_targets(annotator, items, predictor)
    pairs, attribution, base = report.pairs, report.attribution, report.inherit_baseline
    console.print(
        f"[bold]event targets[/] on {report.n} multi-company headlines ({path.name}, split {split}): "
        f"attribution P {attribution.precision:.4f} R {attribution.recall:.4f} (events found in both); "
        f"end to end P {pairs.precision:.4f} R {pairs.recall:.4f}; "
        f"every company inheriting every event would give P {base.precision:.4f} R {base.recall:.4f}"
    )
    if report.entity_sentiment is not None and report.article_baseline is not None:
        console.print(
            f"[bold]entity sentiment[/] ({version}): accuracy {report.entity_sentiment.accuracy:.4f} over "
            f"{report.entity_sentiment.total} linked companies ({report.not_linked} gold companies not linked); "
            f"the article's sentiment for every company: {report.article_baseline.accuracy:.4f}"
        )
    for err in report.errors[:errors]:
        console.print(err)
    return {"data": str(path), "sentiment_model": version, **report.as_dict()}


def bench_entities(
    n: int = typer.Option(5000, "--n", help="headlines to annotate (the eval set's texts, repeated)"),
    batch_size: int = typer.Option(None, "--batch-size", help="texts per annotate() call; default: the setting"),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line of the figures"),
) -> None:
    """Measure entities + events throughput (headlines/s) of the spaCy annotator on this machine."""
    from rich.progress import Progress

    from nlp.annotator import load_annotator
    from nlp.entity_bench import bench_annotator, bench_texts

    settings = get_settings().entities
    annotator = load_annotator(settings)
    size = batch_size or settings.batch_size
    texts = bench_texts(n)
    try:
        with Progress(transient=True, disable=as_json) as progress:
            task = progress.add_task("annotating", total=len(texts))
            result = bench_annotator(annotator, texts, size, on_batch=lambda k: progress.advance(task, k))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    typer.echo(
        f"entities+events: {result.per_s:.0f} headlines/s wall ({1000 * result.wall_s / result.texts:.3f} ms each), "
        f"{result.texts / result.cpu_s if result.cpu_s else 0:.0f} headlines per CPU-second, over {result.texts} "
        f"headlines, batch {result.batch_size}, {result.device}, load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores; {result.entities} entities, {result.events} events",
        err=as_json,
    )
    if as_json:
        typer.echo(json.dumps({"annotator": annotator.version, **result.as_dict()}))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("evaluate-entities")(evaluate_entities)
    bench.command("entities")(bench_entities)
