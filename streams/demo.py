"""`finsentry demo`: the whole product on one machine, with nothing to set up.

It starts the local Kafka, a worker with the default models, replays the repository's
sample headlines (real finance tweets, MIT) with a scripted storm about one company woven
in, and prints alerts as they fire. Ctrl-C stops the feed, the worker and the broker.
`run_demo` is all of it; the CLI only parses the options and calls it.
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
from typing import TYPE_CHECKING

import orjson

from finsentry import kafka_security, topics
from finsentry.contracts import Alert
from streams.replay import sample_headlines

if TYPE_CHECKING:
    from rich.console import Console

    from finsentry.kafka_local import LocalKafka
    from finsentry.settings import KafkaSecurity, Settings

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


def feed(
    bootstrap: str,
    rate: float,
    stop: threading.Event,
    on_sent: Callable[[int], None],
    security: KafkaSecurity | None = None,
) -> None:
    from kafka import KafkaProducer

    from streams.replay import key_of

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **kafka_security.kafka_python_options(security))
    try:
        for n, value in enumerate(sample_feed(), start=1):
            if stop.wait(1.0 / rate):
                break
            producer.send(topics.NEWS, value, key=key_of(value))
            on_sent(n)
        producer.flush(timeout=10)
    finally:
        producer.close()


def watch_alerts(
    bootstrap: str,
    stop: threading.Event,
    on_alert: Callable[[Alert], None],
    security: KafkaSecurity | None = None,
) -> None:
    """Print alerts from now on (a plain consumer at the end of the topic, no group)."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_security.kafka_python_options(security)
    )
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
    # The security settings reach the worker as they reached us: FINSENTRY_KAFKA_SECURITY__* in the environment.
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


# Rich styles of the alert lines: by severity; a resolved alert is green whatever its severity.
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def format_alert(a: Alert) -> str:
    """One alert as the demo prints it (rich markup): status, severity, ticker, event type and
    score in the severity's colour, then the latest headline and the factors that scored."""
    style = "green" if a.status == "resolved" else SEVERITY_STYLES[a.severity]
    why = ", ".join(f"{f.name} {f.points:+.0f}" for f in a.factors if f.points)
    return (
        f"[{style}]{a.status.upper():8} {a.severity:8} {a.entity:6} {a.event_type:22} score {a.risk_score:5.1f}[/] "
        f"| {a.headlines[-1] if a.headlines else ''} | {why}"
    )


def _console() -> Console:
    from rich.console import Console

    return Console(log_path=False)


def run_demo(
    settings: Settings, broker: LocalKafka, *, rate: float, keep_kafka: bool, console: Console | None = None
) -> None:
    """Start `broker`, train the default sentiment model if it is missing, start a worker, replay
    the sample feed at `rate` headlines/s and print alerts as they fire, until Ctrl-C; then stop
    the feed, the worker and (unless `keep_kafka`) the broker. Returns after a clean stop; a worker
    that exits or never starts raises (after the same clean-up)."""
    out = console if console is not None else _console()
    out.log(f"starting Kafka on {broker.bootstrap} (data in {broker.home})")
    broker.start(timeout_s=settings.local_kafka.start_timeout_s)
    stop = threading.Event()
    worker_proc = None
    try:
        if settings.sentiment.model_dir is None:
            from nlp.training import ensure_default_model

            ensure_default_model(settings.sentiment)  # trains on first use (progress bar), then cached
        log_path = settings.stream.data_dir / "demo-worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        out.log(
            f"starting the worker (log: {log_path}); metrics on http://{settings.metrics.host}:{settings.metrics.port}/metrics"
        )
        worker_proc = start_worker(settings.kafka, log_path)
        wait_for_line(log_path, "enrich stage reading", worker_proc)

        def show(a: Alert) -> None:
            out.print(format_alert(a))

        security = settings.kafka_security
        threading.Thread(target=watch_alerts, args=(settings.kafka, stop, show, security), daemon=True).start()
        out.log(f"replaying sample headlines at {rate}/s; alerts appear below. Ctrl-C stops everything.")
        feed(
            settings.kafka,
            rate,
            stop,
            lambda n: out.log(f"{n} headlines sent") if n % 100 == 0 else None,
            security,
        )
        out.log("sample feed finished; still watching alerts (Ctrl-C to stop)")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        out.log("stopping")
    finally:
        stop.set()
        if worker_proc is not None:
            stop_process(worker_proc)
        if not keep_kafka:
            broker.stop()
        out.log("stopped cleanly")
