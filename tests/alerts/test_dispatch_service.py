"""The dispatcher on the real broker: routes, order, digest, DLQ, commits, replays, a flaky receiver."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from alerts.dispatch.routing import RoutingConfig, parse_routing
from finsentry.contracts import DeadLetter
from finsentry.settings import DispatchSettings, Settings
from tests.alerts.dispatch_fixtures import episode, make_alert
from tests.alerts.dispatch_kafka import (
    ServiceThread,
    dead_letters,
    send_alerts,
    start_group_at_end,
    wait_committed,
)
from tests.alerts.dispatch_servers import FailurePlan, HttpSink, SmtpSink

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FAST_RETRY = "retry = { max_attempts = 30, base_delay_s = 0.05, max_delay_s = 0.4, max_elapsed_s = 30 }"


def _tag() -> str:
    return "T" + uuid.uuid4().hex[:6].upper()


def _settings(bootstrap: str, tmp_path: Path, group: str) -> Settings:
    start_group_at_end(bootstrap, group)
    return Settings(
        kafka=bootstrap,
        dispatch=DispatchSettings(state_dir=tmp_path / "state", group_id=group, poll_timeout_s=0.2),
    )


def _routing(tmp_path: Path, text: str) -> RoutingConfig:
    return parse_routing(text, tmp_path / "routing.toml", env={"PD_KEY": "pd-key", "HOOK_SECRET": "hook-secret"})


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_end_to_end_routes_order_digest_dlq_and_replay(
    kafka_bootstrap: str, tmp_path: Path, http_sink: HttpSink, smtp_sink: SmtpSink
) -> None:
    tag = _tag()
    config = _routing(
        tmp_path,
        f"""
[receivers.mail]
type = "smtp"
host = "127.0.0.1"
port = {smtp_sink.port}
tls = "none"
from = "finsentry@localhost"
to = ["desk@localhost"]

[receivers.pager]
type = "pagerduty"
url = "{http_sink.url("/pd")}"
routing_key_env = "PD_KEY"

[receivers.hook]
type = "webhook"
url = "{http_sink.url("/hook")}"
secret_env = "HOOK_SECRET"

[[routes]]
match.min_severity = "critical"
receivers = ["pager"]
continue = true

[[routes]]
name = "everything else too"
receivers = ["mail", "hook"]

[default_route]
receivers = ["mail"]

