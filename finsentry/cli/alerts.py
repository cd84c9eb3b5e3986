"""`finsentry evaluate-alerts`: the alerts against the labelled desk set and the incident scenarios."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from finsentry.settings import get_settings

log = logging.getLogger("finsentry.alerts")


def evaluate_alerts(
    data: Path = typer.Option(
        None, "--data", help="desk-labelled JSONL (text, ticker, label); default: the shipped set"
    ),
    split: str = typer.Option(
        "all",
        "--split",
        help="dev, test, dev2, test2, dev3, test3 (test, test2 and test3 are frozen: never tuned on) or all",
    ),
    model: Path = typer.Option(None, "--model", help="sentiment model directory; default: the settings' model"),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line of the figures"),
    errors: int = typer.Option(0, "--errors", help="also list up to this many headlines scored wrong"),
    scenarios: Path = typer.Option(
        None, "--scenarios", help="directory of scenario tapes (*.jsonl + *.expect.yaml); default: the shipped ones"
    ),
    no_scenarios: bool = typer.Option(False, "--no-scenarios", help="score the labelled headlines only"),
) -> None:
    """Precision and recall of medium-or-worse alerts against headlines a risk desk labelled (none ... critical),
    alerts per 1,000 headlines by severity, and the incident scenarios passed.

    Each labelled headline runs through the file-mode pipeline on its own, with a fresh risk state;
    each scenario tape runs through it in arrival order with one risk state."""
    from rich.console import Console

    from alerts.evaluation import DESK_LABELS, read_desk_labels, run_headlines, score_desk
    from alerts.scenarios import SCENARIOS, ScenarioResult, read_scenarios, run_scenarios
    from finsentry.models import load_models
    from nlp.sentiment import ModelNotFoundError

    settings = get_settings()
    if model is not None:
        settings.sentiment.model_dir = model
    path = data or DESK_LABELS
    try:
        tapes = [] if no_scenarios else read_scenarios(scenarios or SCENARIOS)
        items = [i for i in read_desk_labels(path) if split == "all" or i.split == split]
        models = load_models(settings, "default", build_default=model is None)
    except (OSError, ValueError, ModelNotFoundError) as exc:  # ValueError covers a malformed scenario
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if not items:
        typer.echo(f"error: no rows in {path} for split {split!r}", err=True)
        raise typer.Exit(2)
    log.info("scoring %d labelled headlines from %s (split %s)", len(items), path, split)
    runs = run_headlines(items, models, settings.risk)
    report = score_desk(items, [r.alerts for r in runs], [r.linked for r in runs])
    console = Console(stderr=as_json)
    lines = [("the labelled company", report.company), ("any company of the headline", report.headline)]
    if report.linked is not None:
        lines.append(("the labelled company, where finsentry linked it", report.linked))
    for name, counts in lines:
        c = counts.as_dict()
        console.print(
            f"[bold]medium-or-worse alerts for {name}[/] on {c['tp'] + c['fp'] + c['fn'] + c['tn']} headlines: "
            f"precision {c['precision']:.4f} recall {c['recall']:.4f} (tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"
        )
    per_1000 = ", ".join(f"{sev} {n}" for sev, n in report.per_1000().items())
    console.print(f"{report.alerts_per_headline:.3f} firing alerts per headline; per 1,000 headlines: {per_1000}")
    for err in report.errors[:errors]:
        console.print(err)
    results: list[ScenarioResult] = []
    if tapes:
        log.info("running %d incident scenarios", len(tapes))
        results = run_scenarios(tapes, models, settings.risk)
        console.print(f"[bold]scenarios passed[/]: {sum(r.passed for r in results)} of {len(results)}")
        for r in results:
            if not r.passed:
                console.print(f"  {r.name}: " + "; ".join(r.failures))
    if as_json:
        figures = {"data": str(path), "split": split, "models": models.versions(), **report.as_dict()}
        if results:
            figures["scenarios"] = {
                "passed": sum(r.passed for r in results),
                "total": len(results),
                "failures": {r.name: r.failures for r in results if not r.passed},
            }
        typer.echo(json.dumps(figures))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("evaluate-alerts")(evaluate_alerts)
