"""File mode with the real models: JSONL in, enriched + alerts out, bad lines reported."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from finsentry.filemode import score_file
from finsentry.models import load_models
from finsentry.settings import Settings

BACKTEST = Path(__file__).resolve().parents[1] / "fixtures" / "backtest.jsonl"


@pytest.fixture(scope="module")
def settings(tiny_model_dir: Path) -> Settings:
    s = Settings()
    s.sentiment.model_dir = tiny_model_dir
    return s


def read(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def test_backtest_enriches_scores_and_reports_bad_lines(settings: Settings, tmp_path: Path) -> None:
    models = load_models(settings, "default", build_default=False)
    out, alerts_out = tmp_path / "enriched.jsonl", tmp_path / "alerts.jsonl"
    report = score_file(BACKTEST, out, models, settings, alerts_out=alerts_out)

    assert [n for n, _ in report.invalid] == [4, 9]
    assert "invalid_json" in report.invalid[0][1] and "id" in report.invalid[1][1]
    enriched = read(out)
    ids = {r["news_id"] for r in enriched}
    assert ids == {f"bt-storm-{k}" for k in range(6)} | {f"bt-calm-{k}" for k in range(6)} | {"bt-later"}
    storm = [r for r in enriched if r["news_id"].startswith("bt-storm")]
    assert all(any(r["entity"] == "BA" for r in storm if r["news_id"] == f"bt-storm-{k}") for k in range(6))
    assert any(e["type"] == "bankruptcy" for e in storm[0]["events"])
    apple = next(r for r in enriched if r["news_id"] == "bt-calm-0")
    assert apple["entity"] == "AAPL"

    alerts = read(alerts_out)
    assert alerts, "a Boeing bankruptcy/fraud storm must raise alerts"
    assert "BA" in {a["entity"] for a in alerts}
    calm = {"AAPL", "MSFT", "KO", "WMT", "PG", "PFE"}
    assert not calm & {a["entity"] for a in alerts}, "routine news must not alert"
    firing = [a for a in alerts if a["status"] == "firing"]
    assert any(a["dedup_key"] == "BA" and "bankruptcy" in a["event_types"] for a in firing)
    assert all(a["factors"] and a["headlines"] and a["news_ids"] for a in firing)
    # Two days later (event time), everything that fired has resolved.
    assert {a["dedup_key"] for a in alerts if a["status"] == "resolved"} == {a["dedup_key"] for a in firing}


def test_same_file_same_alerts(settings: Settings, tmp_path: Path) -> None:
    models = load_models(settings, "default", build_default=False)
    runs = []
    for n in range(2):
        alerts_out = tmp_path / f"alerts{n}.jsonl"
        score_file(BACKTEST, tmp_path / f"e{n}.jsonl", models, settings, alerts_out=alerts_out)
        runs.append([(a["alert_id"], a["status"], a["severity"]) for a in read(alerts_out)])
    assert runs[0] == runs[1]
