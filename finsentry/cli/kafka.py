"""`finsentry kafka fetch|lock|start|stop|status`: the local broker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import SecretStr

from finsentry import kafka_jars, kafka_java, kafka_local, kafka_security, topics
from finsentry.settings import get_settings

kafka_app = typer.Typer(help="Run the local Apache Kafka (KRaft, single node) from Maven Central jars.")


def local_broker() -> kafka_local.LocalKafka:
    """The local broker the settings describe (FINSENTRY_KAFKA gives host and port).

    With FINSENTRY_LOCAL_KAFKA__SECURED the broker also listens with SASL_SSL on port + 2
    and mutual TLS on port + 3; FINSENTRY_KAFKA may name either, with the matching
    FINSENTRY_KAFKA_SECURITY__PROTOCOL, and the plaintext port is found from it.
    """
    s = get_settings()
    host, port = kafka_local.parse_bootstrap(s.kafka)
    secure = None
    if s.local_kafka.secured:
        port -= kafka_local.SECURED_PORT_OFFSETS.get(s.kafka_security.protocol, 0)
        users = dict(s.local_kafka.users)
        if not users and s.kafka_security.username:
            with plain_errors():
                users[s.kafka_security.username] = SecretStr(kafka_security.password(s.kafka_security))
        secure = kafka_local.SecureListeners(
            sasl_ssl_port=port + kafka_local.SECURED_PORT_OFFSETS["SASL_SSL"],
            ssl_port=port + kafka_local.SECURED_PORT_OFFSETS["SSL"],
            tls_dir=s.local_kafka.home / "tls",
            users=tuple((name, pw.get_secret_value()) for name, pw in users.items()),
        )
    return kafka_local.LocalKafka(
        home=s.local_kafka.home, host=host, port=port, heap=s.local_kafka.heap, java=s.local_kafka.java, secure=secure
    )


@contextmanager
def plain_errors() -> Iterator[None]:
    """A refused jar, a missing Java, a refused login or an untrusted certificate is the user's
    to act on: one line on stderr and exit status 1, not a traceback."""
    try:
        yield
    except kafka_local.KafkaError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@kafka_app.command()
def fetch() -> None:
    """Download the locked Kafka jars from Maven Central and check their sha256 (cached after the first run)."""
    with plain_errors():
        got = kafka_local.fetch(quiet=False)
    total = kafka_jars.read_lock().size
    msg = f"fetched {got.jars} ({got.bytes / 1e6:.1f} MB) in {got.seconds:.1f}s" if got.jars else "already cached"
    typer.echo(f"Kafka {kafka_local.kafka_version()} jars ({total / 1e6:.1f} MB) in {kafka_local.LIB}: {msg}")


@kafka_app.command()
def lock() -> None:
    """Maintainers: regenerate deploy/kafka/jars.lock from deploy/kafka/pom.xml (needs Maven)."""
    with plain_errors():
        made = kafka_jars.generate_lock()
    kafka_jars.write_lock(made)
    typer.echo(f"{kafka_jars.LOCK}: {len(made.jars)} jars, {made.size / 1e6:.1f} MB")


@kafka_app.command()
def start() -> None:
    """Start the broker in the background, wait until it answers, create the topics."""
    broker = local_broker()
    with plain_errors():
        took = broker.start(timeout_s=get_settings().local_kafka.start_timeout_s)
    typer.echo(f"Kafka {kafka_local.kafka_version()} ready on {broker.bootstrap} in {took:.1f}s (data: {broker.home})")
    if broker.secure is not None:
        tls = broker.tls()
        users = ", ".join(name for name, _ in broker.secure.users) or "none"
        typer.echo(f"  SASL_SSL on {broker.sasl_ssl_bootstrap} (SCRAM-SHA-256/512, PLAIN; users: {users})")
        typer.echo(
            f"  mutual TLS on {broker.ssl_bootstrap} (client certificate {tls.client_cert}, key {tls.client_key})"
        )
        typer.echo(f"  CA: {tls.ca} (FINSENTRY_KAFKA_SECURITY__CA_FILE)")


@kafka_app.command()
def stop() -> None:
    """Stop the broker cleanly."""
    broker = local_broker()
    typer.echo("stopped" if broker.stop() else "not running")


@kafka_app.command()
def status() -> None:
    """Say whether the broker runs, on which Java, and list the topics with their partitions."""
    broker = local_broker()
    pid = broker.pid()
    with plain_errors():
        java = _java_line(broker)
    if pid is None:
        typer.echo(f"not running (data: {broker.home})")
        typer.echo(f"  would start on {java}")
        raise typer.Exit(1)
    settings = get_settings()
    security = settings.kafka_security
    # Secured, it asks the way every client connects (FINSENTRY_KAFKA with its security
    # settings), so a wrong password or CA shows here first; else the broker's plaintext port.
    address = settings.kafka if kafka_security.is_secured(security) else broker.bootstrap
    with plain_errors():
        found = kafka_local.describe_topics(address, security=security)
    typer.echo(f"running, pid {pid}, {broker.bootstrap}, Kafka {kafka_local.kafka_version()}, data: {broker.home}")
    if kafka_security.is_secured(security):
        typer.echo(f"  connected to {address} with {kafka_security.describe(security)}")
    typer.echo(f"  runs on {java}")
    for name in topics.PARTITIONS:
        typer.echo(f"  {name:<15} {found.get(name, 'missing')} partitions")


def _java_line(broker: kafka_local.LocalKafka) -> str:
    running = broker.running_java()
    if running is None:
        return kafka_java.describe(broker.chosen_java())
    try:
        chosen = broker.chosen_java()
    except kafka_local.KafkaError:
        chosen = None  # the settings changed since it started; what runs is still worth saying
    if chosen is not None and running.resolve() == chosen.path.resolve():
        return kafka_java.describe(chosen)
    return kafka_java.describe(kafka_java.Java(running, "the running process"))


def register(app: typer.Typer, bench: typer.Typer) -> None:
    app.add_typer(kafka_app, name="kafka")
