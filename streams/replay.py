"""`finsentry replay`: send a file of headlines to Kafka, at a set rate if asked.

A JSONL file is sent line by line exactly as written (malformed lines too: that is how
the DLQ path is exercised); a CSV of headlines is converted to the `news` contract.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from finsentry import kafka_security

if TYPE_CHECKING:
    from finsentry.settings import KafkaSecurity

_HEADLINE_COLS = ("headline", "title", "text", "sentence")
_TIME_COLS = ("published_at", "date", "datetime", "time", "timestamp")
_TICKER_COLS = ("tickers", "ticker", "stock", "symbol")


class ReplayError(ValueError):
    pass


def _rfc3339(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S")):
        try:
            dt = parse(value)
        except ValueError:
            continue
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)  # headline dumps rarely say; UTC is the documented guess
        return dt.isoformat()
    return None


def csv_to_news(path: Path) -> Iterator[bytes]:
    """Rows of a headline CSV as `news` JSON records."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = {c.lower().strip(): c for c in reader.fieldnames or []}
        headline_col = next((cols[c] for c in _HEADLINE_COLS if c in cols), None)
        if headline_col is None:
            raise ReplayError(f"{path}: no headline column (one of {', '.join(_HEADLINE_COLS)}); found {list(cols)}")
        time_col = next((cols[c] for c in _TIME_COLS if c in cols), None)
        ticker_col = next((cols[c] for c in _TICKER_COLS if c in cols), None)
        id_col = cols.get("id")
        for n, row in enumerate(reader, start=2):
            headline = (row.get(headline_col) or "").strip()
            record: dict[str, object] = {
                "id": (row.get(id_col) or "").strip() if id_col else "",
                "headline": headline,
                "source": path.name,
            }
            if not record["id"]:
                digest = hashlib.sha1(f"{path.name}:{n}:{headline}".encode()).hexdigest()[:16]
                record["id"] = f"{path.stem}-{digest}"
            if time_col and (ts := _rfc3339(row.get(time_col) or "")):
                record["published_at"] = ts
            if ticker_col and (tick := (row.get(ticker_col) or "").strip()):
                record["tickers"] = [t.strip().upper() for t in tick.replace(";", ",").split(",") if t.strip()]
            if url := (row.get(cols.get("url", "")) or "").strip() if "url" in cols else "":
                record["url"] = url
            yield orjson.dumps(record)


def jsonl_lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        for line in fh:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def records_of(path: Path) -> Iterator[bytes]:
    if path.suffix.lower() == ".csv":
        return csv_to_news(path)
    return jsonl_lines(path)


def replay(
    path: Path,
    bootstrap: str,
    topic: str,
    *,
    rate: float | None = None,
    on_sent: Callable[[int], None] = lambda n: None,
    security: KafkaSecurity | None = None,
) -> int:
    """Send every record of `path` to `topic`; returns how many were sent and acknowledged.

    A refused login or certificate raises KafkaSecurityError (one line, no secret)."""
    from kafka import KafkaProducer
    from kafka.errors import KafkaError

    try:
        producer = KafkaProducer(
            bootstrap_servers=bootstrap, linger_ms=5, acks="all", **kafka_security.kafka_python_options(security)
        )
    except KafkaError as exc:
        if (clear := kafka_security.clear_error(exc, bootstrap, security)) is not None:
            raise clear from None
        raise
    sent = 0
    started = time.monotonic()
    try:
        for value in records_of(path):
            if rate:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
            producer.send(topic, value, key=key_of(value))
            sent += 1
            on_sent(1)
        producer.flush(timeout=60)
    finally:
        producer.close()
    return sent


def key_of(value: bytes) -> bytes | None:
    """The record's first feed ticker, so one company's news keeps its order in Kafka.

    Malformed values get no key (they are sent as written, to reach the DLQ).
    """
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    tickers = data.get("tickers") if isinstance(data, dict) else None
    if isinstance(tickers, list) and tickers and isinstance(tickers[0], str) and tickers[0].strip():
        return tickers[0].strip().upper().encode()
    return None


def sample_headlines() -> Iterator[str]:
    """The repository's sample headlines (finance tweets, MIT), cleaned as the models read them."""
    from nlp.sentiment_data import REPO_TWEETS_VALID, normalize_text

    with REPO_TWEETS_VALID.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if text := normalize_text(row["text"]):
                yield text


def count_records(path: Path) -> int:
    return sum(1 for _ in records_of(path))