[digest]
severities = ["low"]
interval_s = 1
""",
    )
    group = f"dispatch-e2e-{tag}"
    settings = _settings(kafka_bootstrap, tmp_path, group)
    medium, critical, resolved = episode(tag)
    low = make_alert(f"{tag}L", severity="low", score=36)
    bad_json = f'{{"broken": "{tag}'.encode()
    not_alert = f'{{"alert_id": "{tag}", "status": "maybe"}}'.encode()
    delivered_before = _count("finsentry_deliveries_total", receiver="hook", outcome="delivered")

    send_alerts(kafka_bootstrap, [medium, critical, resolved, low, bad_json, not_alert])
    with ServiceThread(settings, config):
        pd = http_sink.wait_for(2, "/pd")
        hooks = http_sink.wait_for(4, "/hook")
        wait_committed(kafka_bootstrap, group)
        letters = dead_letters(kafka_bootstrap, 2, tag)
        for _ in range(100):  # the digest goes out within interval_s of the alert
            if len(smtp_sink.mails) >= 4:
                break
            time.sleep(0.1)

    # PagerDuty: trigger on the escalation to critical, then resolve; nothing for medium.
    assert [(s.json()["event_action"], s.json()["dedup_key"]) for s in pd] == [
        ("trigger", f"{tag}:litigation"),
        ("resolve", f"{tag}:litigation"),
    ]
    assert pd[0].json()["payload"]["custom_details"]["alert_id"] == critical.alert_id
    # Webhook: every alert once, one dedup_key in offset order.
    ids = [s.json()["alert_id"] for s in hooks]
    assert sorted(ids) == sorted(a.alert_id for a in (medium, critical, resolved, low))
    assert [i for i in ids if i != low.alert_id] == [medium.alert_id, critical.alert_id, resolved.alert_id]
    # E-mail: three alerts one by one, the low one only in the digest.
    individual = [m.message for m in smtp_sink.mails if "X-Finsentry-Alert-Id" in m.message]
    digests = [m.message for m in smtp_sink.mails if "X-Finsentry-Digest-Count" in m.message]
    assert [m["X-Finsentry-Alert-Id"] for m in individual] == [medium.alert_id, critical.alert_id, resolved.alert_id]
    assert len(digests) == 1 and digests[0]["X-Finsentry-Digest-Count"] == "1"
    digest_text = digests[0].get_body(("plain",))
    assert digest_text is not None and f"{tag}L" in digest_text.get_content()
    # Dead letters: both broken records, whole, with where they came from.
    assert len(letters) == 2
    parsed = [DeadLetter.model_validate(x) for x in letters]
    assert {p.original for p in parsed} == {bad_json, not_alert}
    assert all(p.reason.startswith("not an Alert") and p.topic == "alerts" and p.offset is not None for p in parsed)
    assert _count("finsentry_deliveries_total", receiver="hook", outcome="delivered") - delivered_before == 4
    assert (_count("finsentry_delivery_seconds_count", receiver="pager") or 0) >= 2

    # Replay: the same alerts again, with the same state_dir, send nothing new.
    dup_before = sum(
        _count("finsentry_deliveries_total", receiver=r, outcome="duplicate") for r in ("mail", "pager", "hook")
    )
    n_http, n_mail = len(http_sink.seen), len(smtp_sink.mails)
    send_alerts(kafka_bootstrap, [medium, critical, resolved, low])
    with ServiceThread(settings, config):
        wait_committed(kafka_bootstrap, group)
    assert (len(http_sink.seen), len(smtp_sink.mails)) == (n_http, n_mail)
    dup_after = sum(
        _count("finsentry_deliveries_total", receiver=r, outcome="duplicate") for r in ("mail", "pager", "hook")
    )
    assert dup_after - dup_before == 2 + 4 + 4  # pager 2, hook 4, mail 3 + the digested one


def test_flaky_receiver_gets_every_alert_exactly_once(kafka_bootstrap: str, tmp_path: Path) -> None:
    tag = _tag()
    sink = HttpSink(fail=FailurePlan(for_s=2.0, status=503)).start()
    try:
        config = _routing(
            tmp_path,
            f"""
[receivers.hook]
type = "webhook"
url = "{sink.url("/hook")}"
secret_env = "HOOK_SECRET"
{FAST_RETRY}

[default_route]
receivers = ["hook"]
""",
        )
        group = f"dispatch-flaky-{tag}"
        settings = _settings(kafka_bootstrap, tmp_path, group)
        alerts = [make_alert(f"{tag}{i:02d}", severity="high") for i in range(40)]
        retries_before = _count("finsentry_delivery_retries_total", receiver="hook")
        send_alerts(kafka_bootstrap, alerts)
        with ServiceThread(settings, config):
            got = sink.wait_for(40, "/hook")
            wait_committed(kafka_bootstrap, group)
    finally:
        sink.stop()
    assert any(s.status == 503 for s in sink.seen)  # it did fail for a while
    per_id = Counter(s.json()["alert_id"] for s in got)
    assert per_id == Counter({a.alert_id: 1 for a in alerts})
    assert _count("finsentry_delivery_retries_total", receiver="hook") > retries_before
    assert dead_letters(kafka_bootstrap, 1, tag, timeout_s=3) == []


def test_refused_and_exhausted_alerts_are_parked_and_committed(
    kafka_bootstrap: str, tmp_path: Path, http_sink: HttpSink
) -> None:
    tag = _tag()
    refusing = HttpSink(fail=FailurePlan(always_status=400)).start()
    down = HttpSink(fail=FailurePlan(always_status=503)).start()
    try:
        config = _routing(
            tmp_path,
            f"""
[receivers.good]
type = "webhook"
url = "{http_sink.url("/good")}"
secret_env = "HOOK_SECRET"

