"""Test helpers over a real broker: produce with kafka-python, read a topic back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from finsentry.kafka_local import free_port_pair

__all__ = ["committed_offsets", "free_port_pair", "produce", "produce_tracked", "read_topic"]


def produce(
    bootstrap: str,
    topic: str,
    values: Iterable[bytes | dict[str, Any]],
    *,
    key: Callable[[Any], bytes | None] | None = None,
) -> int:
    """Send values (dicts become JSON) and wait until the broker has them all."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
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
) -> list[dict[str, Any]]:
    """Read a topic from the beginning, without a group, until `until(records)` or timeout.

    Each item is {"key", "value" (decoded JSON), "partition", "offset", "timestamp"}.
    """
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500)
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
