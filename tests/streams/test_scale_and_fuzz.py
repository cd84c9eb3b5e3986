"""Scale-out (two workers, one stops) and hypothesis-made malformed input, on a real broker."""

from __future__ import annotations

import base64
import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from finsentry import topics
from tests.alerts.records import record
from tests.kafka_helpers import produce, read_topic
from tests.streams.test_risk_agent import BURST, alerts_until, assert_no_key_fires_twice, send_enriched
from tests.streams.worker_proc import WorkerProc

pytestmark = pytest.mark.kafka


def test_two_workers_share_partitions_and_one_stops(fresh_kafka: Callable[[], str], tmp_path: Path) -> None:
    bootstrap = fresh_kafka()
    env = {"FINSENTRY_STREAM__BATCH_SIZE": "100"}
    # One after the other: two Faust workers declaring the same internal topics at the same
    # moment can crash one of them at start (faust issue #501: InvalidStateError in its topic
    # creation), which a supervisor restarts; this test is about sharing and handing over.
    a = WorkerProc(bootstrap, "scale", tmp_path / "a", env=env)
    b: WorkerProc | None = None
    try:
        a.wait_ready()
        b = WorkerProc(bootstrap, "scale", tmp_path / "b", env=env)
        b.wait_ready()
        n = 6000
        produce(
            bootstrap,
            topics.NEWS,
            (
                {
                    "id": f"s-{i}",
                    "headline": f"Company {i} news",
                    "published_at": "2026-03-02T09:00:00Z",
                    "tickers": [f"S{i % 50}"],
                }
                for i in range(n)
            ),
        )
        tickers = [f"R{i}" for i in range(8)]
        send_enriched(
            bootstrap,
            [
                record(f"{t}-{k}", t, h.replace("Acme", t), minutes=k * 3, events=[("recall", 0.55)])
                for k, h in enumerate(BURST)
                for t in tickers
            ],
        )
        read_topic(bootstrap, topics.ENRICHED, until=lambda rs: len(rs) >= 1000, timeout_s=60)
        # Stop one worker mid-stream: b takes over its partitions. Under heavy load aiokafka
        # can get stuck rediscovering the group coordinator during the stop and needs the
        # kill after 60 s (seen once in CI-like runs); what this test guards is that nothing
        # is lost or alerted twice either way. Clean exits are asserted by the other tests.
        assert a.stop() in (0, -signal.SIGKILL)
        want = {f"s-{i}" for i in range(n)}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want <= {r["value"]["news_id"] for r in rs}, timeout_s=120
        )
        # After a kill, b first waits out a's session and restores a's table partitions from the
        # changelog before it scores them: once (a loaded box, a killed after its 60 s stop) one
        # ticker's alert had not come within 90 s. A longer wait, the same assertions.
        alerts = alerts_until(bootstrap, lambda al: {x["entity"] for x in al} >= set(tickers), timeout_s=180)
        time.sleep(3)
        alerts = alerts_until(bootstrap, lambda al: False, timeout_s=3)
        assert b.alive()
    finally:
        a.stop()
        if b is not None:
            b.stop()
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert {x["entity"] for x in alerts} == set(tickers)
    assert_no_key_fires_twice(alerts)


# -- malformed input ---------------------------------------------------------------


def _dumps(value: object) -> bytes:
    # stdlib json: it also writes integers beyond 64 bits, which the worker must survive.
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
_bad_field = st.one_of(
    _scalar, st.lists(_scalar, max_size=3), st.dictionaries(st.text(max_size=5), _scalar, max_size=3)
)
_odd_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40)

malformed = st.one_of(
    st.binary(min_size=1, max_size=200).filter(lambda b: not b.strip().startswith(b"{")),  # bad JSON / bytes
    st.builds(lambda v: _dumps(v), st.one_of(_scalar, st.lists(_scalar, max_size=4))),  # JSON, not an object
    st.builds(
        lambda v: _dumps({"id": v, "headline": "h"}),
        st.one_of(st.integers(), st.none(), st.just(""), st.lists(st.text(max_size=3))),
    ),
    st.builds(
        lambda v: _dumps({"id": "ok", "headline": v}),
        _bad_field.filter(lambda v: not (isinstance(v, str) and v.strip())),
    ),
    st.builds(lambda v: _dumps({"id": "ok", "headline": "h", "published_at": v}), st.one_of(st.integers(), _odd_text)),
    st.builds(
        lambda v: _dumps({"id": "ok", "headline": "h", "tickers": v}),
        st.one_of(st.text(max_size=5), st.integers(), st.lists(st.integers(), min_size=1, max_size=3)),
    ),
    st.builds(lambda k: _dumps({"id": "big", "headline": "x" * 70_000 + k}), _odd_text),
    st.builds(lambda t: _dumps({"headline": t}), _odd_text),
)


@pytest.fixture(scope="module")
def fuzz_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, WorkerProc]]:
    from finsentry import kafka_local
    from tests.kafka_helpers import free_port_pair

    home = tmp_path_factory.mktemp("fuzz-kafka")
    broker = kafka_local.LocalKafka(home=home, port=free_port_pair())
    broker.start(timeout_s=90)
    worker = WorkerProc(broker.bootstrap, "fuzz", home, env={"FINSENTRY_STREAM__BATCH_SIZE": "64"})
    try:
        worker.wait_ready()
        yield broker.bootstrap, worker
    finally:
        worker.stop()
        broker.stop()


# No shrinking and no example database: each example is a round trip through Kafka, and a
# failing batch is printed whole.
@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(malformed, min_size=10, max_size=40))
def test_malformed_input_lands_in_dlq_with_a_reason(fuzz_worker: tuple[str, WorkerProc], batch: list[bytes]) -> None:
    bootstrap, worker = fuzz_worker
    marker = f"fuzz-{time.monotonic_ns()}"
    produce(bootstrap, topics.NEWS, [*batch, orjson.dumps({"id": marker, "headline": "Sentinel after the garbage"})])
    want = {base64.b64encode(b).decode() for b in batch}
    dlq = read_topic(
        bootstrap, topics.NEWS_DLQ, until=lambda rs: want <= {r["value"]["original_b64"] for r in rs}, timeout_s=60
    )
    got = {r["value"]["original_b64"]: r["value"]["reason"] for r in dlq}
    assert want <= set(got), "every malformed record must reach the DLQ"
    assert all(got[w] for w in want)
    enriched = read_topic(
        bootstrap, topics.ENRICHED, until=lambda rs: marker in {r["value"]["news_id"] for r in rs}, timeout_s=60
    )
    assert marker in {r["value"]["news_id"] for r in enriched}, "the worker keeps going after garbage"
    assert worker.alive()
