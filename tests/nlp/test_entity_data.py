"""Entity-level CSVs: clear errors that name the row, splits that keep a headline whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.entity_data import REPO_SENTFIN_TRAIN, conflict_rows, is_entity_csv, load_entity_csv, split_by_headline
from nlp.sentiment_data import DataFormatError


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ents.csv"
    path.write_text(body)
    return path


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"missing column.*label"):
        load_entity_csv(_csv(tmp_path, "text,entity\nA beats,A\n"))


def test_an_empty_entity_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="line 3: empty entity"):
        load_entity_csv(_csv(tmp_path, "text,entity,label\nA beats,A,positive\nB falls,,negative\n"))


def test_a_bad_label_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="line 2: unknown label 'great'"):
        load_entity_csv(_csv(tmp_path, "text,entity,label\nA beats,A,great\n"))


def test_the_shipped_sentfin_copy_reads_whole() -> None:
    rows = load_entity_csv(REPO_SENTFIN_TRAIN)
    assert is_entity_csv(REPO_SENTFIN_TRAIN)
    assert len(rows) == 11550
    assert len({r.group for r in rows}) == 8602


def test_the_split_keeps_each_headline_on_one_side() -> None:
    rows = load_entity_csv(REPO_SENTFIN_TRAIN)
    train, valid = split_by_headline(rows, 0.1, 42)
    assert {r.group for r in train}.isdisjoint({r.group for r in valid})
    assert len(train) + len(valid) == len(rows)
    assert split_by_headline(rows, 0.1, 42)[1] == valid  # the same cut for the same seed


def test_conflict_rows_are_those_of_headlines_whose_entities_disagree(tmp_path: Path) -> None:
    rows = load_entity_csv(
        _csv(
            tmp_path,
            "headline_id,text,entity,label\n1,A beats B,A,positive\n1,A beats B,B,negative\n2,C and D rise,C,positive\n"
            "2,C and D rise,D,positive\n",
        )
    )
    assert conflict_rows(rows) == [True, True, False, False]
