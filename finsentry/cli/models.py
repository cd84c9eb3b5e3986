"""`finsentry train`, `finsentry evaluate` and `finsentry bench model`: the sentiment model's commands."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from finsentry.settings import get_settings

if TYPE_CHECKING:
    from nlp.sentiment import BatchedSentiment
    from nlp.training import TrainConfig

log = logging.getLogger("finsentry.models")

_DATA_HELP = (
    "labelled CSV: a `text` or `sentence` column and a `label` column "
    "(negative/neutral/positive, or the tweets' 0 negative, 1 positive, 2 neutral); "
    "with an `entity` column (and optionally `headline_id`) the label is the sentiment towards that entity"
)


def train(
    out: Path = typer.Option(..., "--out", help="model directory to write (replaced atomically when done)"),
    data: list[Path] = typer.Option(
        None,
        "--data",
        help=f"{_DATA_HELP}; repeat for several (entity-level files train the entity head); "
        "default: the repo's financial tweets and SEntFiN",
    ),
    eval_data: list[Path] = typer.Option(
        None, "--eval", help="CSV to score the final model on and record in the model card (never trained on)"
    ),
    epochs: int = typer.Option(None, help="passes over the training data (early stopping may end sooner)"),
    seed: int = typer.Option(None, help="seed for the validation split, shuffling and initialisation"),
    lr: float = typer.Option(None, help="peak AdamW learning rate"),
    batch_size: int = typer.Option(None, help="examples per optimizer step"),
    max_length: int = typer.Option(None, help="tokens per training text"),
    valid_fraction: float = typer.Option(None, help="share of each file held out for validation"),
    class_weighting: str = typer.Option(None, help="loss weight of rarer classes: none, sqrt or inverse"),
    select_on: str = typer.Option(
        None, help="validation data that picks the kept weights: all files, or only the first --data file"
    ),
    max_steps: int = typer.Option(None, help="stop after this many optimizer steps (quick trials)"),
    threads: int = typer.Option(None, help="torch CPU threads; 0 = all cores"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
) -> None:
    """Fine-tune the offline MiniLM-L6 base into the 3-class sentiment model (negative, neutral, positive),
    with an entity head that reads the sentiment towards each company of a headline."""
    from nlp import training

    overrides: dict[str, Any] = {
        "epochs": epochs,
        "seed": seed,
        "lr": lr,
        "batch_size": batch_size,
        "max_length": max_length,
        "valid_fraction": valid_fraction,
        "class_weighting": class_weighting,
        "select_on": select_on,
        "max_steps": max_steps,
        "threads": threads,
    }
    if class_weighting not in (None, "none", "sqrt", "inverse"):
        raise typer.BadParameter("expected none, sqrt or inverse", param_hint="--class-weighting")
    if select_on not in (None, "all", "first"):
        raise typer.BadParameter("expected all or first", param_hint="--select-on")
    config = replace(training.DEFAULT_CONFIG, **{k: v for k, v in overrides.items() if v is not None})
    try:
        result = training.train(out, data or None, config, eval_data=eval_data or (), progress=progress)
    except KeyboardInterrupt:
        typer.echo(f"interrupted: nothing written to {out}", err=True)
        raise typer.Exit(130) from None
    except ValueError as exc:  # DataFormatError: names the file and the missing column
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"model written to {result.model_dir} in {result.wall_s:.0f}s ({result.steps} steps): "
        f"validation accuracy {result.valid.accuracy:.4f}, macro-F1 {result.valid.macro_f1:.4f}"
    )
    for path, report in {**result.valid_by_source, **result.extra_eval}.items():
        extra = "".join(f", agreement {a}%: {v:.4f}" for a, v in report.accuracy_by_agreement.items() if a == "100")
        typer.echo(f"  {path} (n={report.n}): accuracy {report.accuracy:.4f}, macro-F1 {report.macro_f1:.4f}{extra}")
    if result.entity_valid is not None:
        e = result.entity_valid
        typer.echo(
            f"  entity head (n={e.n}): accuracy {e.accuracy:.4f}, macro-F1 {e.macro_f1:.4f}, "
            f"on headlines whose entities disagree {e.conflict_accuracy or 0:.4f} (n={e.conflict_n})"
        )
        for path, e in result.entity_valid_by_source.items():
            typer.echo(
                f"    {path} (n={e.n}): accuracy {e.accuracy:.4f}, macro-F1 {e.macro_f1:.4f}, "
                f"disagreeing headlines {e.conflict_accuracy or 0:.4f} (n={e.conflict_n})"
            )
    typer.echo(f"model card: {result.model_dir / training.CARD_FILE}")


def evaluate(
    model: Path = typer.Option(None, "--model", help="model directory; default: the one the settings name"),
    data: Path = typer.Option(..., "--data", help=_DATA_HELP),
    split: str = typer.Option(
        "all",
        help="all rows, or the `valid`/`train` part that `finsentry train` cut from this file "
        "(same seed and fraction, read from the model card)",
    ),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line: accuracy, macro_f1, per_class, ..."),
) -> None:
    """Score a model on a labelled CSV: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

    A CSV with an `entity` column is scored at the entity level: the sentiment towards each row's
    entity, plus `conflict_accuracy` over the rows of headlines whose entities disagree.
    """
    from nlp.entity_data import is_entity_csv

    if is_entity_csv(data):
        _evaluate_entities(model, data, split, as_json)
        return
    from nlp.metrics_eval import evaluate_model, format_report
    from nlp.sentiment_data import load_csv
    from nlp.training import split_articles

    predictor, examples = _model_and_rows(model, data, split, load_csv, split_articles)
    report = evaluate_model(predictor, examples)
    typer.echo(f"model {predictor.version} on {data} ({split}), device {predictor.device}")
    typer.echo(format_report(report))
    if as_json:
        typer.echo(json.dumps(report.to_dict()))


_Row = TypeVar("_Row")


def _model_and_rows(
    model: Path | None,
    data: Path,
    split: str,
    load: Callable[[Path], list[_Row]],
    cut: Callable[[list[_Row], TrainConfig], tuple[list[_Row], list[_Row]]],
) -> tuple[BatchedSentiment, list[_Row]]:
    """The model to evaluate and the rows of `data` to evaluate it on: all of them, or the part of
    them that `finsentry train` cut (`cut`, nlp/training.py's rule, with the model card's seed and fraction)."""
    from nlp.sentiment import ModelNotFoundError, load_sentiment
    from nlp.sentiment_data import DataFormatError
    from nlp.training import split_config

    settings = get_settings().sentiment
    if model is not None:
        settings = settings.model_copy(update={"model_dir": model})
    if split not in ("all", "valid", "train"):
        raise typer.BadParameter("expected all, valid or train", param_hint="--split")
    try:
        rows = load(data)
        predictor = load_sentiment(settings)
    except (DataFormatError, ModelNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if split != "all":
        config = split_config(predictor.model_dir)
        train_part, valid_part = cut(rows, config)
        rows = valid_part if split == "valid" else train_part
        log.info(
            "evaluating on the %s part of %s (fraction %.2f, seed %d)", split, data, config.valid_fraction, config.seed
        )
    return predictor, rows


def _evaluate_entities(model: Path | None, data: Path, split: str, as_json: bool) -> None:
    from nlp.entity_data import load_entity_csv
    from nlp.metrics_eval import evaluate_entity_model, format_report
    from nlp.training import split_entities

    predictor, examples = _model_and_rows(model, data, split, load_entity_csv, split_entities)
    if predictor.entity_head is None:
        log.warning("%s has no entity head: every entity is read as its whole headline", predictor.model_dir)
    result = evaluate_entity_model(predictor, examples)
    typer.echo(f"model {predictor.version} on {data} ({split}, entity level), device {predictor.device}")
    typer.echo(format_report(result.report))
    if result.not_found_lines:
        shown = ", ".join(str(n) for n in result.not_found_lines[:10])
        more = f" and {len(result.not_found_lines) - 10} more" if len(result.not_found_lines) > 10 else ""
        typer.echo(
            f"{len(result.not_found_lines)} rows name an entity that is not in their text (lines {shown}{more}): "
            "read from the whole text"
        )
    if as_json:
        out = result.report.to_dict()
        out["entity_not_found"] = {"rows": len(result.not_found_lines), "lines": result.not_found_lines}
        typer.echo(json.dumps(out))


def bench_model(
    model: Path = typer.Option(None, "--model", help="model directory; default: the one the settings name"),
    data: Path = typer.Option(None, "--data", help="CSV of texts to score; default: the repo tweets' valid split"),
    n: int = typer.Option(1000, "--n", min=1, help="texts to score (each way scores the same texts)"),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="texts per predict() call (the pipeline's batch)"),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line: batched_per_s, per_event_per_s, ..."),
) -> None:
    """Sentences/s of the batched predictor against one-text-per-call transformers pipeline; same model, texts, run."""
    from nlp.sentiment import ModelNotFoundError, load_sentiment
    from nlp.sentiment_bench import bench_model as run_bench
    from nlp.sentiment_bench import bench_texts
    from nlp.sentiment_data import REPO_TWEETS_VALID, DataFormatError

    settings = get_settings().sentiment
    if model is not None:
        settings = settings.model_copy(update={"model_dir": model})
    try:
        texts = bench_texts(n, data or REPO_TWEETS_VALID)
        predictor = load_sentiment(settings)
    except (DataFormatError, ModelNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"scoring {len(texts)} texts with {predictor.version} on {predictor.device}, both ways ...")
    result = run_bench(predictor, texts, batch_size=batch_size)
    typer.echo(
        f"batched:   {result.batched_per_s:8.1f} texts/s  (per {result.batch_size}-text batch: "
        f"p50 {result.batched_batch_p50_ms:.1f} ms, p95 {result.batched_batch_p95_ms:.1f} ms)"
    )
    typer.echo(
        f"per-event: {result.per_event_per_s:8.1f} texts/s  (per text: "
        f"p50 {result.per_event_p50_ms:.1f} ms, p95 {result.per_event_p95_ms:.1f} ms)"
    )
    typer.echo(f"with the entity head (one mention per text, same encoder pass): {result.read_per_s:8.1f} texts/s")
    typer.echo(
        f"ratio {result.ratio:.2f}x on {result.device} ({result.precision} batched, fp32 per-event) "
        f"with {result.threads} threads; "
        f"labels agree on {result.agreement:.2%} of texts"
    )
    if as_json:
        typer.echo(json.dumps(result.to_dict()))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    bench.command("model")(bench_model)
