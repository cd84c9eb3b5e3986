"""`finsentry dispatch` and `finsentry bench dispatch`: wiring for alerts/dispatch."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from alerts.dispatch.routing import RoutingConfig
    from finsentry.settings import Settings

log = logging.getLogger("finsentry.dispatch")

ROUTING_HELP = "routing file (TOML); default: settings dispatch.routing_file (FINSENTRY_DISPATCH__ROUTING_FILE)"


def _load(routing: Path | None) -> tuple[Settings, RoutingConfig]:
    from alerts.dispatch.routing import RoutingError, load_routing
    from finsentry.settings import get_settings

    settings = get_settings()
    path = routing or settings.dispatch.routing_file
    try:
        config = load_routing(path)
    except RoutingError as exc:
        typer.echo(f"error: invalid routing file {path}", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem}", err=True)
        raise typer.Exit(2) from None
    return settings, config


def _summary(config: RoutingConfig) -> None:
    typer.echo(f"routing file {config.source}: OK")
    for name, rc in config.receivers.items():
        limit = f", {rc.rate_per_s:g}/s" if rc.rate_per_s else ""
        typer.echo(f"  receiver {name}: {rc.type}{limit}, {rc.retry.max_attempts} tries in {rc.retry.max_elapsed_s:g}s")
    for i, route in enumerate(config.routes):
        typer.echo(
            f"  route {route.name or i}: -> {', '.join(route.receivers)}{' (continue)' if route.continue_ else ''}"
        )
    typer.echo(f"  default route -> {', '.join(config.default_route.receivers)}")
    typer.echo(f"  {len(config.silences)} silences" + (", quiet hours set" if config.quiet_hours else ""))
    if config.digest:
        typer.echo(f"  digest: {', '.join(config.digest.severities)} every {config.digest.interval_s:g}s")


def dispatch(
    routing: Path | None = typer.Option(None, "--routing", "-r", help=ROUTING_HELP),
    check: bool = typer.Option(False, "--check", help="validate the routing file, print what it sets up, exit"),
) -> None:
    """Deliver alerts from the `alerts` topic to e-mail, PagerDuty and webhooks.

    Reads FINSENTRY_KAFKA; commits an alert only after every receiver took it or it was parked in alerts.dlq.

    Metrics on FINSENTRY_METRICS__PORT + 1. Ctrl-C or SIGTERM stops cleanly: sends in flight get dispatch.shutdown_grace_s to finish. See docs/dispatch.md.
    """
    from prometheus_client import start_http_server

    from finsentry import topics
    from finsentry.cli.kafka import plain_errors
    from streams.dispatch import DispatchService, serve
    from streams.monitoring import LagMonitor

    settings, config = _load(routing)
    if check:
        _summary(config)
        return
    port = settings.metrics.port + 1
    start_http_server(port, addr=settings.metrics.host)
    log.info("metrics on http://%s:%d/metrics", settings.metrics.host, port)
    # The group's lag on `alerts`, and whether the broker answers, on the same /metrics.
    monitor = LagMonitor(
        settings.kafka,
        settings.dispatch.group_id,
        [topics.ALERTS],
        interval_s=settings.metrics.lag_interval_s,
        client_id="finsentry-dispatch-lag",
        security=settings.kafka_security,
    )
    with plain_errors(), monitor:
        serve(DispatchService(settings, config), logger=log)


def bench_dispatch(
    alerts: int = typer.Option(2000, "--alerts", "-n", help="alerts in the backlog (throughput phase)"),
    live: int = typer.Option(300, "--live", help="alerts sent one by one while the dispatcher runs (latency)"),
    rate: float = typer.Option(50.0, "--rate", help="alerts per second in the live phase"),
    delay_ms: float = typer.Option(0.0, "--receiver-delay-ms", help="answer delay of the stand-in receivers"),
    in_flight: int = typer.Option(64, "--in-flight", help="dispatch.max_in_flight: sends at once"),
    start_broker: bool = typer.Option(
        True, "--start-broker/--use-kafka", help="throwaway local broker, or the one FINSENTRY_KAFKA names"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON line"),
) -> None:
    """Delivery throughput (backlog drain) and latency (last_seen -> received), webhook + PagerDuty on loopback."""
    from streams.dispatch_bench import BenchOptions, print_report, run_bench

    opts = BenchOptions(
        alerts=alerts, live=live, rate=rate, delay_ms=delay_ms, start_broker=start_broker, max_in_flight=in_flight
    )
    try:
        report = run_bench(opts)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    print_report(report, as_json=as_json)


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.command("dispatch")(dispatch)
    bench.command("dispatch")(bench_dispatch)
