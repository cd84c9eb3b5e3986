"""Kafka helpers for dispatcher tests: a group that starts at the end, offsets, the service in a thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from alerts.dispatch.routing import RoutingConfig
from finsentry import topics
from finsentry.contracts import Alert
from finsentry.settings import Settings
from streams.dispatch import DispatchService
from tests.kafka_helpers import produce


def _partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        time.sleep(0.2)
    raise AssertionError(f"topic {topic} has no partitions")


def start_group_at_end(bootstrap: str, group: str, topic: str = topics.ALERTS) -> None:
    """Commit the topic's end offsets for a new group, so it ignores alerts of earlier tests."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        tps = _partitions(consumer, topic)
        ends = consumer.end_offsets(tps)
        consumer.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in tps})
    finally:
        consumer.close()


def end_offsets(bootstrap: str, topic: str = topics.ALERTS) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        return {tp.partition: off for tp, off in consumer.end_offsets(_partitions(consumer, topic)).items()}
    finally:
        consumer.close()


def committed(bootstrap: str, group: str, topic: str = topics.ALERTS) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return {tp.partition: consumer.committed(tp) or 0 for tp in _partitions(consumer, topic)}
    finally:
        consumer.close()


def wait_committed(bootstrap: str, group: str, timeout_s: float = 90.0) -> None:
    """Until the group has committed everything now in the topic."""
    target = end_offsets(bootstrap)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if committed(bootstrap, group) == target:
            return
        time.sleep(0.25)
    raise AssertionError(f"group {group} committed {committed(bootstrap, group)}, topic ends at {target}")


def send_alerts(bootstrap: str, items: Iterable[Alert | bytes]) -> int:
    values: list[bytes] = []
    keys: dict[int, bytes | None] = {}
    for item in items:
        raw = item.to_json() if isinstance(item, Alert) else item
        keys[id(raw)] = item.dedup_key.encode() if isinstance(item, Alert) else None
        values.append(raw)
    return produce(bootstrap, topics.ALERTS, values, key=lambda raw: keys[id(raw)])


def dead_letters(bootstrap: str, wanted: int, match: str, timeout_s: float = 30.0) -> list[dict[str, object]]:
    """Dead letters in alerts.dlq whose original text contains `match`."""
    found: list[dict[str, object]] = []
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=500)
    try:
        tps = _partitions(consumer, topics.ALERTS_DLQ)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(found) < wanted:
            for msgs in consumer.poll(timeout_ms=500).values():
                for m in msgs:
                    letter = orjson.loads(m.value)
                    if match in (letter.get("original_text") or ""):
                        found.append(letter)
    finally:
        consumer.close()
    return found


class ServiceThread:
    """DispatchService.run in its own thread and loop, as the CLI runs it."""

    def __init__(self, settings: Settings, config: RoutingConfig) -> None:
        self.service = DispatchService(settings, config)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.service.run(self._stop, ready=self._ready.set)

        try:
            asyncio.run(go())
        except BaseException as exc:
            self.error = exc
            self._ready.set()

    def __enter__(self) -> ServiceThread:
        self._thread.start()
        assert self._ready.wait(60), "dispatcher did not start"
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        assert not self._thread.is_alive(), "dispatcher did not stop"
        if self.error:
            raise self.error
