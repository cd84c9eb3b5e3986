"""Test helpers over a real broker: produce with kafka-python, read a topic back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from pydantic import SecretStr

from finsentry import kafka_certs, kafka_local
from finsentry.kafka_local import free_port_pair
from finsentry.kafka_security import kafka_python_options
from finsentry.settings import KafkaSecurity, SaslMechanism

__all__ = ["SecuredKafka", "committed_offsets", "free_port_pair", "produce", "produce_tracked", "read_topic"]


@dataclass(frozen=True)
class SecuredKafka:
    """The session's secured broker: SASL_SSL (SCRAM users) and mutual TLS beside plaintext."""

    broker: kafka_local.LocalKafka
    user: str
    password: str = field(repr=False)  # test reports print the fixture
    unknown_ca: Path  # a CA that signed nothing of this broker's

    @property
    def tls(self) -> kafka_certs.TlsFiles:
        return self.broker.tls()

    def scram(self, mechanism: SaslMechanism = "SCRAM-SHA-256", *, password: str | None = None) -> KafkaSecurity:
        return KafkaSecurity(
            protocol="SASL_SSL",
            ca_file=self.tls.ca,
            sasl_mechanism=mechanism,
            username=self.user,
            password=SecretStr(self.password if password is None else password),
        )

    def mtls(self) -> KafkaSecurity:
        return KafkaSecurity(
            protocol="SSL", ca_file=self.tls.ca, cert_file=self.tls.client_cert, key_file=self.tls.client_key
        )

    def env(self, security: KafkaSecurity, bootstrap: str) -> dict[str, str]:
        """The FINSENTRY_* variables a subprocess needs to connect with `security`."""
        out = {"FINSENTRY_KAFKA": bootstrap, "FINSENTRY_KAFKA_SECURITY__PROTOCOL": security.protocol}
        for name in ("ca_file", "cert_file", "key_file", "password_file"):
            if (value := getattr(security, name)) is not None:
                out[f"FINSENTRY_KAFKA_SECURITY__{name.upper()}"] = str(value)
        if security.uses_sasl:
            out["FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM"] = security.sasl_mechanism
            out["FINSENTRY_KAFKA_SECURITY__USERNAME"] = security.username
        if security.password is not None:
            out["FINSENTRY_KAFKA_SECURITY__PASSWORD"] = security.password.get_secret_value()
        return out


def produce(
    bootstrap: str,
    topic: str,
    values: Iterable[bytes | dict[str, Any]],
    *,
    key: Callable[[Any], bytes | None] | None = None,
    security: KafkaSecurity | None = None,
) -> int:
    """Send values (dicts become JSON) and wait until the broker has them all."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **kafka_python_options(security))
    n = 0
    try:
        for value in values:
            raw = value if isinstance(value, bytes) else orjson.dumps(value)
            producer.send(topic, raw, key=key(value) if key else None)
            n += 1
        producer.flush(timeout=30)
    finally:
        producer.close()
    return n


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[dict[str, Any]]], bool] | None = None,
    timeout_s: float = 60.0,
    security: KafkaSecurity | None = None,
) -> list[dict[str, Any]]:
    """Read a topic from the beginning, without a group, until `until(records)` or timeout.

    Each item is {"key", "value" (decoded JSON), "partition", "offset", "timestamp"}.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500, **kafka_python_options(security)
    )
    deadline = time.monotonic() + timeout_s
    records: list[dict[str, Any]] = []
    try:
        partitions = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                time.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            for msgs in batch.values():
                for m in msgs:
                    records.append(
                        {
                            "key": m.key.decode() if m.key else None,
                            "value": orjson.loads(m.value),
                            "partition": m.partition,
                            "offset": m.offset,
                            "timestamp": m.timestamp,
                        }
                    )
            if until is not None and until(records):
                break
            if until is None and not batch:
                break
    finally:
        consumer.close()
    return records


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The consumer group's committed offset per partition of a topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        out: dict[int, int] = {}
        for p in parts:
            off = consumer.committed(TopicPartition(topic, p))
            if off is not None:
                out[p] = off
        return out
    finally:
        consumer.close()


def produce_tracked(bootstrap: str, topic: str, values: Iterable[bytes]) -> list[tuple[int, int]]:
    """Send raw values; returns (partition, offset) of each, in order."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        futures = [producer.send(topic, v) for v in values]
        producer.flush(timeout=60)
        metas = [f.get(timeout=30) for f in futures]
    finally:
        producer.close()
    return [(m.partition, m.offset) for m in metas]
