"""`alerts.dispatch.service.serve`: the dispatcher in the main thread until a signal, as `finsentry dispatch` runs it."""

from __future__ import annotations

import logging
import os
import signal
import threading
import uuid
from pathlib import Path

import pytest

from finsentry.settings import DispatchSettings, Settings
from streams.dispatch import DispatchService, serve
from tests.alerts.dispatch_fixtures import make_alert
from tests.alerts.dispatch_kafka import send_alerts, start_group_at_end, wait_committed
from tests.alerts.dispatch_servers import HttpSink, hook_routing

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_serve_delivers_until_sigterm_then_stops_cleanly(
    kafka_bootstrap: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tag = "S" + uuid.uuid4().hex[:6].upper()
    group = f"dispatch-serve-{tag}"
    start_group_at_end(kafka_bootstrap, group)
    settings = Settings(
        kafka=kafka_bootstrap,
        dispatch=DispatchSettings(state_dir=tmp_path / "state", group_id=group, poll_timeout_s=0.2),
    )
    sink = HttpSink().start()
    try:
        config = hook_routing(sink, tmp_path)
        alerts = [make_alert(f"{tag}{i}", severity="high") for i in range(5)]
        send_alerts(kafka_bootstrap, alerts)
        problems: list[BaseException] = []

        def deliver_then_signal() -> None:
            try:
                sink.wait_for(5, "/hook")
                wait_committed(kafka_bootstrap, group)
            except BaseException as exc:  # reported below; the signal must come either way
                problems.append(exc)
            os.kill(os.getpid(), signal.SIGTERM)

        logger = logging.getLogger("tests.dispatch.serve")
        with caplog.at_level(logging.INFO, logger=logger.name):
            serve(
                DispatchService(settings, config),
                logger=logger,
                ready=lambda: threading.Thread(target=deliver_then_signal, daemon=True).start(),
            )
    finally:
        sink.stop()
    assert not problems, problems
    assert sorted(s.json()["alert_id"] for s in sink.accepted("/hook")) == sorted(a.alert_id for a in alerts)
    assert "SIGTERM: stopping after the alerts in flight" in caplog.messages
