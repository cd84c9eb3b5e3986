"""Riding out broker outages, on a real broker that the test stops and starts again.

A running worker and dispatcher survive the broker being down for 60 s: every news id is
enriched or dead-lettered, every alert reaches the receivers exactly once (same ids), and
both processes keep answering /metrics with the broker shown as down meanwhile. A worker
and a dispatcher started before the broker is up wait for it. No mocks: the broker, the
worker and the dispatcher are real processes; the receivers are a loopback SMTP server and
a loopback HTTP server.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from finsentry import kafka_local, topics
from tests.alerts.dispatch_servers import HttpSink, SmtpSink
from tests.kafka_helpers import free_port_pair, produce, read_topic
from tests.streams.dispatcher_proc import DispatcherProc as Dispatcher
from tests.streams.dispatcher_proc import file_mode_alerts
from tests.streams.worker_proc import WorkerProc

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

OUTAGE_S = 60.0

# (ticker, headline): clear company events, so the tiny test model still fires alerts.
BEFORE = [
    ("BA", "Boeing files for Chapter 11 bankruptcy protection"),
    ("F", "Ford recalls 500,000 pickup trucks over brake failures"),
    ("PFE", "Pfizer sued by shareholders over vaccine disclosures"),
    ("AAPL", "Apple to hold annual shareholder meeting in March"),
]
AFTER = [
    ("BA", "Boeing accused of accounting fraud by short seller"),
    ("F", "Ford cuts full-year profit guidance"),
    ("WFC", "SEC opens probe into Wells Fargo sales practices"),
    ("TSLA", "Tesla recalls 200,000 vehicles over seat belt fault"),
    ("MSFT", "Microsoft announces new Surface laptops"),
]
INVALID = [b"not json", b'{"headline": "no id"}']


def _news(tag: str, phase: str, items: list[tuple[str, str]], start_min: int) -> list[bytes]:
    return [
        orjson.dumps(
            {
                "id": f"{tag}-{phase}-{i}",
                "headline": headline,
                "published_at": f"2026-03-02T{9 + (start_min + 5 * i) // 60:02d}:{(start_min + 5 * i) % 60:02d}:00Z",
                "tickers": [ticker],
                "source": "wire",
            }
        )
        for i, (ticker, headline) in enumerate(items)
    ]


def _stop(worker: WorkerProc, dispatcher: Dispatcher, *receivers: HttpSink | SmtpSink) -> tuple[int, int]:
    """Stop both processes (SIGTERM, as an orchestrator would) and the receivers: the exit codes."""
    codes = worker.stop(), dispatcher.stop()
    for receiver in receivers:
        receiver.stop()
    return codes


def _metrics(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text


def _broker_up(text: str) -> float | None:
    found = re.search(r"^finsentry_kafka_broker_up (\S+)$", text, re.M)
    return float(found.group(1)) if found else None


def _wait(what: str, check: Callable[[], bool], timeout_s: float, logs: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}:\n{logs()[-6000:]}"
        time.sleep(0.5)


def _file_mode_alert_ids(news: list[bytes], workdir: Path, model_dir: Path) -> set[str]:
    """The alerts file mode fires on the same news: the ones the live stages must deliver, once."""
    alerts = file_mode_alerts(news, workdir, model_dir)
    # Scoring went on after the outage: some alert was fired by news written after it.
    assert any("-after-" in str(a["fired_by"]) for a in alerts), alerts
    return {str(a["alert_id"]) for a in alerts}


@pytest.fixture
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka_local.LocalKafka]:
    """A broker of this test's own, not started: the test starts and stops it."""
    broker = kafka_local.LocalKafka(home=tmp_path_factory.mktemp("kafka-outage"), port=free_port_pair(), heap="512m")
    try:
        yield broker
    finally:
        broker.stop()


ENV = {
    # Short intervals so the test sees the broker go down and come back quickly.
    "FINSENTRY_METRICS__LAG_INTERVAL_S": "1",
}


