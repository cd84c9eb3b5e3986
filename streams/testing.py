"""An in-memory broker for unit tests: topics, partitions, consumer groups and their commits.

`MemoryBroker.source(topic, group)` and `MemoryBroker.sink()` implement the stages'
`Source` and `Sink` (streams/transport.py), so the enrich stage, the scoring stage and the
dispatcher's consumer loop run in a test without Kafka (in the spirit of bytewax's testing
source and sink). It keeps what matters to at-least-once: keyed partitioning as Kafka's
default partitioner does it, committed offsets per group, and a way to make the next sends
fail so a test can check that nothing is committed past unwritten outputs. The real-broker
tests stay beside these; this is for speed, not instead of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from streams.tables import partition_of_bytes
from streams.transport import Message, Position


class SendFailed(Exception):
    """A send the test asked to fail (the broker refused the write)."""


@dataclass
class _Topic:
    partitions: list[list[Message]]


@dataclass
class MemoryBroker:
    partitions: int = 4
    topics: dict[str, _Topic] = field(default_factory=dict)
    committed: dict[str, dict[Position, int]] = field(default_factory=dict)  # group -> position -> offset
    fail_sends: int = 0  # the next this many sends raise SendFailed
    _spread: int = 0

    def topic(self, name: str) -> _Topic:
        if name not in self.topics:
            self.topics[name] = _Topic([[] for _ in range(self.partitions)])
        return self.topics[name]

    def produce(self, topic: str, key: bytes | None, value: bytes, timestamp_ms: int | None = None) -> Message:
        t = self.topic(topic)
        if key is not None:
            p = partition_of_bytes(key, len(t.partitions))
        else:
            p, self._spread = self._spread % len(t.partitions), self._spread + 1
        part = t.partitions[p]
        ts = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        message = Message(topic, p, len(part), key, value, ts)
        part.append(message)
        return message

    def messages(self, topic: str) -> list[Message]:
        """Every message of the topic, partition by partition."""
        return [m for part in self.topic(topic).partitions for m in part]

    def values(self, topic: str) -> list[bytes]:
        return [m.value for m in self.messages(topic)]

    def lag(self, topic: str, group: str) -> int:
        done = self.committed.get(group, {})
        return sum(len(part) - done.get((topic, p), 0) for p, part in enumerate(self.topic(topic).partitions))

    def source(self, topic: str, group: str) -> MemorySource:
        return MemorySource(self, topic, group)

    def sink(self) -> MemorySink:
        return MemorySink(self)


class MemorySource:
    """The only member of its group: reads every partition from the group's committed offsets."""

    def __init__(self, broker: MemoryBroker, topic: str, group: str) -> None:
        self.broker = broker
        self.topic = topic
        self.group = group
        self.paused = False
        self.started = False
        self._next: dict[int, int] = {}

    async def start(self) -> None:
        done = self.broker.committed.get(self.group, {})
        parts = self.broker.topic(self.topic).partitions
        self._next = {p: done.get((self.topic, p), 0) for p in range(len(parts))}
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def poll(self, max_records: int, timeout_s: float) -> list[Message]:
        out: list[Message] = []
        if self.paused:
            await asyncio.sleep(timeout_s)  # as a real poll waits: the tasks in flight run meanwhile
            return out
        for p, part in enumerate(self.broker.topic(self.topic).partitions):
            start = self._next[p]
            take = part[start : start + max_records - len(out)]
            out.extend(take)
            self._next[p] = start + len(take)
            if len(out) >= max_records:
                break
        # Like a broker's poll, give way to the other tasks: at once when there is data, for the
        # timeout when there is none (a loop over an empty source must not spin).
        await asyncio.sleep(0 if out else timeout_s)
        return out

    async def commit(self, offsets: Mapping[Position, int]) -> None:
        self.broker.committed.setdefault(self.group, {}).update(offsets)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False


class MemorySink:
    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(self, topic: str, items: Sequence[tuple[bytes | None, bytes]]) -> None:
        if not items:
            return
        if self.broker.fail_sends > 0:
            self.broker.fail_sends -= 1
            raise SendFailed(f"send of {len(items)} records to {topic} refused")
        for key, value in items:
            self.broker.produce(topic, key, value)
