"""`finsentry dispatch` as a process, SIGKILLed mid-delivery and restarted: no page twice, none lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.alerts.dispatch_fixtures import episode
from tests.alerts.dispatch_kafka import committed, end_offsets, send_alerts, start_group_at_end, wait_committed
from tests.alerts.dispatch_servers import HttpSink, Seen, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PD_KEY = "pd-secret-routing-key-42"
HOOK_SECRET = "hook-secret-value-42"
IN_FLIGHT = 16


def _identity(seen: Seen) -> str:
    body = seen.json()
    if seen.path == "/pd":  # a PagerDuty event: the action on the incident it targets
        details = body.get("payload", {}).get("custom_details", {})
        return f"pd|{body['event_action']}|{body['dedup_key']}|{details.get('alert_id', '')}"
    return f"hook|{body['alert_id']}"


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "finsentry.cli", "dispatch"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )


def test_sigkill_mid_delivery_then_restart(kafka_bootstrap: str, tmp_path: Path) -> None:
    tag = "K" + uuid.uuid4().hex[:5].upper()
    sink = HttpSink(delay_s=0.1).start()  # slow far end: the kill lands with sends in flight
    routing = tmp_path / "routing.toml"
    routing.write_text(
        f"""
[receivers.pager]
type = "pagerduty"
url = "{sink.url("/pd")}"
routing_key_env = "TEST_PD_KEY"

[receivers.hook]
type = "webhook"
url = "{sink.url("/hook")}"
secret_file = "hook.secret"

[default_route]
receivers = ["pager", "hook"]
"""
    )
    (tmp_path / "hook.secret").write_text(HOOK_SECRET + "\n")
    group = f"dispatch-restart-{tag}"
    start_group_at_end(kafka_bootstrap, group)
    metrics_port = free_port()
    env = {
        **os.environ,
        "FINSENTRY_KAFKA": kafka_bootstrap,
        "FINSENTRY_DISPATCH__ROUTING_FILE": str(routing),
        "FINSENTRY_DISPATCH__STATE_DIR": str(tmp_path / "state"),
        "FINSENTRY_DISPATCH__GROUP_ID": group,
        "FINSENTRY_DISPATCH__MAX_IN_FLIGHT": str(IN_FLIGHT),
        "FINSENTRY_DISPATCH__MAX_BATCH": "60",
        "FINSENTRY_METRICS__PORT": str(metrics_port - 1),
        "FINSENTRY_LOG_LEVEL": "INFO",
        "TEST_PD_KEY": PD_KEY,
        "COLUMNS": "200",
    }
    alerts = [a for i in range(100) for a in episode(f"{tag}{i:02d}")]  # firing, escalated, resolved
    log = tmp_path / "dispatch.log"
    try:
        send_alerts(kafka_bootstrap, alerts)
        first = _start(env, log)
        try:
            sink.wait_for(150, timeout_s=120)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        at_kill = len(sink.seen)
        assert at_kill < 2 * len(alerts), "the kill came after the work was done; nothing was tested"
        assert committed(kafka_bootstrap, group) != end_offsets(kafka_bootstrap)

        second = _start(env, log)
        try:
            wait_committed(kafka_bootstrap, group, timeout_s=180)
            scrape = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        finally:
            second.send_signal(signal.SIGTERM)
            rc = second.wait(60)
    finally:
        sink.stop()
    text = log.read_text()
    assert rc == 0, text[-3000:]
    assert "dispatcher stopped" in text

    accepted = sink.accepted()
    # None lost: every alert reached both receivers (PagerDuty: a trigger per firing, a resolve per episode).
    expected = {f"hook|{a.alert_id}" for a in alerts}
    expected |= {f"pd|trigger|{a.dedup_key}|{a.alert_id}" for a in alerts if a.status == "firing"}
    expected |= {f"pd|resolve|{a.dedup_key}|" for a in alerts if a.status == "resolved"}
    got = Counter(_identity(s) for s in accepted)
    assert set(got) == expected
    # No page twice: a second copy only where the first send's fate was unknown at the kill, and
    # then flagged, so the far end (PagerDuty's dedup_key, the webhook's Idempotency-Key) drops it.
    plain = Counter(_identity(s) for s in accepted if s.headers.get("X-Finsentry-Redelivery") == "false")
    assert max(plain.values()) == 1
    copies = Counter(s.path for s in accepted if s.headers.get("X-Finsentry-Redelivery") == "true")
    assert all(n <= IN_FLIGHT for n in copies.values())  # at most the sends in flight per receiver
    # Order per dedup_key held across the restart: a resolve never overtook its trigger.
    for i in range(100):
        key = f"{tag}{i:02d}:litigation"
        actions = [s.json()["event_action"] for s in accepted if s.path == "/pd" and s.json()["dedup_key"] == key]
        assert actions[-1] == "resolve" and "trigger" in actions
    # The restarted dispatcher saw the already-delivered ones as duplicates; metrics show no secret.
    assert 'finsentry_deliveries_total{outcome="duplicate",receiver="hook"}' in scrape
    assert PD_KEY not in scrape and HOOK_SECRET not in scrape
    assert PD_KEY not in text and HOOK_SECRET not in text
    assert committed(kafka_bootstrap, group) == end_offsets(kafka_bootstrap)
