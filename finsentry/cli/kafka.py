"""`finsentry kafka fetch|start|stop|status`: the local broker."""

from __future__ import annotations

import typer

from finsentry import kafka_local, topics
from finsentry.settings import get_settings

kafka_app = typer.Typer(help="Run the local Apache Kafka (KRaft, single node) from Maven Central jars.")


def local_broker() -> kafka_local.LocalKafka:
    """The local broker the settings describe (FINSENTRY_KAFKA gives host and port)."""
    s = get_settings()
    host, port = kafka_local.parse_bootstrap(s.kafka)
    return kafka_local.LocalKafka(home=s.local_kafka.home, host=host, port=port, heap=s.local_kafka.heap)


@kafka_app.command()
def fetch() -> None:
    """Resolve the pinned Kafka jars from Maven Central (cached after the first run)."""
    took = kafka_local.fetch(quiet=False)
    msg = f"fetched in {took:.1f}s" if took else "already cached"
    typer.echo(f"Kafka {kafka_local.kafka_version()} jars in {kafka_local.LIB}: {msg}")


@kafka_app.command()
def start() -> None:
    """Start the broker in the background, wait until it answers, create the topics."""
    broker = local_broker()
    took = broker.start(timeout_s=get_settings().local_kafka.start_timeout_s)
    typer.echo(f"Kafka {kafka_local.kafka_version()} ready on {broker.bootstrap} in {took:.1f}s (data: {broker.home})")


@kafka_app.command()
def stop() -> None:
    """Stop the broker cleanly."""
    broker = local_broker()
    typer.echo("stopped" if broker.stop() else "not running")


@kafka_app.command()
def status() -> None:
    """Say whether the broker runs and list the topics with their partitions."""
    broker = local_broker()
    pid = broker.pid()
    if pid is None:
        typer.echo(f"not running (data: {broker.home})")
        raise typer.Exit(1)
    found = kafka_local.describe_topics(broker.bootstrap)
    typer.echo(f"running, pid {pid}, {broker.bootstrap}, Kafka {kafka_local.kafka_version()}, data: {broker.home}")
    for name in topics.PARTITIONS:
        typer.echo(f"  {name:<15} {found.get(name, 'missing')} partitions")


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.add_typer(kafka_app, name="kafka")
