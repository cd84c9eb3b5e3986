"""Session fixtures: a real Apache Kafka broker, started by the project's own code."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from finsentry import kafka_certs, kafka_local
from tests.kafka_helpers import SecuredKafka, free_port_pair


def _start(home: Path) -> kafka_local.LocalKafka:
    broker = kafka_local.LocalKafka(home=home, port=free_port_pair(), heap="512m")
    broker.start(timeout_s=90)
    return broker


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of the session's broker.

    FINSENTRY_TEST_KAFKA points the suite at a broker you run yourself (its topics are
    created if missing); otherwise a local broker is started on free loopback ports in a
    temporary folder, exactly as `finsentry kafka start` would, and stopped at the end.
    """
    external = os.environ.get("FINSENTRY_TEST_KAFKA")
    if external:
        kafka_local.wait_until_ready(external, timeout_s=30)
        kafka_local.ensure_topics(external)
        yield external
        return
    broker = _start(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def fresh_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """A factory of brand-new brokers, for tests that need topics nobody else wrote to."""
    started: list[kafka_local.LocalKafka] = []

    def make() -> str:
        broker = _start(tmp_path_factory.mktemp("kafka-fresh"))
        started.append(broker)
        return broker.bootstrap

    yield make
    for broker in started:
        broker.stop()


@pytest.fixture(scope="session")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredKafka]:
    """A broker of its own with SASL_SSL (SCRAM-SHA-256/512 user `alice`) and mutual-TLS listeners.

    Certificates are made in the fixture's folder (kafka_certs); the SCRAM user is added when
    the storage is formatted, with Kafka's own StorageTool. Always local, even with
    FINSENTRY_TEST_KAFKA set: the tests need to know its CA and users.
    """
    home = tmp_path_factory.mktemp("kafka-secured")
    user, password = "alice", "alice-Pa55-" + os.urandom(6).hex()
    secure = kafka_local.SecureListeners(
        sasl_ssl_port=kafka_local.free_port(),
        ssl_port=kafka_local.free_port(),
        tls_dir=home / "tls",
        users=((user, password),),
    )
    broker = kafka_local.LocalKafka(home=home, port=free_port_pair(), heap="512m", secure=secure)
    broker.start(timeout_s=90)
    unknown_ca = kafka_certs.make_ca_file(home / "unknown-ca.pem", "nobody's CA")
    try:
        yield SecuredKafka(broker=broker, user=user, password=password, unknown_ca=unknown_ca)
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A genuine (barely trained) sentiment model directory, made once per session in seconds."""
    from nlp.training import train_tiny_model

    return train_tiny_model(tmp_path_factory.mktemp("tiny-model") / "model")
