"""Validation of raw `news` values: every failure has a reason from the fixed set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from finsentry.validation import REASONS, InvalidEvent, parse_news

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def parse(raw: bytes, cap: int = 1000):  # type: ignore[no-untyped-def]
    return parse_news(raw, max_text_bytes=cap, max_future_skew=timedelta(days=1), now=NOW)


def test_valid_record_keeps_every_field() -> None:
    event = parse(
        orjson.dumps(
            {
                "id": "a1",
                "headline": "Acme recalls widgets",
                "body": "More text",
                "source": "wire",
                "published_at": "2025-12-31T23:00:00+01:00",
                "url": "https://example.test/a1",
                "tickers": ["ACME"],
                "lang": "en",
                "extra": "ignored",
            }
        )
    )
    assert event.id == "a1"
    assert event.tickers == ["ACME"]
    assert event.published_at == datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
    assert event.text == "Acme recalls widgets\nMore text"


@pytest.mark.parametrize(
    ("raw", "reason", "mentions"),
    [
        (b"\xff\xfe", "invalid_utf8", "UTF-8"),
        (b"{not json", "invalid_json", ""),
        (b"[1, 2]", "schema", "JSON object"),
        (b'{"headline": "no id"}', "schema", "id"),
        (b'{"id": "x"}', "schema", "headline"),
        (b'{"id": 7, "headline": "numeric id"}', "schema", "id"),
        (b'{"id": "x", "headline": "   "}', "schema", "headline"),
        (b'{"id": "x", "headline": "h", "tickers": "AAPL"}', "schema", "tickers"),
        (b'{"id": "x", "headline": "h", "published_at": "yesterday"}', "bad_timestamp", "published_at"),
        (b'{"id": "x", "headline": "h", "published_at": "2025-01-01T00:00:00"}', "bad_timestamp", "RFC 3339"),
        (b'{"id": "x", "headline": "h", "published_at": 1700000000}', "bad_timestamp", "RFC 3339"),
        (b'{"id": "x", "headline": "h", "published_at": "2030-01-01T00:00:00Z"}', "bad_timestamp", "future"),
    ],
)
def test_invalid_records_say_why(raw: bytes, reason: str, mentions: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        parse(raw)
    assert info.value.reason == reason
    assert mentions in str(info.value)


def test_size_cap_counts_headline_and_body_bytes() -> None:
    ok = orjson.dumps({"id": "x", "headline": "é" * 250, "body": "b" * 500})  # 500 + 500 bytes
    assert parse(ok, cap=1000).id == "x"
    with pytest.raises(InvalidEvent) as info:
        parse(orjson.dumps({"id": "x", "headline": "é" * 251, "body": "b" * 500}), cap=1000)
    assert info.value.reason == "too_large"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    try:
        parse(raw)
    except InvalidEvent as exc:
        assert exc.reason in REASONS


@pytest.mark.parametrize(
    "raw", [b'{"id": "x", "headline": "\\u001d"}', b'{"id": "x", "headline": "h", "published_at": "0"}']
)
def test_cases_hypothesis_found(raw: bytes) -> None:
    # A control character is no headline; "0" is no RFC 3339 time (pydantic read it as 1970).
    with pytest.raises(InvalidEvent):
        parse(raw)
