"""The entity benchmark's loop (nlp/entity_bench.py), on the real spaCy annotator, and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.entity_bench import BenchResult, bench_annotator, bench_texts
from nlp.entity_eval import read_eval
from nlp.interfaces import NoopAnnotator


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def test_bench_texts_repeat_the_eval_set_in_order(tmp_path: Path) -> None:
    path = tmp_path / "eval.jsonl"
    path.write_text('{"text": "Apple beats"}\n{"text": "Boeing recalls jets"}\n')
    assert bench_texts(5, path) == ["Apple beats", "Boeing recalls jets"] * 2 + ["Apple beats"]
    assert bench_texts(3) == [i.text for i in read_eval()][:3]  # default: the shipped evaluation set


def test_bench_texts_refuse_an_empty_set(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n")
    with pytest.raises(ValueError, match="no texts"):
        bench_texts(10, path)


def test_bench_annotator_counts_what_the_annotator_finds(annotator: SpacyAnnotator) -> None:
    texts = bench_texts(10)
    batches: list[int] = []
    result = bench_annotator(annotator, texts, 4, on_batch=batches.append)
    assert batches == [4, 4, 2]
    annotations = annotator.annotate(texts, [None] * len(texts))
    assert result.entities == sum(len(a.entities) for a in annotations) > 0
    assert result.events == sum(len(a.events) for a in annotations)
    assert (result.texts, result.batch_size, result.device) == (10, 4, annotator.device)
    assert result.wall_s > 0 and result.cpu_s >= 0
    assert result.per_s == pytest.approx(10 / result.wall_s)


def test_bench_result_figures() -> None:
    result = BenchResult(texts=500, wall_s=2.0, cpu_s=1.0, batch_size=256, device="cpu", entities=7, events=3)
    figures = result.as_dict()
    assert figures["bench"] == "entities" and figures["headlines_per_s"] == 250.0
    assert figures["ms_per_headline"] == 4.0 and figures["headlines_per_cpu_s"] == 500.0
    assert (figures["entities_found"], figures["events_found"], figures["batch_size"]) == (7, 3, 256)
    empty = BenchResult(texts=0, wall_s=0.0, cpu_s=0.0, batch_size=1, device="cpu", entities=0, events=0).as_dict()
    assert empty["ms_per_headline"] is None and empty["headlines_per_cpu_s"] is None and empty["headlines_per_s"] == 0


def test_bench_annotator_runs_any_annotator() -> None:
    result = bench_annotator(NoopAnnotator(), ["Apple beats", "Boeing falls", "Fed holds"], 2)
    assert (result.texts, result.entities, result.events, result.device) == (3, 0, 0, "none")


def test_bench_entities_command_prints_the_loops_figures() -> None:
    from finsentry.cli import app

    result = CliRunner().invoke(app, ["bench", "entities", "--n", "12", "--batch-size", "5", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["bench"] == "entities" and figures["annotator"]
    assert (figures["texts"], figures["batch_size"], figures["device"]) == (12, 5, "cpu")
    assert "entities+events:" in result.output and "over 12 headlines, batch 5" in result.output
