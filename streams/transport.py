"""What the stages read from and write to: a source of messages and a sink, behind two small interfaces.

`KafkaSource` and `KafkaSink` are the only Kafka clients the stages use (aiokafka); the
in-memory `MemoryBroker` in streams/testing.py implements the same interfaces, so the enrich
stage and the dispatcher's consumer loop run in a unit test without a broker, the way httpx's
mock transport stands in for the network.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from finsentry import kafka_security
from streams.reconnect import Backoff, retrying
from streams.tables import partition_of_bytes

if TYPE_CHECKING:
    from finsentry.settings import KafkaSecurity

Position = tuple[str, int]
"""(topic, partition)"""


@dataclass(frozen=True)
class Message:
    """One record read from a topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    timestamp_ms: int

    @property
    def position(self) -> Position:
        return (self.topic, self.partition)


class CommitFailed(Exception):
    """The group moved on (a rebalance): the new owner re-reads what was not committed."""


class Source(Protocol):
    """A consumer-group member: read batches, commit offsets, pause while too much is open."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def poll(self, max_records: int, timeout_s: float) -> list[Message]: ...

    async def commit(self, offsets: Mapping[Position, int]) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...


class Sink(Protocol):
    """A producer: `send` returns once the broker acknowledged every record."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, topic: str, items: Sequence[tuple[bytes | None, bytes]]) -> None: ...


class _AioKafkaClient:
    """What the consumer and the producer share: where and how to connect, the start that
    waits out a broker not up yet, and the client once started."""

    def __init__(self, bootstrap: str, security: KafkaSecurity | None, backoff: Backoff | None) -> None:
        self._bootstrap = bootstrap
        self._security = security
        self._backoff = backoff or Backoff()
        self._client: Any = None

    @property
    def _started_client(self) -> Any:
        if self._client is None:
            raise RuntimeError(f"{type(self).__name__} used before start()")
        return self._client

    async def _start(self, make: Callable[..., Any], what: str) -> None:
        """Start a new client `make(**security options)` on each try (aiokafka binds a client to
        the running loop and cannot restart a failed one). A refused login or certificate becomes
        one clear KafkaSecurityError, never retried."""
        from aiokafka.errors import KafkaError

        async def attempt() -> Any:
            client = make(**kafka_security.aiokafka_options(self._security))
            try:
                await client.start()
            except KafkaError as exc:
                await client.stop()  # the half-started client holds sockets and tasks
                if (clear := await kafka_security.aclear_error(exc, self._bootstrap, self._security)) is not None:
                    raise clear from None
                raise
            return client

        self._client = await retrying(
            what, attempt, bootstrap=self._bootstrap, backoff=self._backoff, security=self._security
        )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.stop()


class KafkaSource(_AioKafkaClient):
    """An aiokafka consumer in a group, with manual commits."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group_id: str,
        client_id: str,
        *,
        max_poll_records: int = 500,
        security: KafkaSecurity | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(bootstrap, security, backoff)
        self.topic = topic
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "group_id": group_id,
            "client_id": client_id,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": max_poll_records,
            "fetch_max_bytes": 64 * 1024 * 1024,
        }

    @property
    def _consumer(self) -> Any:
        return self._started_client

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        await self._start(
            lambda **secured: AIOKafkaConsumer(self.topic, **self._options, **secured),
            f"starting the consumer of {self.topic}",
        )

    async def poll(self, max_records: int, timeout_s: float) -> list[Message]:
        polled = await self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        return [
            Message(tp.topic, tp.partition, m.offset, m.key, m.value or b"", m.timestamp)
            for tp, part in polled.items()
            for m in part
        ]

    async def commit(self, offsets: Mapping[Position, int]) -> None:
        from aiokafka import TopicPartition
        from aiokafka.errors import CommitFailedError, KafkaError

        try:
            await self._consumer.commit({TopicPartition(t, p): off for (t, p), off in offsets.items()})
        except (CommitFailedError, KafkaError) as exc:
            raise CommitFailed(str(exc)) from exc

    def pause(self) -> None:
        self._consumer.pause(*self._consumer.assignment())

    def resume(self) -> None:
        if paused := self._consumer.paused():
            self._consumer.resume(*paused)


class KafkaSink(_AioKafkaClient):
    """An aiokafka producer (acks=all) that writes whole record batches per partition.

    Building the batches here skips aiokafka's per-message coroutine (`send`), the largest
    per-event cost of the enrich stage; keys are partitioned exactly as the default
    partitioner would, so a ticker always lands on the same partition.
    """

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        *,
        idempotent: bool = False,
        security: KafkaSecurity | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(bootstrap, security, backoff)
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "acks": "all",
            "linger_ms": 5,
            "max_batch_size": 512 * 1024,
            "enable_idempotence": idempotent,
            "client_id": client_id,
        }
        self._partitions: dict[str, int] = {}
        self._spread = 0

    @property
    def _producer(self) -> Any:
        return self._started_client

    async def start(self) -> None:
        from aiokafka import AIOKafkaProducer

        await self._start(lambda **secured: AIOKafkaProducer(**self._options, **secured), "starting the producer")

    async def send(self, topic: str, items: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Write `items`; a partition batch the broker did not take (it went away) is written
        again, with backoff, until acknowledged or kafka_retry.give_up_s has passed. A batch
        taken before the failure may be written twice: at-least-once, as the stages expect."""
        if not items:
            return
        todo: dict[int, list[tuple[bytes | None, bytes]]] | None = None

        async def attempt() -> None:
            nonlocal todo
            if todo is None:  # the partition count is asked once per topic, and may meet the outage
                todo = await self._by_partition(topic, items)
            queued = [(p, pairs, await self._send_partition(topic, p, pairs)) for p, pairs in todo.items()]
            results = await asyncio.gather(*(f for _, _, futures in queued for f in futures), return_exceptions=True)
            failed: dict[int, list[tuple[bytes | None, bytes]]] = {}
            first: BaseException | None = None
            i = 0
            for p, pairs, futures in queued:
                outcome = results[i : i + len(futures)]
                i += len(futures)
                if errors := [r for r in outcome if isinstance(r, BaseException)]:
                    failed[p] = pairs
                    first = first or errors[0]
            todo = failed
            if first is not None:
                raise first

        await retrying(
            f"writing to {topic}", attempt, bootstrap=self._bootstrap, backoff=self._backoff, security=self._security
        )

    async def _by_partition(
        self, topic: str, items: Sequence[tuple[bytes | None, bytes]]
    ) -> dict[int, list[tuple[bytes | None, bytes]]]:
        n = self._partitions.get(topic)
        if n is None:
            n = self._partitions[topic] = len(await self._producer.partitions_for(topic))
        by_partition: dict[int, list[tuple[bytes | None, bytes]]] = {}
        for i, (key, value) in enumerate(items):
            p = partition_of_bytes(key, n) if key is not None else (self._spread + i) % n
            by_partition.setdefault(p, []).append((key, value))
        self._spread += len(items)
        return by_partition

    async def _send_partition(
        self, topic: str, partition: int, pairs: list[tuple[bytes | None, bytes]]
    ) -> list[asyncio.Future[Any]]:
        """Queue one partition's records in as few batches as fit; the futures resolve on acks."""
        producer = self._producer
        futures: list[asyncio.Future[Any]] = []
        batch = producer.create_batch()
        for key, value in pairs:
            if batch.append(key=key, value=value, timestamp=None) is None:
                futures.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
        futures.append(await producer.send_batch(batch, topic, partition=partition))
        return futures
