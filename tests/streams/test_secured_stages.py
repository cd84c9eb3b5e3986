"""The stages over the secured local broker: replay, the worker (enrich stage, Faust scoring app,
lag monitors), the dispatcher and the lag monitor, over SASL_SSL with SCRAM and over mutual TLS.
A wrong password or an unknown CA gives one clear error line, a non-zero exit, and no secret
in any output. Real broker, real processes, no mocks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from alerts.dispatch.routing import parse_routing
from finsentry import kafka_security, topics
from finsentry.kafka_security import KafkaSecurityError
from finsentry.settings import DispatchSettings, Settings
from streams.demo import feed, watch_alerts
from streams.monitoring import LagMonitor
from tests.alerts.dispatch_fixtures import make_alert
from tests.alerts.dispatch_kafka import ServiceThread, start_group_at_end, wait_committed
from tests.alerts.dispatch_servers import HttpSink, SmtpSink, hook_routing
from tests.kafka_helpers import SecuredKafka, produce, read_topic
from tests.streams.dispatcher_proc import DispatcherProc, file_mode_alerts
from tests.streams.worker_proc import WorkerProc

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _news(tag: str, i: int) -> bytes:
    return orjson.dumps(
        {
            "id": f"{tag}-{i}",
            "headline": f"Company {i} reports quarterly results",
            "published_at": "2026-03-02T09:00:00Z",
            "tickers": [f"S{i % 5}"],
            "source": "test",
        }
    )


def _replay(src: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FINSENTRY_")}
    return subprocess.run(
        [sys.executable, "-m", "finsentry.cli", "replay", str(src), "--topic", topics.NEWS],
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_replay_over_sasl_ssl_then_worker_enriches_and_scores_over_sasl_ssl(
    secured_kafka: SecuredKafka, tmp_path: Path
) -> None:
    tag = "sec" + uuid.uuid4().hex[:6]
    src = tmp_path / "news.jsonl"
    src.write_bytes(b"\n".join(_news(tag, i) for i in range(20)) + b"\n")
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    sha256 = secured_kafka.scram("SCRAM-SHA-256")
    sent = _replay(src, secured_kafka.env(sha256, sasl))
    assert sent.returncode == 0, sent.stderr
    assert f"sent 20 records to news on {sasl}" in sent.stdout

    # The worker (Faust app, enrich stage, lag monitors) logs in with SCRAM-SHA-512.
    sha512 = secured_kafka.scram("SCRAM-SHA-512")
    worker = WorkerProc(sasl, f"secured-{tag}", tmp_path, env=secured_kafka.env(sha512, sasl))
    try:
        worker.wait_ready()
        want = {f"{tag}-{i}" for i in range(20)}
        # Read back over mutual TLS: a third way in to the same data.
        enriched = read_topic(
            secured_kafka.broker.ssl_bootstrap,
            topics.ENRICHED,
            until=lambda rs: want <= {r["value"]["news_id"] for r in rs},
            timeout_s=120,
            security=secured_kafka.mtls(),
        )
        # The Faust scoring app consumes news.enriched in group <app_id>; the lag monitor
        # (here over SASL_SSL too) sees it catch up, and the worker's own monitors poll fine.
        monitor = LagMonitor(sasl, f"secured-{tag}", [topics.ENRICHED], security=sha256)
        deadline = time.monotonic() + 120
        try:
            while True:
                lags = monitor.poll_once()
                written = [p for p in lags if p.end_offset > 0]
                if written and all(p.committed == p.end_offset for p in written):
                    break
                assert time.monotonic() < deadline, f"the scoring app did not catch up: {lags}"
                time.sleep(1)
        finally:
            monitor.close()
        metrics = httpx.get(f"http://127.0.0.1:{worker.metrics_port}/metrics", timeout=10).text
    finally:
        code = worker.stop()
    log = worker.log()
    assert code == 0, log[-3000:]
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert "SASL_SSL, SCRAM-SHA-512 as 'alice'" in log
    assert 'finsentry_lag_polls_total{outcome="ok"}' in metrics
    assert 'finsentry_lag_polls_total{outcome="error"}' not in metrics or (
        'finsentry_lag_polls_total{outcome="error"} 0.0' in metrics
    )
    assert secured_kafka.password not in log + sent.stdout + sent.stderr + metrics


def test_worker_with_a_wrong_password_exits_with_one_clear_line(secured_kafka: SecuredKafka, tmp_path: Path) -> None:
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    wrong = "nope-" + uuid.uuid4().hex
    worker = WorkerProc(
        sasl, "secured-refused", tmp_path, env=secured_kafka.env(secured_kafka.scram(password=wrong), sasl)
    )
    code = worker.proc.wait(timeout=120)
    worker.stop()
    log = worker.log()
    assert code == 1, log[-3000:]
    assert (
        f"error: Kafka at {sasl} refused the login (SCRAM-SHA-256 authentication failed for user 'alice'):"
        " check FINSENTRY_KAFKA_SECURITY__USERNAME, FINSENTRY_KAFKA_SECURITY__PASSWORD and"
        " FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM"
    ) in log
    assert "Traceback" not in log
    assert wrong not in log and secured_kafka.password not in log


@pytest.mark.parametrize("problem", ["wrong password", "unknown CA"])
def test_replay_refused_is_one_clear_line_and_exit_1(secured_kafka: SecuredKafka, tmp_path: Path, problem: str) -> None:
    src = tmp_path / "news.jsonl"
    src.write_bytes(_news("refused", 0) + b"\n")
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    wrong = "nope-" + uuid.uuid4().hex
    if problem == "wrong password":
        sec = secured_kafka.scram(password=wrong)
        expected = f"error: Kafka at {sasl} refused the login (SCRAM-SHA-256 authentication failed for user 'alice')"
    else:
        sec = secured_kafka.scram().model_copy(update={"ca_file": secured_kafka.unknown_ca})
        expected = (
            f"error: Kafka's certificate at {sasl} is not trusted by FINSENTRY_KAFKA_SECURITY__CA_FILE"
            f" ({secured_kafka.unknown_ca}): self-signed certificate in certificate chain"
        )
    done = _replay(src, secured_kafka.env(sec, sasl))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(expected), done.stderr
    assert "Traceback" not in done.stderr
    for secret in (wrong, secured_kafka.password):
        assert secret not in done.stdout + done.stderr


def test_dispatcher_over_sasl_ssl_delivers_and_commits(secured_kafka: SecuredKafka, tmp_path: Path) -> None:
    tag = "D" + uuid.uuid4().hex[:6].upper()
    group = f"dispatch-secured-{tag}"
    plain = secured_kafka.broker.bootstrap
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    sec = secured_kafka.scram("SCRAM-SHA-512")
    start_group_at_end(plain, group)
    settings = Settings(
        kafka=sasl,
        kafka_security=sec,
        dispatch=DispatchSettings(state_dir=tmp_path / "state", group_id=group, poll_timeout_s=0.2),
    )
    sink = HttpSink().start()
    try:
        config = hook_routing(sink, tmp_path)
        alerts = [make_alert(f"{tag}{i}", severity="high") for i in range(5)]
        produce(
            sasl,
            topics.ALERTS,
            [a.to_json() for a in alerts],
            key=lambda raw: orjson.loads(raw)["dedup_key"].encode(),
            security=sec,
        )
        with ServiceThread(settings, config):
            sink.wait_for(5, "/hook")
            wait_committed(plain, group)
    finally:
        sink.stop()
    assert sorted(s.json()["alert_id"] for s in sink.accepted("/hook")) == sorted(a.alert_id for a in alerts)


def test_dispatcher_with_a_wrong_password_raises_the_clear_error(
    secured_kafka: SecuredKafka, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "nope-" + uuid.uuid4().hex
    settings = Settings(
        kafka=secured_kafka.broker.sasl_ssl_bootstrap,
        kafka_security=secured_kafka.scram(password=wrong),
        dispatch=DispatchSettings(state_dir=tmp_path / "state", group_id="dispatch-refused"),
    )
    config = parse_routing(
        '[receivers.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:9/x"\nsecret_env = "HOOK_SECRET"\n'
        '[default_route]\nreceivers = ["hook"]\n',
        tmp_path / "routing.toml",
        env={"HOOK_SECRET": "hook-secret"},
    )
    caplog.set_level(logging.DEBUG, logger="kafka")  # a CLI test earlier may have quieted it
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(KafkaSecurityError, match="refused the login"),
        ServiceThread(settings, config),
    ):
        pass
    assert wrong not in caplog.text and secured_kafka.password not in caplog.text


def test_lag_monitor_over_mutual_tls_and_its_clear_warning(
    secured_kafka: SecuredKafka, caplog: pytest.LogCaptureFixture
) -> None:
    group = "lag-secured-" + uuid.uuid4().hex[:6]
    produce(secured_kafka.broker.bootstrap, topics.NEWS_DLQ, [{"n": i} for i in range(3)])
    monitor = LagMonitor(secured_kafka.broker.ssl_bootstrap, group, [topics.NEWS_DLQ], security=secured_kafka.mtls())
    try:
        lags = monitor.poll_once()
    finally:
        monitor.close()
    assert lags and sum(p.lag for p in lags) >= 3 and all(p.committed is None for p in lags)

    wrong = "nope-" + uuid.uuid4().hex
    refused = LagMonitor(
        secured_kafka.broker.sasl_ssl_bootstrap,
        group,
        [topics.NEWS_DLQ],
        interval_s=60,
        security=secured_kafka.scram(password=wrong),
    )
    caplog.set_level(logging.DEBUG, logger="kafka")  # a CLI test earlier may have quieted it
    with caplog.at_level(logging.DEBUG):
        refused.start()
        deadline = time.monotonic() + 90
        while "lag poll failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.5)
        refused.stop()
    assert f"lag poll failed for group {group}: Kafka at " in caplog.text
    assert "refused the login (SCRAM-SHA-256 authentication failed for user 'alice')" in caplog.text
    assert wrong not in caplog.text and secured_kafka.password not in caplog.text


def test_the_one_mapping_gives_each_library_the_same_context(secured_kafka: SecuredKafka) -> None:
    sec = secured_kafka.scram("SCRAM-SHA-512")
    aio = kafka_security.aiokafka_options(sec)
    kp = kafka_security.kafka_python_options(sec)
    faust_creds = kafka_security.faust_options(sec)["broker_credentials"]
    for options in (aio, kp):
        assert options["security_protocol"] == "SASL_SSL"
        assert options["sasl_mechanism"] == "SCRAM-SHA-512"
        assert options["ssl_context"].check_hostname
    assert faust_creds.mechanism.value == "SCRAM-SHA-512" and faust_creds.ssl_context.check_hostname
    assert secured_kafka.password not in repr(aio) + repr(kp) + repr(faust_creds)


STORM = [
    ("BA", "Boeing files for Chapter 11 bankruptcy protection"),
    ("F", "Ford recalls 500,000 pickup trucks over brake failures"),
    ("BA", "Boeing accused of accounting fraud by short seller"),
]


def test_news_in_over_sasl_ssl_alert_out_by_mail_end_to_end(
    secured_kafka: SecuredKafka, tmp_path: Path, tiny_model_dir: Path
) -> None:
    """replay -> worker (real models) -> alerts -> dispatcher -> loopback SMTP, every hop over SASL_SSL."""
    tag = "e2e" + uuid.uuid4().hex[:6]
    news = [
        orjson.dumps(
            {
                "id": f"{tag}-{i}",
                "headline": headline,
                "published_at": f"2026-03-02T09:{5 * i:02d}:00Z",
                "tickers": [ticker],
                "source": "wire",
            }
        )
        for i, (ticker, headline) in enumerate(STORM)
    ]
    expected = {str(a["alert_id"]) for a in file_mode_alerts(news, tmp_path, tiny_model_dir)}
    assert expected, "the storm must alert"
    src = tmp_path / "storm.jsonl"
    src.write_bytes(b"\n".join(news) + b"\n")
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    sha256, sha512 = secured_kafka.scram("SCRAM-SHA-256"), secured_kafka.scram("SCRAM-SHA-512")
    group = f"dispatch-{tag}"
    start_group_at_end(secured_kafka.broker.bootstrap, group)  # only this test's alerts
    hook, smtp = HttpSink().start(), SmtpSink().start()
    worker = WorkerProc(
        sasl,
        f"e2e-{tag}",
        tmp_path,
        model="default",
        env={**secured_kafka.env(sha512, sasl), "FINSENTRY_SENTIMENT__MODEL_DIR": str(tiny_model_dir)},
    )
    dispatcher = DispatcherProc(
        sasl, tmp_path, hook.url("/hook"), smtp.port, secured_kafka.env(sha256, sasl), group=group
    )
    try:
        worker.wait_ready(timeout_s=300)
        sent = _replay(src, secured_kafka.env(sha256, sasl))
        assert sent.returncode == 0, sent.stderr
        deadline = time.monotonic() + 180
        while not expected <= {m.message["X-Finsentry-Alert-Id"] for m in smtp.mails}:
            assert time.monotonic() < deadline, f"{worker.log()[-4000:]}\n{dispatcher.log()[-4000:]}"
            time.sleep(0.5)
        time.sleep(2)  # a second copy would arrive now
        mails = [m.message["X-Finsentry-Alert-Id"] for m in smtp.mails]
    finally:
        worker_code, dispatch_code = worker.stop(), dispatcher.stop()
        hook.stop()
        smtp.stop()
    logs = worker.log() + dispatcher.log() + sent.stdout + sent.stderr
    assert worker_code == 0 and dispatch_code == 0, logs[-4000:]
    assert sorted(mails) == sorted(expected)  # each alert mailed once, none other
    assert "SASL_SSL, SCRAM-SHA-512 as 'alice'" in worker.log()
    assert secured_kafka.password not in logs


def test_the_demo_feed_and_alert_watcher_over_sasl_ssl(secured_kafka: SecuredKafka) -> None:
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    sec = secured_kafka.scram("SCRAM-SHA-512")
    tag = "W" + uuid.uuid4().hex[:6].upper()
    seen: list[str] = []
    stop = threading.Event()
    watcher = threading.Thread(target=watch_alerts, args=(sasl, stop, lambda a: seen.append(a.alert_id), sec))
    watcher.start()
    try:
        alert = make_alert(tag, severity="high")
        deadline = time.monotonic() + 60
        # The watcher starts at the end of the topic: write until it has seen one (its
        # position is set on its first poll, so an early write may fall before it).
        while alert.alert_id not in seen:
            assert time.monotonic() < deadline and watcher.is_alive(), "the watcher saw nothing over SASL_SSL"
            produce(sasl, topics.ALERTS, [alert.to_json()], security=sec)
            time.sleep(1)
    finally:
        stop.set()
        watcher.join(30)
    sent: list[int] = []
    feeding = threading.Event()
    feeder = threading.Thread(
        target=feed, args=(sasl, 200.0, feeding, lambda n: (sent.append(n), n >= 20 and feeding.set()), sec)
    )
    feeder.start()
    feeder.join(60)
    assert not feeder.is_alive() and len(sent) >= 20


BENCH_ARGS = ("-n", "50", "--live", "10", "--rate", "20", "--json")


def test_dispatch_bench_runs_over_sasl_ssl(secured_kafka: SecuredKafka) -> None:
    sasl = secured_kafka.broker.sasl_ssl_bootstrap
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FINSENTRY_")}
    done = subprocess.run(
        [sys.executable, "-m", "finsentry.cli", "bench", "dispatch", "--use-kafka", *BENCH_ARGS],
        env={**clean, "COLUMNS": "200", **secured_kafka.env(secured_kafka.scram("SCRAM-SHA-256"), sasl)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = orjson.loads(done.stdout.strip().splitlines()[-1])
    assert figures["alerts"] == 50, figures
    assert secured_kafka.password not in done.stdout + done.stderr
