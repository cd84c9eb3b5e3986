"""`finsentry demo`: the whole product on one machine, with nothing to set up.

It starts the local Kafka, a worker with the default models, replays the repository's
sample headlines (real finance tweets, MIT) with a scripted storm about one company woven
in, and prints alerts as they fire. Ctrl-C stops the feed, the worker and the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from finsentry import topics
from finsentry.contracts import Alert
from streams.replay import sample_headlines

# One company's bad week, compressed: a burst of distinct negative stories, corroborated.
STORM = [
    ("wire", "Boeing shares tumble after FAA grounds 737 MAX fleet again"),
    ("paper", "Boeing faces SEC investigation over safety disclosures"),
    ("tv", "Boeing hit with class action lawsuit from shareholders"),
    ("wire", "Boeing recalls 200 jets over faulty door plugs"),
    ("blog", "Moody's downgrades Boeing credit rating to junk"),
    ("paper", "Boeing CEO resigns amid mounting safety crisis"),
    ("wire", "Boeing warns of going concern doubt as cash burn accelerates"),
]


def sample_feed(storm_every: int = 25, run: str | None = None) -> Iterator[bytes]:
    """The demo feed: tweets as news records, a storm headline every `storm_every` records.

    Ids carry a per-run prefix: each demo is a new feed, not a replay of the last one
    (replayed ids re-emit their old alerts, by design).
    """
    run = run or datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    storm = iter(STORM)
    for n, text in enumerate(sample_headlines()):
        if n and n % storm_every == 0 and (item := next(storm, None)):
            source, headline = item
            yield _news(f"demo-{run}-storm-{n}", headline, source, ["BA"])
        yield _news(f"demo-{run}-{n}", text, "twitter", None)


def _news(news_id: str, headline: str, source: str, tickers: list[str] | None) -> bytes:
    record: dict[str, object] = {
        "id": news_id,
        "headline": headline,
        "source": source,
        "published_at": datetime.now(UTC).isoformat(),
    }
    if tickers:
        record["tickers"] = tickers
    return orjson.dumps(record)


def feed(bootstrap: str, rate: float, stop: threading.Event, on_sent: Callable[[int], None]) -> None:
    from kafka import KafkaProducer

    from streams.replay import key_of

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    try:
        for n, value in enumerate(sample_feed(), start=1):
            if stop.wait(1.0 / rate):
                break
            producer.send(topics.NEWS, value, key=key_of(value))
            on_sent(n)
        producer.flush(timeout=10)
    finally:
        producer.close()


def watch_alerts(bootstrap: str, stop: threading.Event, on_alert: Callable[[Alert], None]) -> None:
    """Print alerts from now on (a plain consumer at the end of the topic, no group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = consumer.partitions_for_topic(topics.ALERTS) or set()
        tps = [TopicPartition(topics.ALERTS, p) for p in parts]
        consumer.assign(tps)
        consumer.seek_to_end(*tps)
        while not stop.is_set():
            for msgs in consumer.poll(timeout_ms=500).values():
                for m in msgs:
                    on_alert(Alert.model_validate_json(m.value))
    finally:
        consumer.close()


def start_worker(bootstrap: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FINSENTRY_KAFKA": bootstrap}
    return subprocess.Popen(
        [sys.executable, "-m", "finsentry.cli", "worker"],
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches us; we stop the worker with SIGTERM ourselves
    )


def wait_for_line(path: Path, text: str, proc: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited ({proc.returncode}); see {path}")
        time.sleep(0.3)
    raise TimeoutError(f"the worker did not start in {timeout_s:.0f}s; see {path}")


def stop_process(proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
