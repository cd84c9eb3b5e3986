"""Replay input: CSV headlines become news records; JSONL lines go out exactly as written."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from finsentry.contracts import NewsEvent
from streams.replay import ReplayError, count_records, csv_to_news, key_of, records_of


def test_csv_with_title_date_stock_becomes_valid_news(tmp_path: Path) -> None:
    src = tmp_path / "headlines.csv"
    src.write_text(
        "title,date,stock,url\n"
        "Agilent misses estimates,2020-06-05 10:30:00,A,https://x.test/1\n"
        '"Apple, Google sued",2020-06-05T11:00:00-04:00,"AAPL, GOOGL",\n'
        "No date here,,,\n",
        encoding="utf-8",
    )
    records = [orjson.loads(r) for r in csv_to_news(src)]
    events = [NewsEvent.model_validate(r) for r in records]
    assert [e.headline for e in events] == ["Agilent misses estimates", "Apple, Google sued", "No date here"]
    assert events[0].tickers == ["A"] and events[0].url == "https://x.test/1"
    assert events[0].published_at is not None and events[0].published_at.isoformat() == "2020-06-05T10:30:00+00:00"
    assert events[1].tickers == ["AAPL", "GOOGL"]
    assert events[1].published_at is not None and events[1].published_at.utcoffset().total_seconds() == -4 * 3600  # type: ignore[union-attr]
    assert events[2].published_at is None and events[2].tickers is None
    assert len({e.id for e in events}) == 3
    # Ids are stable: replaying the same file twice sends the same ids.
    assert [orjson.loads(r)["id"] for r in csv_to_news(src)] == [e.id for e in events]


def test_csv_without_headline_column_is_refused_by_name(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(ReplayError, match="no headline column"):
        list(csv_to_news(src))


def test_jsonl_lines_are_sent_as_written(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id":"1","headline":"ok","tickers":["msft"]}\n{broken\n\n  \n{"id":"2","headline":"x"}\r\n')
    assert list(records_of(src)) == [
        b'{"id":"1","headline":"ok","tickers":["msft"]}',
        b"{broken",
        b'{"id":"2","headline":"x"}',
    ]
    assert count_records(src) == 3


def test_key_is_the_first_feed_ticker() -> None:
    assert key_of(b'{"id":"1","headline":"h","tickers":[" msft ","AAPL"]}') == b"MSFT"
    assert key_of(b'{"id":"1","headline":"h"}') is None
    assert key_of(b"{broken") is None
    assert key_of(b'{"tickers": [1]}') is None
