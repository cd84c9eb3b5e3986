"""Operations of the stages on Kafka: consumer lag from the broker, and Faust's own sensor.

They ask the broker (kafka-python) or hook into Faust, so they live here, beside the stages;
the metric objects they set are defined with the others in finsentry/metrics.py.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import REGISTRY

from finsentry import kafka_security
from finsentry.metrics import CONSUMER_LAG, LAG_LAST_POLL, LAG_POLLS, set_broker_up

if TYPE_CHECKING:
    from finsentry.settings import KafkaSecurity

log = logging.getLogger(__name__)

_faust_lock = threading.Lock()
_faust_installed = False


def install_faust_sensor(app: Any, name_prefix: str = "finsentry_faust") -> bool:
    """Attach faust's Prometheus monitor (messages, commits, rebalances, send latency) to
    `app`, on the default registry, so its series appear next to ours. Its metric names
    start with `name_prefix`. Returns False when it was already installed in this process
    (faust registers fixed metric names, which the registry accepts once)."""
    global _faust_installed
    from faust.sensors.prometheus import setup_prometheus_sensors

    with _faust_lock:
        if _faust_installed:
            return False
        setup_prometheus_sensors(app, registry=REGISTRY, name_prefix=name_prefix)
        _faust_installed = True
        return True


# --------------------------------------------------------------------------- consumer lag


_COORDINATOR_TRIES: Final = 20
_REQUEST_TIMEOUT_MS: Final = 10_000


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    end_offset: int
    committed: int | None
    lag: int


class LagMonitor:
    """Publishes `finsentry_consumer_lag{group,topic,partition}` by asking the broker.

    Faust exports no lag gauge, so a daemon thread polls every `interval_s`: the group's
    committed offsets (KafkaAdminClient.list_group_offsets) and each partition's
    end offset (KafkaConsumer.end_offsets, no group). A partition the group never committed
    counts from its beginning offset, which is where a fresh group with
    auto_offset_reset=earliest starts. Errors are counted in
    `finsentry_lag_polls_total{outcome="error"}` and never stop the thread.
    """

    def __init__(
        self,
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        *,
        interval_s: float = 5.0,
        client_id: str = "finsentry-lag-monitor",
        security: KafkaSecurity | None = None,
    ) -> None:
        self.bootstrap = bootstrap
        self.security = security
        self.group = group
        self.topics = tuple(topics)
        self.interval_s = interval_s
        self.client_id = client_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._admin: Any = None
        self._consumer: Any = None

    def _clients(self) -> tuple[Any, Any]:
        from kafka import KafkaAdminClient, KafkaConsumer

        secured = kafka_security.kafka_python_options(self.security)
        # A poll gives up on a broker that went away within seconds (kafka-python's consumer
        # would wait 305 s), so /metrics shows the outage while it lasts.
        timeout_ms = _REQUEST_TIMEOUT_MS
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap, client_id=self.client_id, request_timeout_ms=timeout_ms, **secured
            )
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                enable_auto_commit=False,
                request_timeout_ms=timeout_ms,
                **secured,
            )
        return self._admin, self._consumer

    def _committed(self, admin: Any) -> dict[Any, Any]:
        # kafka-python 3 answers {group: {tp: OffsetAndMetadata}}; 2.x named it
        # list_consumer_group_offsets and answered the inner dict directly.
        from kafka.errors import KafkaError

        for attempt in range(_COORDINATOR_TRIES):
            try:
                if hasattr(admin, "list_group_offsets"):
                    return dict(admin.list_group_offsets({self.group: None}).get(self.group, {}))
                return dict(admin.list_consumer_group_offsets(self.group))
            except KafkaError as exc:
                # A young broker creates __consumer_offsets on the first group lookup and
                # answers "coordinator not available" meanwhile.
                if not exc.retriable or attempt == _COORDINATOR_TRIES - 1:
                    raise
                time.sleep(0.5)
        raise AssertionError("unreachable")

    def poll_once(self) -> list[PartitionLag]:
        """One round trip to the broker; sets the gauges and returns what it measured."""
        from kafka import TopicPartition

        admin, consumer = self._clients()
        tps = [
            TopicPartition(topic, p)
            for topic in self.topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not tps:
            return []
        committed_raw = self._committed(admin)
        committed: dict[tuple[str, int], int] = {
            (tp.topic, tp.partition): int(om.offset)
            for tp, om in committed_raw.items()
            if om is not None and om.offset is not None and om.offset >= 0
        }
        ends = consumer.end_offsets(tps)
        missing = [tp for tp in tps if (tp.topic, tp.partition) not in committed]
        begins = consumer.beginning_offsets(missing) if missing else {}
        out: list[PartitionLag] = []
        for tp in tps:
            end = int(ends[tp])
            done = committed.get((tp.topic, tp.partition))
            start = done if done is not None else int(begins[tp])
            lag = max(0, end - start)
            CONSUMER_LAG.labels(group=self.group, topic=tp.topic, partition=str(tp.partition)).set(lag)
            out.append(PartitionLag(tp.topic, tp.partition, end, done, lag))
        LAG_LAST_POLL.set_to_current_time()
        return out

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                self.poll_once()
                LAG_POLLS.labels(outcome="ok").inc()
                set_broker_up(True)
            except Exception as exc:  # the broker may be restarting; keep trying
                LAG_POLLS.labels(outcome="error").inc()
                set_broker_up(False)
                clear = kafka_security.clear_error(exc, self.bootstrap, self.security)
                # One warning per outage, not one per poll.
                level = logging.INFO if failing else logging.WARNING
                log.log(level, "lag poll failed for group %s: %s", self.group, clear or exc)
                failing = True
                self.close()
            else:
                if failing:
                    log.info("lag polls for group %s answer again", self.group)
                failing = False
            self._stop.wait(self.interval_s)
        self.close()

    def close(self) -> None:
        """Close the Kafka clients (poll_once opens them again when needed)."""
        for client in (self._admin, self._consumer):
            if client is not None:
                try:
                    client.close()
                except Exception:
                    log.debug("closing a lag monitor client failed", exc_info=True)
        self._admin = self._consumer = None

    def start(self) -> LagMonitor:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"lag-monitor-{self.group}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def __enter__(self) -> LagMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
