"""streams.monitoring: the lag monitor against a real broker, and Faust's sensor on our registry."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from prometheus_client import REGISTRY

from streams.monitoring import LagMonitor, install_faust_sensor
from tests.kafka_helpers import produce


def value(name: str, **labels: str) -> float:
    got = REGISTRY.get_sample_value(name, labels)
    return 0.0 if got is None else got


@pytest.mark.kafka
def test_lag_monitor_reports_end_minus_committed(kafka_bootstrap: str) -> None:
    topic = f"lag-{uuid.uuid4().hex[:8]}"
    group = f"g-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        admin.close()
    produce(kafka_bootstrap, topic, [{"n": i} for i in range(10)], key=lambda v: b"k0")
    produce(kafka_bootstrap, topic, [{"n": i} for i in range(6)], key=lambda v: b"k1-other")

    monitor = LagMonitor(kafka_bootstrap, group, [topic], interval_s=0.2)
    try:
        # Nothing committed yet: lag counts from the beginning of each partition.
        first = {p.partition: p for p in monitor.poll_once()}
        polls_before = value("finsentry_lag_polls_total", outcome="ok")
        assert sum(p.lag for p in first.values()) == 16
        assert all(p.committed is None for p in first.values())

        consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
        try:
            ends = {p: first[p].end_offset for p in first}
            busy = max(ends, key=lambda p: ends[p])
            tp = TopicPartition(topic, busy)
            consumer.commit({tp: OffsetAndMetadata(ends[busy] - 3, "", -1)})
        finally:
            consumer.close()

        with monitor:
            deadline = time.monotonic() + 20
            lag = None
            while time.monotonic() < deadline:
                lag = REGISTRY.get_sample_value(
                    "finsentry_consumer_lag", {"group": group, "topic": topic, "partition": str(busy)}
                )
                if lag == 3:
                    break
                time.sleep(0.2)
        assert lag == 3
        # The running monitor's own polls succeeded (only its thread counts them): a count of
        # events, not a reading of clocks.
        assert value("finsentry_lag_polls_total", outcome="ok") > polls_before
    finally:
        monitor.stop()


def test_faust_sensor_joins_the_default_registry_once() -> None:
    import faust

    app = faust.App(f"sensor-{uuid.uuid4().hex[:6]}", broker="kafka://127.0.0.1:1", web_enabled=False)
    install_faust_sensor(app)  # True, unless another test of this process installed it first
    again = install_faust_sensor(faust.App("other", broker="kafka://127.0.0.1:1", web_enabled=False))
    names = set(REGISTRY._names_to_collectors)  # registered names, children or not
    assert again is False
    assert "finsentry_faust_messages_received_total" in names
    assert "finsentry_faust_consumer_commit_latency_bucket" in names
