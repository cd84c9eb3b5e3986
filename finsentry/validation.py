"""Turn raw `news` bytes into a NewsEvent, or say precisely why not.

The reasons are a small fixed set (they label a metric and route to `news.dlq`); the
detail names the field and the problem for the person reading the DLQ.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Literal

import orjson
from pydantic import ValidationError

from finsentry.contracts import NewsEvent

Reason = Literal["invalid_utf8", "invalid_json", "schema", "too_large", "bad_timestamp"]
REASONS: Final[tuple[Reason, ...]] = ("invalid_utf8", "invalid_json", "schema", "too_large", "bad_timestamp")


class InvalidEvent(ValueError):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: Reason = reason
        self.detail = detail


def parse_news(raw: bytes, *, max_text_bytes: int, max_future_skew: timedelta, now: datetime) -> NewsEvent:
    """Validate one `news` value. Raises InvalidEvent with a reason and a readable detail."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent("invalid_utf8", f"not UTF-8 at byte {exc.start}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent("invalid_json", str(exc)) from None
    if not isinstance(data, dict):
        raise InvalidEvent("schema", f"expected a JSON object, got {type(data).__name__}")
    # Size is checked before the schema so a huge record is named for what it is.
    headline, body = data.get("headline"), data.get("body")
    size = sum(len(v.encode("utf-8", "surrogatepass")) for v in (headline, body) if isinstance(v, str))
    if size > max_text_bytes:
        raise InvalidEvent("too_large", f"headline + body is {size} bytes, the cap is {max_text_bytes}")
    try:
        event = NewsEvent.model_validate(data)
    except ValidationError as exc:
        raise InvalidEvent(_reason_of(exc), _describe(exc)) from None
    if event.published_at is not None and event.published_at > now + max_future_skew:
        raise InvalidEvent("bad_timestamp", f"published_at {event.published_at.isoformat()} is in the future")
    return event


def _reason_of(exc: ValidationError) -> Reason:
    first = exc.errors()[0]
    return "bad_timestamp" if first["loc"] and first["loc"][0] == "published_at" else "schema"


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "(record)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
