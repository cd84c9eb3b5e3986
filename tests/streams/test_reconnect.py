"""The one backoff rule: outages are retried within the budget, other errors are not."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from finsentry.kafka_security import KafkaSecurityError
from streams.reconnect import Backoff, KafkaUnreachable, is_unreachable, retrying

FAST = Backoff(give_up_s=5.0, initial_s=0.01, max_s=0.02)


def _broker_up() -> float | None:
    return REGISTRY.get_sample_value("finsentry_kafka_broker_up")


def test_backoff_doubles_up_to_its_cap() -> None:
    delays = Backoff(give_up_s=60, initial_s=0.5, max_s=3).delays()
    assert [next(delays) for _ in range(5)] == [0.5, 1.0, 2.0, 3, 3]


def test_an_outage_is_waited_out_and_the_gauge_follows_it(caplog: pytest.LogCaptureFixture) -> None:
    tries: list[float] = []
    seen_down: list[float | None] = []

    async def attempt() -> str:
        tries.append(0)
        if len(tries) > 1:
            seen_down.append(_broker_up())
        if len(tries) < 4:
            raise ConnectionRefusedError(111, "Connect call failed")
        return "ok"

    with caplog.at_level(logging.INFO, logger="streams.reconnect"):
        got = asyncio.run(retrying("starting the test", attempt, bootstrap="b:9092", backoff=FAST))
    assert got == "ok" and len(tries) == 4
    assert seen_down == [0.0, 0.0, 0.0]
    assert _broker_up() == 1.0
    waits = [r for r in caplog.records if r.getMessage().startswith("waiting for Kafka at b:9092 (starting the test")]
    assert len(waits) == 3 and waits[0].levelno == logging.WARNING and waits[1].levelno == logging.INFO
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_past_the_budget_it_gives_up_with_one_clear_error() -> None:
    async def attempt() -> None:
        raise TimeoutError

    with pytest.raises(KafkaUnreachable) as err:
        asyncio.run(
            retrying(
                "writing to alerts",
                attempt,
                bootstrap="b:9092",
                backoff=Backoff(give_up_s=0.2, initial_s=0.05, max_s=0.05),
            )
        )
    assert str(err.value).startswith("Kafka at b:9092 unreachable for 0s while writing to alerts (TimeoutError)")
    assert str(err.value).endswith("check FINSENTRY_KAFKA, or wait longer with FINSENTRY_KAFKA_RETRY__GIVE_UP_S")


@pytest.mark.parametrize(
    "error", [ValueError("a bug"), KafkaSecurityError("refused the login"), KafkaUnreachable("given up already")]
)
def test_what_waiting_cannot_cure_goes_up_at_once(error: Exception) -> None:
    tries = 0

    async def attempt() -> None:
        nonlocal tries
        tries += 1
        raise error

    with pytest.raises(type(error)):
        asyncio.run(retrying("x", attempt, bootstrap="b:9092", backoff=FAST))
    assert tries == 1


def test_the_kafka_libraries_retriable_errors_count_as_an_outage() -> None:
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, UnknownTopicOrPartitionError
    from kafka.errors import KafkaTimeoutError as KafkaPythonTimeout

    for exc in (KafkaConnectionError(), KafkaTimeoutError(), NodeNotReadyError(), KafkaPythonTimeout()):
        assert is_unreachable(exc), exc
    # A topic that does not exist is retriable to aiokafka (it may be being created).
    assert is_unreachable(UnknownTopicOrPartitionError())
    from aiokafka.errors import RecordTooLargeError

    assert not is_unreachable(RecordTooLargeError())
