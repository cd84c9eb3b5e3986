"""`finsentry worker | score | replay | demo` and `bench pipeline`: wiring only."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from finsentry import topics
from finsentry.cli.kafka import plain_errors
from finsentry.models import ModelChoice, load_models, load_watchlist
from finsentry.settings import get_settings

_MODEL_HELP = "default: the fine-tuned sentiment model + spaCy entities; noop: no models (framework path)"


def worker(
    model: str = typer.Option("default", "--model", help=_MODEL_HELP),
    app_id: str = typer.Option(None, "--app-id", help="consumer group / app id (default from settings)"),
    stage: str = typer.Option(
        "all", "--stage", help="all | enrich (news -> news.enriched) | score (news.enriched -> alerts)"
    ),
) -> None:
    """Run the streaming worker: news -> news.enriched (+ news.dlq) -> alerts. Ctrl-C stops it cleanly."""
    from streams.worker import run_worker

    if stage not in ("all", "enrich", "score"):
        raise typer.BadParameter("must be all, enrich or score", param_hint="--stage")
    settings = get_settings()
    if app_id:
        settings.stream.app_id = app_id
    # A scoring-only worker needs no models: it reads what the enrich stage wrote.
    models = load_models(settings, "noop" if stage == "score" else _choice(model))
    with plain_errors():
        run_worker(settings, models, watchlist=load_watchlist(settings), stage=stage)  # type: ignore[arg-type]


def score(
    src: Path = typer.Argument(..., exists=True, dir_okay=False, help="news JSONL, one record per line"),
    out: Path = typer.Option(..., "-o", "--out", help="enriched JSONL to write"),
    alerts: Path = typer.Option(None, "--alerts", help="alerts JSONL to write (risk scoring on event time)"),
    model: str = typer.Option("default", "--model", help=_MODEL_HELP),
) -> None:
    """File mode: run the same pipeline over a JSONL file, no Kafka. Invalid lines are reported and skipped."""
    from finsentry.filemode import score_file

    settings = get_settings()
    models = load_models(settings, _choice(model))
    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn()
    ) as progress:
        task = progress.add_task(f"scoring {src.name}", total=src.stat().st_size)
        report = score_file(
            src,
            out,
            models,
            settings,
            alerts_out=alerts,
            watchlist=load_watchlist(settings),
            on_bytes=lambda n: progress.advance(task, n),
        )
    typer.echo(
        f"{report.valid} of {report.lines} records enriched into {report.enriched} rows -> {out}"
        + (f"; {report.alerts} alerts -> {alerts}" if alerts else "")
    )
    if report.invalid:
        typer.echo(f"{len(report.invalid)} invalid lines skipped:", err=True)
        for lineno, reason in report.invalid[:20]:
            typer.echo(f"  line {lineno}: {reason}", err=True)
        if len(report.invalid) > 20:
            typer.echo(f"  ... and {len(report.invalid) - 20} more", err=True)


def replay(
    src: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSONL (sent as written) or CSV of headlines"),
    rate: float = typer.Option(None, "--rate", min=0.001, help="records per second (default: as fast as possible)"),
    topic: str = typer.Option(topics.NEWS, "--topic", help="topic to send to"),
) -> None:
    """Send a file of headlines to Kafka, line by line, with progress and a final count."""
    from streams.replay import count_records
    from streams.replay import replay as send

    settings = get_settings()
    total = count_records(src)
    with (
        plain_errors(),
        Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
        ) as progress,
    ):
        task = progress.add_task(f"{src.name} -> {topic}", total=total)
        sent = send(
            src,
            settings.kafka,
            topic,
            rate=rate,
            on_sent=lambda n: progress.advance(task, n),
            security=settings.kafka_security,
        )
    typer.echo(f"sent {sent} records to {topic} on {settings.kafka}")


def bench_pipeline(
    model: str = typer.Option("noop", "--model", help=_MODEL_HELP),
    events: int = typer.Option(50_000, "--events", min=1, help="events for the throughput phase"),
    latency_seconds: float = typer.Option(8.0, "--latency-seconds", min=1, help="length of the steady-load phase"),
    latency_rate: float = typer.Option(
        None, "--latency-rate", help="events/s in the latency phase (default: half the throughput)"
    ),
    stage: str = typer.Option(
        "all", "--stage", help="all (one worker) | enrich (stage 1 only) | split (an enrich and a score process)"
    ),
    as_json: bool = typer.Option(False, "--json", help="end with one JSON line"),
) -> None:
    """Events/s and event-to-enriched / event-to-alert latency through a fresh real broker and worker."""
    import orjson
    from rich.console import Console
    from rich.table import Table

    from streams.bench import as_dict, run_pipeline_bench

    console = Console(stderr=as_json)
    result = run_pipeline_bench(
        model=_choice(model),
        events=events,
        latency_seconds=latency_seconds,
        latency_rate=latency_rate,
        log=console.log,
        stage=stage,
    )
    table = Table(title=f"pipeline benchmark (--model {model})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in as_dict(result).items():
        table.add_row(key, str(value))
    console.print(table)
    if as_json:
        typer.echo(orjson.dumps(as_dict(result)).decode())


def demo(
    rate: float = typer.Option(5.0, "--rate", min=0.1, help="headlines per second in the sample feed"),
    keep_kafka: bool = typer.Option(False, "--keep-kafka", help="leave the local broker running on exit"),
) -> None:
    """Everything on one machine: local Kafka, the worker, a replay of sample headlines, alerts printed as they fire."""
    from finsentry.cli.kafka import local_broker
    from streams.demo import run_demo

    run_demo(get_settings(), local_broker(), rate=rate, keep_kafka=keep_kafka)


def _choice(model: str) -> ModelChoice:
    if model not in ("default", "noop"):
        raise typer.BadParameter("must be 'default' or 'noop'", param_hint="--model")
    return "noop" if model == "noop" else "default"


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command()(worker)
    app.command()(score)
    app.command()(replay)
    app.command()(demo)
    bench.command("pipeline")(bench_pipeline)