[receivers.refusing]
type = "pagerduty"
url = "{refusing.url("/pd")}"
routing_key_env = "PD_KEY"

[receivers.down]
type = "webhook"
url = "{down.url("/hook")}"
secret_env = "HOOK_SECRET"
retry = {{ max_attempts = 3, base_delay_s = 0.05, max_delay_s = 0.1, max_elapsed_s = 10 }}

[default_route]
receivers = ["good", "refusing", "down"]
""",
        )
        group = f"dispatch-park-{tag}"
        settings = _settings(kafka_bootstrap, tmp_path, group)
        alerts = [make_alert(f"{tag}{i}") for i in range(3)]
        parked_before = _count("finsentry_alerts_parked_total", receiver="down")
        send_alerts(kafka_bootstrap, alerts)
        with ServiceThread(settings, config):
            wait_committed(kafka_bootstrap, group)
        letters = [DeadLetter.model_validate(x) for x in dead_letters(kafka_bootstrap, 6, tag)]
    finally:
        refusing.stop()
        down.stop()
    assert len(http_sink.accepted("/good")) == 3
    assert len(refusing.seen) == 3  # refused once each, never retried
    assert len(down.seen) == 9  # three tries each
    reasons = Counter(x.reason.split(":")[0] for x in letters)
    assert reasons == {"receiver refusing (pagerduty)": 3, "receiver down (webhook)": 3}
    assert all("HTTP 400" in x.reason for x in letters if "refusing" in x.reason)
    assert all("HTTP 503" in x.reason and "after 3 tries" in x.reason for x in letters if "down" in x.reason)
    assert {x.original for x in letters} == {a.to_json() for a in alerts}
    assert all("pd-key" not in x.reason and "hook-secret" not in x.reason for x in letters)
    assert _count("finsentry_alerts_parked_total", receiver="down") - parked_before == 3


def test_a_down_receiver_does_not_hold_back_other_pages(
    kafka_bootstrap: str, tmp_path: Path, http_sink: HttpSink
) -> None:
    tag = _tag()
    down = HttpSink(fail=FailurePlan(always_status=503)).start()
    try:
        config = _routing(
            tmp_path,
            f"""
[receivers.down]
type = "webhook"
url = "{down.url("/hook")}"
secret_env = "HOOK_SECRET"
retry = {{ max_attempts = 100, base_delay_s = 0.1, max_delay_s = 0.2, max_elapsed_s = 6 }}

[receivers.pager]
type = "pagerduty"
url = "{http_sink.url("/pd")}"
routing_key_env = "PD_KEY"

[[routes]]
match.tickers = {[f"{tag}A{i}" for i in range(5)]}
receivers = ["down"]

[default_route]
receivers = ["pager"]
""",
        )
        group = f"dispatch-hol-{tag}"
        settings = _settings(kafka_bootstrap, tmp_path, group)
        # More stuck alerts than send slots: retrying ones must not hold slots others need.
        settings.dispatch.max_in_flight = 2
        stuck = [make_alert(f"{tag}A{i}") for i in range(5)]
        page = make_alert(f"{tag}B", severity="critical")
        send_alerts(kafka_bootstrap, stuck)
        with ServiceThread(settings, config):
            deadline = time.monotonic() + 60
            while not down.seen and time.monotonic() < deadline:
                time.sleep(0.05)
            send_alerts(kafka_bootstrap, [page])  # produced while the first alert is being retried
            [paged] = http_sink.wait_for(1, "/pd")
            wait_committed(kafka_bootstrap, group)
        letters = dead_letters(kafka_bootstrap, 5, tag)
    finally:
        down.stop()
    assert paged.json()["payload"]["custom_details"]["alert_id"] == page.alert_id
    parked = [DeadLetter.model_validate(x) for x in letters]
    assert sorted(p.original for p in parked) == sorted(a.to_json() for a in stuck)
    # The page went out while the stuck alerts were still being retried, before any was parked.
    assert any(s.at > paged.at for s in down.seen)
    assert paged.at < min(p.failed_at.timestamp() for p in parked)
