"""`finsentry demo`'s parts (streams/demo.py): the sample feed, the alert lines, and run_demo's clean-up.

The full demo (default model, alerts firing) takes minutes; here run_demo meets a worker that
cannot start, on a real broker, and must stop everything it started and say so.
"""

from __future__ import annotations

import io
import itertools
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from finsentry import kafka_local
from finsentry.contracts import Alert, Factor
from finsentry.settings import Settings
from streams.demo import STORM, format_alert, run_demo, sample_feed

T = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)


def _alert(status: str, severity: str, headlines: list[str]) -> Alert:
    return Alert(
        alert_id="a1", dedup_key="BA", status=status, severity=severity, entity="BA", event_type="recall",  # type: ignore[arg-type]
        risk_score=72.25, headlines=headlines, news_ids=["n1"], first_seen=T, last_seen=T,
        factors=[Factor(name="event", value=1, points=40), Factor(name="decay", value=0, points=0),
                 Factor(name="storm", value=3, points=-2.4)],
    )  # fmt: skip


def test_an_alert_line_is_coloured_by_severity_and_explained_by_its_factors() -> None:
    line = format_alert(_alert("firing", "high", ["old news", "Boeing recalls 200 jets"]))
    assert line == (
        "[red]FIRING   high     BA     recall                 score  72.2[/] "
        "| Boeing recalls 200 jets | event +40, storm -2"
    )
    resolved = format_alert(_alert("resolved", "critical", []))
    assert resolved.startswith("[green]RESOLVED critical ") and resolved.endswith("|  | event +40, storm -2")
    assert format_alert(_alert("firing", "critical", ["x"])).startswith("[bold red]")


def test_the_sample_feed_weaves_the_storm_into_the_tweets() -> None:
    records = [orjson.loads(r) for r in itertools.islice(sample_feed(storm_every=3, run="r1"), 40)]
    storm = [r for r in records if "storm" in r["id"]]
    assert [r["headline"] for r in storm] == [h for _, h in STORM][: len(storm)] and len(storm) >= 5
    assert all(r["tickers"] == ["BA"] for r in storm)
    assert all(r["id"].startswith("demo-r1-") and r["source"] for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert all("tickers" not in r for r in records if "storm" not in r["id"])


@pytest.mark.kafka
@pytest.mark.slow
def test_run_demo_stops_the_broker_when_the_worker_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = kafka_local.free_port_pair()
    # The worker is a child process: it reads these too, and stops on the missing model.
    monkeypatch.setenv("FINSENTRY_KAFKA", f"127.0.0.1:{port}")
    monkeypatch.setenv("FINSENTRY_SENTIMENT__MODEL_DIR", str(tmp_path / "no-model"))
    monkeypatch.setenv("FINSENTRY_STREAM__DATA_DIR", str(tmp_path / "data"))
    settings = Settings()
    broker = kafka_local.LocalKafka(home=tmp_path / "kafka", host="127.0.0.1", port=port, heap="512m")
    out = io.StringIO()
    console = Console(file=out, log_path=False, width=200)
    with pytest.raises(RuntimeError, match="the worker exited"):
        run_demo(settings, broker, rate=5.0, keep_kafka=False, console=console)
    assert broker.pid() is None, "the broker was left running"
    printed = out.getvalue()
    assert f"starting Kafka on 127.0.0.1:{port}" in printed
    assert "starting the worker (log: " in printed and printed.rstrip().endswith("stopped cleanly")
    assert "no fine-tuned sentiment model" in (tmp_path / "data" / "demo-worker.log").read_text()