def test_worker_and_dispatcher_ride_out_a_60s_broker_outage(
    broker: kafka_local.LocalKafka, tmp_path: Path, tiny_model_dir: Path
) -> None:
    tag = "out" + uuid.uuid4().hex[:6]
    before = _news(tag, "before", BEFORE, 0)
    after = _news(tag, "after", AFTER, 60)
    expected = _file_mode_alert_ids(before + after, tmp_path, tiny_model_dir)
    broker.start(timeout_s=90)
    bootstrap = broker.bootstrap
    hook, smtp = HttpSink().start(), SmtpSink().start()
    env = {**ENV, "FINSENTRY_SENTIMENT__MODEL_DIR": str(tiny_model_dir)}
    worker = WorkerProc(bootstrap, f"outage-{tag}", tmp_path, model="default", env=env)
    dispatcher = Dispatcher(bootstrap, tmp_path, hook.url("/hook"), smtp.port, ENV)

    def logs() -> str:
        return f"--- worker\n{worker.log()[-8000:]}\n--- dispatcher\n{dispatcher.log()[-4000:]}"

    def alert_ids() -> list[str]:
        return [r["value"]["alert_id"] for r in read_topic(bootstrap, topics.ALERTS, timeout_s=5)]

    def delivered() -> set[str]:
        return {s.json()["alert_id"] for s in hook.accepted("/hook")}

    try:
        worker.wait_ready(timeout_s=300)
        produce(bootstrap, topics.NEWS, before)
        _wait("the first alerts to be delivered", lambda: len(delivered()) >= 2, 180, logs)
        assert _broker_up(_metrics(worker.metrics_port)) == 1.0

        broker.stop()
        down_at = time.monotonic()
        # Both processes keep answering /metrics and say the broker is down.
        _wait("the worker to see the broker down", lambda: _broker_up(_metrics(worker.metrics_port)) == 0.0, 50, logs)
        _wait(
            "the dispatcher to see the broker down",
            lambda: _broker_up(_metrics(dispatcher.metrics_port)) == 0.0,
            50,
            logs,
        )
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        assert worker.alive() and dispatcher.proc.poll() is None, logs()
        broker.start(timeout_s=90, create_topics=False)

        produce(bootstrap, topics.NEWS, after + INVALID)
        want = {orjson.loads(v)["id"] for v in before + after}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want <= {r["value"]["news_id"] for r in rs}, timeout_s=240
        )
        dead = read_topic(bootstrap, topics.NEWS_DLQ, until=lambda rs: len(rs) >= len(INVALID), timeout_s=60)
        _wait("the worker to see the broker up", lambda: _broker_up(_metrics(worker.metrics_port)) == 1.0, 60, logs)
        # The alerts are file mode's on the same news (same ids), and each reached the pager.
        _wait(
            "every alert to be written and delivered",
            lambda: expected <= set(alert_ids()) and expected <= delivered(),
            180,
            lambda: f"expected {sorted(expected)}, topic {sorted(alert_ids())}, paged {sorted(delivered())}\n{logs()}",
        )
        time.sleep(3)  # anything delivered twice would arrive now
        topic_ids = alert_ids()
        pages = Counter(s.json()["alert_id"] for s in hook.accepted("/hook"))
        mails = Counter(m.message["X-Finsentry-Alert-Id"] for m in smtp.mails)
    finally:
        worker_code, dispatch_code = _stop(worker, dispatcher, hook, smtp)
    assert worker_code == 0 and dispatch_code == 0, logs()
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert len(dead) == len(INVALID)
    assert set(topic_ids) == expected, logs()
    assert set(pages) == expected, logs()
    assert max(pages.values()) == 1, f"paged twice: {pages}"
    assert set(mails) == expected and max(mails.values()) == 1, mails
    # The outage is in the logs as retries, not as a crash.
    assert "Traceback" not in worker.log() + dispatcher.log(), logs()


def test_worker_and_dispatcher_started_20s_before_the_broker_wait_for_it(
    broker: kafka_local.LocalKafka, tmp_path: Path
) -> None:
    bootstrap = broker.bootstrap
    tag = "early" + uuid.uuid4().hex[:6]
    hook = HttpSink().start()
    smtp = SmtpSink().start()
    worker = WorkerProc(bootstrap, f"early-{tag}", tmp_path, env=ENV)
    dispatcher = Dispatcher(bootstrap, tmp_path, hook.url("/hook"), smtp.port, ENV)

    def logs() -> str:
        return f"--- worker\n{worker.log()[-6000:]}\n--- dispatcher\n{dispatcher.log()[-4000:]}"

    try:
        time.sleep(20)
        assert worker.alive() and dispatcher.proc.poll() is None, logs()
        assert "waiting for Kafka" in worker.log() and "waiting for Kafka" in dispatcher.log(), logs()
        assert _broker_up(_metrics(worker.metrics_port)) == 0.0
        broker.start(timeout_s=90)
        worker.wait_ready(timeout_s=120)
        news = [
            orjson.dumps(
                {"id": f"{tag}-{i}", "headline": f"Company {i} reports results", "published_at": "2026-03-02T09:00:00Z"}
            )
            for i in range(10)
        ]
        produce(bootstrap, topics.NEWS, news)
        want = {f"{tag}-{i}" for i in range(10)}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want <= {r["value"]["news_id"] for r in rs}, timeout_s=120
        )
        _wait("the dispatcher to connect", lambda: "dispatching alerts" in dispatcher.log(), 60, logs)
    finally:
        worker_code, dispatch_code = _stop(worker, dispatcher, hook, smtp)
    assert worker_code == 0 and dispatch_code == 0, logs()
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert "Traceback" not in worker.log() + dispatcher.log(), logs()


def test_worker_and_dispatcher_give_up_after_the_retry_budget_with_one_clear_line(tmp_path: Path) -> None:
    nobody = f"127.0.0.1:{kafka_local.free_port()}"  # nothing listens there
    budget = {"FINSENTRY_KAFKA_RETRY__GIVE_UP_S": "3", "FINSENTRY_KAFKA_RETRY__MAX_BACKOFF_S": "1"}
    hook, smtp = HttpSink().start(), SmtpSink().start()
    worker = WorkerProc(nobody, "give-up", tmp_path, env=budget)
    dispatcher = Dispatcher(nobody, tmp_path, hook.url("/hook"), smtp.port, budget)
    try:
        codes = worker.proc.wait(timeout=120), dispatcher.proc.wait(timeout=120)
    finally:
        _stop(worker, dispatcher, hook, smtp)
    for code, log in zip(codes, (worker.log(), dispatcher.log()), strict=True):
        assert code == 1, log[-3000:]
        errors = [line for line in log.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, log[-3000:]
        assert errors[0].startswith(f"error: Kafka at {nobody} unreachable for 3s while starting"), errors
        assert "FINSENTRY_KAFKA_RETRY__GIVE_UP_S" in errors[0]
        assert "Traceback" not in log
