"""Topic contracts: the typed records that travel as JSON on each Kafka topic.

Every part of finsentry reads and writes these records and nothing looser; the README
("Topic contracts") documents them field by field. This module imports nothing else of
the project, so any part may import it.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339_text(value: object) -> object:
    # Feeds send RFC 3339 text; a bare number ("0", 1700000000) is ambiguous (seconds? ms?)
    # and pydantic would read it as Unix time, so only the RFC 3339 shape is let through.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 string such as 2024-05-01T13:30:00Z")
    return value


def _has_text(value: str) -> str:
    if not any(ch.isalnum() for ch in value):
        raise ValueError("must contain letters or digits")
    return value


RFC3339 = Annotated[AwareDatetime, BeforeValidator(_rfc3339_text)]
Headline = Annotated[NonEmpty, AfterValidator(_has_text)]

SentimentLabel = Literal["negative", "neutral", "positive"]
SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")

Severity = Literal["critical", "high", "medium", "low"]
# Ordered from least to most severe; escalation compares positions in this tuple.
SEVERITY_ORDER: tuple[Severity, ...] = ("low", "medium", "high", "critical")

AlertStatus = Literal["firing", "resolved"]
EntitySource = Literal["ruler", "ner", "feed"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True)

    def to_json(self) -> bytes:
        return self.model_dump_json(exclude_none=False).encode()


class NewsEvent(_Record):
    """`news`: one article or headline as a feed delivers it."""

    # Unknown fields are ignored, so feeds may carry more than we read.
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: NonEmpty
    headline: Headline
    body: str | None = None
    source: str | None = None
    published_at: RFC3339 | None = None
    url: str | None = None
    tickers: list[NonEmpty] | None = None
    lang: str | None = None

    @property
    def text(self) -> str:
        """What the models read: the headline, then the body when there is one."""
        return f"{self.headline}\n{self.body}" if self.body else self.headline


class SentimentProbs(_Record):
    negative: float
    neutral: float
    positive: float


class Sentiment(_Record):
    label: SentimentLabel
    score: float = Field(ge=0.0, le=1.0, description="probability of `label`")
    probs: SentimentProbs


class Entity(_Record):
    text: str
    type: str = Field(description="ORG, PERSON, GPE, MONEY, PERCENT, ...")
    ticker: str | None = None
    name: str | None = None
    sector: str | None = None
    start: int | None = None
    end: int | None = None
    source: EntitySource
    sentiment: Sentiment | None = Field(
        default=None, description="the headline's sentiment towards this company (entities with a ticker)"
    )


RatingClass = Literal["sell", "hold", "buy"]


class Magnitude(_Record):
    """How big the event is, as the headline states it (nlp/magnitude.py); each part may be absent."""

    percent: float | None = Field(
        default=None, ge=0.0, description="the size of a fall or cut as a fraction: shares down 23 % = 0.23"
    )
    implied: bool = Field(
        default=False, description="the percent is the usual size of a fall the headline names without a number"
    )
    usd: float | None = Field(default=None, ge=0.0, description="a money amount in US dollars: a $3.6 million fine")
    rating: RatingClass | None = Field(default=None, description="the class of the new rating: downgraded to sell")
    planned: bool = Field(
        default=False, description="an executive's departure announced ahead: a retirement with a date or a successor"
    )
    watch: Literal["outlook", "review"] | None = Field(
        default=None,
        description="a credit action short of a cut: the outlook lowered (outlook) or the rating put on review "
        "or CreditWatch for a cut (review)",
    )
    material: bool = Field(
        default=False,
        description="a lawsuit material whatever its sum: brought by a government (U.S. sues Visa), over deaths "
        "or a disaster (wildfire, fatal crash) or by hundreds of plaintiffs (lawsuits only)",
    )
    count: float | None = Field(
        default=None, ge=0.0, description="a number of jobs cut where no share of the staff is given: 300 jobs = 300"
    )
    refused: bool = Field(
        default=False,
        description="a regulator refusing to approve a product (a complete response letter, a drug application "
        "rejected), not acting against the company's conduct (regulatory actions only)",
    )
    related: bool = Field(
        default=False,
        description="the filer is the company's unit, subsidiary, tenant or customer, not the company itself: "
        "J&J's talc unit files for bankruptcy (bankruptcies only)",
    )
    market: bool = Field(
        default=False,
        description="the fall is told with a market's or a commodity's move as its cause: slide 9 % as "
        "bitcoin drops (price drops only)",
    )
    text: str = Field(description="the words the magnitude was read from")


class Event(_Record):
    type: str = Field(description="an event type id from nlp.taxonomy")
    trigger: str = Field(description="the words that matched")
    severity: float = Field(ge=0.0, le=1.0)
    # None (not an empty list) only from producers older than targets: such an event is
    # read as happening to every company of its article, as it was before.
    targets: list[str] | None = Field(
        default=None, description="tickers the event happens to (the company downgraded, sued, recalling)"
    )
    actor: str | None = Field(
        default=None, description="ticker of the party acting on the targets (broker, agency, plaintiff), if linked"
    )
    magnitude: Magnitude | None = Field(default=None, description="how big, where the headline says so")
    solves: str | None = Field(
        default=None,
        description="for a problem_solved event: the type of the problem reported over (lawsuit, investigation)",
    )

    def targets_entity(self, ticker: str) -> bool:
        """Does this event happen to `ticker`? (Events without targets, from older producers, do to all.)"""
        return self.targets is None or ticker in self.targets


class Enriched(_Record):
    """`news.enriched`: one record per (article, linked ticker), keyed by the ticker.

    An article that names no company yields one record with `entity` = null, keyed by
    its id. Each record carries the article's full `entities` and `events` lists, so a
    consumer that wants one record per article keeps the first per `news_id`.
    """

    news_id: str
    entity: str | None = Field(default=None, description="the ticker this record is keyed by")
    headline: str
    source: str | None = None
    url: str | None = None
    published_at: AwareDatetime = Field(description="event time: the feed's, else the Kafka timestamp")
    sentiment: Sentiment
    entity_sentiment: Sentiment | None = Field(
        default=None, description="the sentiment towards `entity` (null when `entity` is null)"
    )
    entities: list[Entity]
    events: list[Event]
    model_versions: dict[str, str]
    processed_at: AwareDatetime


class Factor(_Record):
    """One term of a risk score: its input value and the points it added."""

    name: str
    value: float
    points: float
    detail: str = ""


class Alert(_Record):
    """`alerts`: one message about an incident, keyed by `dedup_key`.

    An incident is one company's open trouble (or, with RiskSettings.incident_grouping =
    "company_family", one family of trouble): it opens with a `firing` message, sends another
    `firing` message each time it crosses up a severity level, and ends with one `resolved`.
    """

    alert_id: str
    dedup_key: str = Field(description="the incident: the ticker (default) or ticker:family")
    status: AlertStatus
    severity: Severity
    entity: str
    entity_name: str | None = None
    sector: str | None = None
    event_type: str = Field(description="the event type that set the latest score")
    event_types: list[str] = Field(
        default_factory=list, description="every event type that fed the incident, first seen first"
    )
    fired_by: str | None = Field(
        default=None, description="news_id of the article that opened or escalated it (null when resolved by time)"
    )
    risk_score: float = Field(ge=0.0, le=100.0)
    factors: list[Factor]
    headlines: list[str]
    news_ids: list[str]
    urls: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime


class DeadLetter(_Record):
    """`news.dlq` / `alerts.dlq`: input that could not be processed, kept whole."""

    original_b64: str = Field(description="the original bytes, base64")
    original_text: str | None = Field(default=None, description="the same bytes as UTF-8, when they decode")
    reason: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    failed_at: AwareDatetime

    @classmethod
    def of(
        cls,
        raw: bytes,
        reason: str,
        *,
        topic: str,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        try:
            text: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return cls(
            original_b64=base64.b64encode(raw).decode("ascii"),
            original_text=text,
            reason=reason,
            topic=topic,
            partition=partition,
            offset=offset,
            failed_at=utcnow(),
        )

    @property
    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)
