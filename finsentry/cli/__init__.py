"""The `finsentry` command: wiring only; each command calls into the part it names."""

from __future__ import annotations

import logging
import os

import typer

from finsentry import __version__

app = typer.Typer(
    name="finsentry",
    help="Streaming financial-news risk warnings. Settings come from FINSENTRY_* env vars (see README).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
bench_app = typer.Typer(help="Benchmarks that print figures (add --json for one machine-readable line).")
app.add_typer(bench_app, name="bench")


def setup_logging(verbose: bool = False) -> None:
    from rich.logging import RichHandler

    from finsentry.log_repeats import OutageTracebackFilter, RepeatFilter

    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("FINSENTRY_LOG_LEVEL", "INFO").upper())
    handler = RichHandler(rich_tracebacks=True, show_path=False)
    handler.addFilter(RepeatFilter())
    handler.addFilter(OutageTracebackFilter())
    logging.basicConfig(level=level, format="%(name)s: %(message)s", datefmt="[%X]", handlers=[handler], force=True)
    # Client libraries narrate every reconnect at INFO; their warnings are what matter.
    for noisy in ("kafka", "aiokafka", "faust", "mode", "httpx", "transformers"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="debug logging"),
    version: bool = typer.Option(False, "--version", help="print the version and exit", is_eager=True),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    setup_logging(verbose)


def _register() -> None:
    from finsentry.cli import alerts, dispatch, entities, kafka, models, stream

    for module in (kafka, stream, models, entities, alerts, dispatch):
        module.register(app, bench_app)


_register()


def main() -> None:
    app()
