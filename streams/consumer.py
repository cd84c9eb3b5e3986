"""The one at-least-once consumer loop: poll a batch, hand it to a handler, commit what is done.

A handler takes each polled batch and reports every message it has finished with `done`:
the enrich stage finishes a whole batch at once, after its outputs are acknowledged; the
dispatcher finishes alerts one by one as each receiver takes them (keys run concurrently).
Either way a partition is committed only up to its oldest message not done, so a crash
replays what was not finished and never skips it. The loop knows no Kafka: it runs over
any `streams.transport.Source`.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol

from streams.transport import CommitFailed, Message, Position, Source

log = logging.getLogger(__name__)

Done = Callable[[Message], None]


class BatchHandler(Protocol):
    async def handle(self, batch: list[Message], done: Done) -> None:
        """Take the batch; call `done(message)` for each message once its outputs are safe."""
        ...

    async def drain(self) -> None:
        """On stop: finish (or give up on) the work still in flight before the last commit."""
        ...


class OffsetTracker:
    """Offsets read but not done, per partition; the commit point is the lowest one not done.

    Messages may finish out of order (the dispatcher's keys run concurrently, one may wait out
    a retry budget), so a partition is committed up to, not past, its oldest open message.
    """

    def __init__(self) -> None:
        self._open: dict[Position, set[int]] = defaultdict(set)
        self._next: dict[Position, int] = {}

    def started(self, pos: Position, offset: int) -> None:
        self._open[pos].add(offset)
        self._next[pos] = max(self._next.get(pos, 0), offset + 1)

    def finished(self, pos: Position, offset: int) -> None:
        self._open[pos].discard(offset)

    def commit_points(self) -> dict[Position, int]:
        return {pos: min(self._open[pos]) if self._open[pos] else nxt for pos, nxt in self._next.items()}

    def open_count(self) -> int:
        return sum(len(v) for v in self._open.values())


class AtLeastOnceConsumer:
    """Poll -> handler -> commit of what is done; pauses polling above `max_pending` open messages."""

    def __init__(
        self,
        source: Source,
        handler: BatchHandler,
        *,
        max_batch: int,
        poll_timeout_s: float,
        commit_interval_s: float = 0.0,
        max_pending: int | None = None,
    ) -> None:
        self.source = source
        self.handler = handler
        self.max_batch = max_batch
        self.poll_timeout_s = poll_timeout_s
        self.commit_interval_s = commit_interval_s
        self.max_pending = max_pending
        self.tracker = OffsetTracker()
        self.read = 0
        self._committed: dict[Position, int] = {}
        self._paused = False

    def done(self, message: Message) -> None:
        self.tracker.finished(message.position, message.offset)

    async def run(self, should_stop: Callable[[], bool]) -> None:
        """Until `should_stop()`; then drain the handler and commit what it finished."""
        last_commit = time.monotonic()
        try:
            while not should_stop():
                self._flow_control()
                batch = await self.source.poll(self.max_batch, self.poll_timeout_s)
                if batch:
                    for m in batch:
                        self.tracker.started(m.position, m.offset)
                    self.read += len(batch)
                    await self.handler.handle(batch, self.done)
                if time.monotonic() - last_commit >= self.commit_interval_s:
                    await self.commit()
                    last_commit = time.monotonic()
        finally:
            await self.handler.drain()
            try:
                await self.commit()
            except Exception as exc:  # the loop is ending anyway; the next start re-reads
                log.warning("last offset commit failed: %s", exc)

    async def commit(self) -> None:
        points = {p: off for p, off in self.tracker.commit_points().items() if self._committed.get(p) != off}
        if not points:
            return
        try:
            await self.source.commit(points)
            self._committed = {**self._committed, **points}
        except CommitFailed as exc:
            # A rebalance took the partitions: the new owner replays from the last commit, so
            # what was just written may appear twice downstream (at-least-once), never lost.
            log.warning("offset commit failed (%s); the new owner re-reads from the last commit", exc)

    def _flow_control(self) -> None:
        if self.max_pending is None:
            return
        too_many = self.tracker.open_count() >= self.max_pending
        if too_many and not self._paused:
            self.source.pause()
            self._paused = True
        elif not too_many and self._paused:
            self.source.resume()
            self._paused = False
