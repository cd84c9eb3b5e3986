"""Per-entity risk state and the small store interface it lives behind.

The same scoring code runs over a plain dict (file mode, tests) and over a Faust table
(Kafka mode, streams/tables.py); both implement `StateStore`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from pydantic import BaseModel, Field, PrivateAttr

from finsentry.contracts import Alert, Factor, Severity


class Story(BaseModel):
    """One news story about the entity, possibly reported by several sources."""

    tokens: list[str]
    first: float
    last: float
    sources: list[str]
    kinds: list[str] = Field(default_factory=list, description="the adverse event types it carries, sorted")
    actors: list[str] = Field(
        default_factory=list, description="who acted in its events (the rating agency, the regulator), sorted"
    )
    closed: bool = Field(False, description="an incident it fed has resolved: its retelling is old news")
    # Built once: every new headline about the entity is compared with every open story.
    _token_set: frozenset[str] | None = PrivateAttr(default=None)

    @property
    def token_set(self) -> frozenset[str]:
        # Straight from the private-attribute dict: pydantic's __getattr__ for a private
        # attribute costs ~4 us, and stage 2 asks each open story once per headline.
        private = self.__pydantic_private__
        cached: frozenset[str] | None = private.get("_token_set") if private is not None else None
        if cached is None:
            cached = frozenset(self.tokens)
            self._token_set = cached
        return cached


class Sized(BaseModel):
    """The lower level an event type's stated size gave it for the entity, and when: a retelling
    of the same event without the size keeps that level (alerts/risk.py)."""

    level: Severity
    at: float
    actor: str | None = Field(None, description="who acted in it (a regulator's own fine, not another's)")


class Episode(BaseModel):
    """An open incident: one company's trouble (or one family of it), under one dedup_key.

    Kept under the name and shape of the per-event-type episodes of earlier versions, so state
    saved by them loads and their open alerts still resolve under their old dedup_keys.
    """

    event_type: str = Field(description="the event type that set the latest score")
    event_types: list[str] = Field(default_factory=list, description="every type that fed it, first seen first")
    last_adverse: float | None = Field(default=None, description="event time of the latest news that joined it")
    first_seen: float
    last_seen: float
    severity: Severity
    peak_score: float
    peak_at: float
    factors: list[Factor]
    headlines: list[str] = Field(default_factory=list)
    news_ids: list[str] = Field(default_factory=list)
    urls: list[str] = Field(default_factory=list)


class EntityState(BaseModel):
    entity: str
    name: str | None = None
    sector: str | None = None
    last_time: float | None = None
    neg_times: list[float] = Field(default_factory=list, description="negative stories inside the window")
    baseline_mass: float = Field(0.0, description="exponentially decayed count of negative stories")
    baseline_at: float | None = None
    sentiment_ewma: float = 0.0
    stories: list[Story] = Field(default_factory=list)
    # event type -> the level its latest stated size gave it ("J&J's talc unit files for
    # bankruptcy" is high): "J&J talc bankruptcy" later in the story is that event, not a new one.
    sized: dict[str, Sized] = Field(default_factory=dict)
    # incident key ("" = the whole company, else an event family; older state: an event type) -> incident
    episodes: dict[str, Episode] = Field(default_factory=dict)
    # news_id -> alerts it caused; lets a replay after a crash re-emit the same alerts
    # instead of losing them (state may be saved while the alert send was not).
    recent: dict[str, list[Alert]] = Field(default_factory=dict)
    last_score: float = 0.0


class StateStore(Protocol):
    def get(self, entity: str) -> EntityState | None: ...

    def put(self, entity: str, state: EntityState) -> None: ...

    def entities(self) -> Iterator[str]: ...


class DictStore:
    """State in a dict: file mode and tests."""

    def __init__(self) -> None:
        self.data: dict[str, EntityState] = {}

    def get(self, entity: str) -> EntityState | None:
        return self.data.get(entity)

    def put(self, entity: str, state: EntityState) -> None:
        self.data[entity] = state

    def entities(self) -> Iterator[str]:
        return iter(list(self.data))
