"""`finsentry train`, `evaluate` and `bench model` end to end, in process, on the tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finsentry.cli import app
from nlp.sentiment import has_model
from nlp.training import train_tiny_model

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.getbasetemp() / "tiny-sentiment"
    return out if has_model(out) else train_tiny_model(out)


@pytest.fixture
def labelled(tmp_path: Path) -> Path:
    path = tmp_path / "eval.csv"
    rows = [
        "Profits collapse at the lender,negative",
        "Board meets on Monday,neutral",
        "Record sales lift shares,positive",
    ]
    path.write_text("sentence,label\n" + "\n".join(rows * 3) + "\n")
    return path


def test_evaluate_json_last_line(tiny: Path, labelled: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--model", str(tiny), "--data", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n"} <= report.keys()
    assert report["n"] == 9
    assert [sum(row) for row in report["confusion"]] == [3, 3, 3]
    correct = sum(report["confusion"][i][i] for i in range(3))
    assert report["accuracy"] == pytest.approx(correct / 9)


def test_evaluate_valid_split_matches_the_training_card(tiny: Path) -> None:
    from nlp.sentiment_data import REPO_TWEETS_TRAIN
    from nlp.training import read_training_card

    args = ["evaluate", "--model", str(tiny), "--data", str(REPO_TWEETS_TRAIN), "--split", "valid", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["n"] == read_training_card(tiny)["data"][0]["valid_rows"]


def test_evaluate_explains_a_bad_file_and_a_missing_model(tiny: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,stars\ngood,5\n")
    result = runner.invoke(app, ["evaluate", "--model", str(tiny), "--data", str(bad)])
    assert result.exit_code == 2
    assert "bad.csv: no label column" in result.output
    good = tmp_path / "good.csv"
    good.write_text("text,label\ngood,positive\n")
    result = runner.invoke(app, ["evaluate", "--model", str(tmp_path / "none"), "--data", str(good)])
    assert result.exit_code == 2
    assert "finsentry train --out" in result.output


def test_train_rejects_a_file_without_text_column(tmp_path: Path) -> None:
    bad = tmp_path / "headlines.csv"
    bad.write_text("headline,label\nx,0\n")
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "m"), "--data", str(bad), "--no-progress"])
    assert result.exit_code == 2
    assert "headlines.csv: no text column" in result.output
    assert not (tmp_path / "m").exists()


def test_train_writes_a_loadable_model(tmp_path: Path, labelled: Path) -> None:
    out = tmp_path / "m"
    args = ["train", "--out", str(out), "--data", str(labelled), "--max-steps", "2", "--batch-size", "4"]
    result = runner.invoke(app, [*args, "--valid-fraction", "0.4", "--no-progress", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert has_model(out)
    assert "validation accuracy" in result.output
    result = runner.invoke(app, ["evaluate", "--model", str(out), "--data", str(labelled), "--json"])
    assert result.exit_code == 0, result.output


def test_bench_model_json(tiny: Path) -> None:
    result = runner.invoke(app, ["bench", "model", "--model", str(tiny), "--n", "48", "--batch-size", "16", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert {"batched_per_s", "per_event_per_s", "ratio", "device", "read_per_s"} <= figures.keys()
    assert figures["device"] == "cpu" and figures["texts"] == 48
    assert figures["ratio"] == pytest.approx(figures["batched_per_s"] / figures["per_event_per_s"], rel=0.01)
    # Same weights both ways: the labels must agree on (nearly) every text.
    assert figures["agreement"] >= 0.95
