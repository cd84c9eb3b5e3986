"""The whole product on a real broker with the real models: replay -> worker -> alerts.

The same backtest file scored in file mode must fire the same alerts (same ids) as the
live stream: both run on event time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from finsentry import topics
from finsentry.filemode import score_file
from finsentry.models import load_models
from finsentry.settings import Settings
from tests.kafka_helpers import read_topic
from tests.streams.worker_proc import WorkerProc

pytestmark = pytest.mark.kafka

BACKTEST = Path(__file__).resolve().parents[1] / "fixtures" / "backtest.jsonl"


def test_replay_through_worker_matches_file_mode(
    fresh_kafka: Callable[[], str], tmp_path: Path, tiny_model_dir: Path
) -> None:
    bootstrap = fresh_kafka()
    env = {"FINSENTRY_SENTIMENT__MODEL_DIR": str(tiny_model_dir)}
    worker = WorkerProc(bootstrap, "real", tmp_path, model="default", env=env)
    try:
        worker.wait_ready(timeout_s=300)
        replay = subprocess.run(
            [sys.executable, "-m", "finsentry.cli", "replay", str(BACKTEST)],
            env={**__import__("os").environ, "FINSENTRY_KAFKA": bootstrap},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert "sent 15 records" in replay.stdout
        want = {f"bt-storm-{k}" for k in range(6)} | {f"bt-calm-{k}" for k in range(6)} | {"bt-later"}
        enriched = read_topic(
            bootstrap, topics.ENRICHED, until=lambda rs: want <= {r["value"]["news_id"] for r in rs}, timeout_s=120
        )
        dlq = read_topic(bootstrap, topics.NEWS_DLQ, until=lambda rs: len(rs) >= 2, timeout_s=60)
        time.sleep(3)  # let the scoring stage finish the last batch
        alerts = [r["value"] for r in read_topic(bootstrap, topics.ALERTS, timeout_s=10)]
    finally:
        assert worker.stop() == 0
    assert want <= {r["value"]["news_id"] for r in enriched}
    assert len(dlq) == 2

    settings = Settings()
    settings.sentiment.model_dir = tiny_model_dir
    alerts_file = tmp_path / "alerts.jsonl"
    score_file(
        BACKTEST,
        tmp_path / "e.jsonl",
        load_models(settings, "default", build_default=False),
        settings,
        alerts_out=alerts_file,
    )
    backtest = [orjson.loads(line) for line in alerts_file.read_bytes().splitlines()]

    assert backtest, "the storm must alert"
    live_ids = sorted({a["alert_id"] for a in alerts})
    file_ids = sorted({a["alert_id"] for a in backtest})
    assert live_ids == file_ids

    # The same incidents, message for message: what fed them and which article fired each.
    def messages(rows: list[dict[str, object]]) -> set[tuple[object, ...]]:
        return {(a["alert_id"], a["dedup_key"], tuple(a["event_types"]), a["fired_by"]) for a in rows}  # type: ignore[arg-type]

    assert messages(alerts) == messages(backtest)
    # Boeing's storm is one incident: critical on the bankruptcy filing, the default joins it.
    boeing = [a for a in backtest if a["entity"] == "BA"]
    assert {a["dedup_key"] for a in boeing} == {"BA"} and len({a["first_seen"] for a in boeing}) == 1
    assert boeing[0]["fired_by"] == "bt-storm-0" and boeing[0]["severity"] == "critical"
    assert {"bankruptcy", "default"} <= set(boeing[-1]["event_types"])
