"""Risk scoring and the alert state machine, on event time.

Score of one article for one entity and one event type (all weights in RiskSettings):

    A = negativity x confidence     of the sentiment towards the entity (`entity_sentiment`, else the article's):
                                    negativity = max(0, p_negative - p_positive), confidence = p(label)
    S = event severity              base severity of an event that targets the entity (nlp/targets.py);
                                    0 for plain negative news
    B = burst                       log(window count + 1 / baseline + 1) / log(burst_saturation), in [0, 1]
    C = corroboration               (independent sources of the same story - 1) / (saturation - 1), in [0, 1]
    raw   = w_negativity*A + w_severity*S + max(A, S) * (w_burst*B + w_corroboration*C)
    score = min(100, raw x novelty x watchlist)

novelty is 1 for a new story or a new source of a known one, `repeat_story_factor` for the
same story again from the same source. Burst and corroboration scale with how adverse the
article is, so a flurry of neutral news raises nothing.

Each dedup_key (entity:event_type) is a small state machine: quiet -> firing (score crosses
`low`) -> firing again at a higher severity (escalation) -> resolved once the decayed score
has stayed below `low` for `quiet_period_s`. The decay and the quiet period run on event
time only, so a backtest fires and resolves exactly what the live stream would.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime

from alerts.state import EntityState, Episode, StateStore, Story
from finsentry.contracts import SEVERITY_ORDER, Alert, Enriched, Factor, Severity
from finsentry.settings import RiskSettings

NEGATIVE_NEWS = "negative_news"
"""Event type of an alert raised by negative sentiment when no event rule fired."""

_TOKEN = re.compile(r"[a-z0-9][a-z0-9&'.-]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset(
    """the a an and or of to in on for at by with from as is are was were be been its it this that after over
    amid into says said say new report reports reported update shares stock stocks""".split()
)
_MAX_STORIES = 64
_MAX_RECENT = 64


def dedup_key(entity: str, event_type: str) -> str:
    return f"{entity}:{event_type}"


def alert_id(key: str, status: str, severity: str, first_seen: float) -> str:
    """Deterministic: the same episode, status and severity always get the same id."""
    raw = f"{key}|{status}|{severity}|{round(first_seen * 1000)}".encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def story_tokens(headline: str) -> list[str]:
    return sorted({t for t in _TOKEN.findall(headline.lower()) if t not in _STOP and len(t) > 1})


def _jaccard(a: AbstractSet[str], b: AbstractSet[str]) -> float:
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class RiskEngine:
    """Scores enriched records per entity and emits firing / escalated / resolved alerts."""

    def __init__(self, settings: RiskSettings, store: StateStore, watchlist: Iterable[str] = ()) -> None:
        self.s = settings
        self.store = store
        self.watchlist = frozenset(watchlist)
        self.watermark: float | None = None
        self.late_events = 0

    # -- thresholds ---------------------------------------------------------------
    def level_of(self, score: float) -> Severity | None:
        for sev in reversed(SEVERITY_ORDER):
            if score >= getattr(self.s, sev):
                return sev
        return None

    def decayed(self, score: float, since: float, now: float) -> float:
        if now <= since:
            return score
        return float(score * 0.5 ** ((now - since) / self.s.decay_half_life_s))

    def resolve_at(self, ep: Episode) -> float:
        """Event time at which the episode resolves if no stronger news comes."""
        low = self.s.low
        crossed = ep.peak_at
        if ep.peak_score > low:
            crossed += self.s.decay_half_life_s * math.log2(ep.peak_score / low)
        return max(crossed, ep.last_seen) + self.s.quiet_period_s

    # -- processing ---------------------------------------------------------------
    def process(self, records: Sequence[Enriched]) -> list[Alert]:
        """Score records in order, then resolve what the advanced event time lets go."""
        alerts: list[Alert] = []
        for record in records:
            alerts.extend(self.process_one(record))
        if self.watermark is not None:
            alerts.extend(self.tick(self.watermark))
        return alerts

    def process_one(self, record: Enriched) -> list[Alert]:
        if record.entity is None:
            return []
        t = _ts(record.published_at)
        self.watermark = t if self.watermark is None else max(self.watermark, t)
        state = self.store.get(record.entity) or EntityState(entity=record.entity)
        if record.news_id in state.recent:
            return list(state.recent[record.news_id])  # a replay: same alerts, same ids
        if state.last_time is not None and t < state.last_time - self.s.window_s:
            self.late_events += 1  # documented: late events are enriched but move no state
            return []
        alerts = self._resolve_due(state, t)
        alerts.extend(self._score(state, record, t))
        state.recent[record.news_id] = alerts
        if len(state.recent) > _MAX_RECENT:
            for old in list(state.recent)[: len(state.recent) - _MAX_RECENT]:
                del state.recent[old]
        self.store.put(record.entity, state)
        return alerts

    def tick(self, watermark: float, entities: Iterable[str] | None = None) -> list[Alert]:
        """Resolve episodes whose quiet period ended before `watermark` (event time)."""
        alerts: list[Alert] = []
        for entity in entities if entities is not None else self.store.entities():
            state = self.store.get(entity)
            if state is None or not state.episodes:
                continue
            resolved = self._resolve_due(state, watermark)
            if resolved:
                alerts.extend(resolved)
                self.store.put(entity, state)
        return alerts

    # -- internals ----------------------------------------------------------------
    def _resolve_due(self, state: EntityState, now: float) -> list[Alert]:
        out = []
        for event_type, ep in list(state.episodes.items()):
            at = self.resolve_at(ep)
            if now >= at:
                del state.episodes[event_type]
                score = self.decayed(ep.peak_score, ep.peak_at, at)
                out.append(self._alert(state, ep, "resolved", min(score, self.s.low)))
        return out

    def _score(self, state: EntityState, r: Enriched, t: float) -> list[Alert]:
        s = self.s
        ent = next((e for e in r.entities if e.ticker == state.entity), None)
        if ent is not None:
            state.name = state.name or ent.name
            state.sector = state.sector or ent.sector
        # The sentiment towards this company, not the article's (records from producers that
        # predate entity-level sentiment carry only the article's).
        sentiment = r.entity_sentiment or r.sentiment
        probs = sentiment.probs
        negativity = max(0.0, probs.negative - probs.positive)
        adverse_sent = negativity * sentiment.score
        is_negative = sentiment.label == "negative"

        novelty, sources = self._match_story(state, r, t)
        # Window of negative stories: a corroborating report is not a new story.
        state.neg_times = [x for x in state.neg_times if x > t - s.window_s]
        tau = s.baseline_half_life_s / math.log(2)
        if state.baseline_at is not None:
            state.baseline_mass *= math.exp(-max(0.0, t - state.baseline_at) / tau)
        state.baseline_at = t
        baseline = state.baseline_mass * s.window_s / tau
        if is_negative and novelty == 1.0 and sources == 1:
            state.neg_times.append(t)
            state.baseline_mass += 1.0
        count = len(state.neg_times)
        burst = min(1.0, max(0.0, math.log((count + 1) / (baseline + 1)) / math.log(s.burst_saturation)))
        corroboration = min(1.0, (sources - 1) / (s.corroboration_saturation - 1))
        state.sentiment_ewma = (
            s.ewma_alpha * (probs.positive - probs.negative) + (1 - s.ewma_alpha) * state.sentiment_ewma
        )
        state.last_time = t if state.last_time is None else max(state.last_time, t)
        watch = s.watchlist_weight if state.entity in self.watchlist else 1.0

        # Only the events that happen to this company: a broker is not downgraded by its own call.
        candidates = {e.type: e for e in r.events if e.targets_entity(state.entity)}
        types: list[tuple[str, float, str]] = [(e.type, e.severity, e.trigger) for e in candidates.values()]
        if not types and is_negative:
            types = [(NEGATIVE_NEWS, 0.0, "")]
        alerts: list[Alert] = []
        best = 0.0
        for event_type, severity, trigger in types:
            adverse = max(adverse_sent, severity)
            factors = [
                Factor(
                    name="negativity",
                    value=round(adverse_sent, 4),
                    points=round(s.w_negativity * adverse_sent, 2),
                    detail=f"{sentiment.label} p={sentiment.score:.2f}",
                ),
                Factor(
                    name="severity",
                    value=severity,
                    points=round(s.w_severity * severity, 2),
                    detail=f"{event_type} {trigger}".strip(),
                ),
                Factor(
                    name="burst",
                    value=round(burst, 4),
                    points=round(adverse * s.w_burst * burst, 2),
                    detail=f"{count} negative stories in window, baseline {baseline:.2f}",
                ),
                Factor(
                    name="corroboration",
                    value=round(corroboration, 4),
                    points=round(adverse * s.w_corroboration * corroboration, 2),
                    detail=f"{sources} sources",
                ),
                Factor(name="novelty", value=novelty, points=0.0, detail="multiplier"),
                Factor(name="watchlist", value=watch, points=0.0, detail="multiplier"),
            ]
            raw = sum(f.points for f in factors)
            score = min(100.0, raw * novelty * watch)
            floor = s.severity_floors.get(event_type)
            if floor is not None and score < getattr(s, floor):
                # The event sets a floor whatever the sentiment says: a filing read as neutral
                # is still a filing (the factor says so, so the two never disagree silently).
                lifted = float(getattr(s, floor))
                factors.append(
                    Factor(name="floor", value=lifted, points=round(lifted - score, 2), detail=f"{event_type}: {floor}")
                )
                score = lifted
            best = max(best, score)
            alerts.extend(self._update_episode(state, r, t, event_type, score, factors))
        state.last_score = best
        return alerts

    def _match_story(self, state: EntityState, r: Enriched, t: float) -> tuple[float, int]:
        """(novelty multiplier, number of independent sources of this story)."""
        s = self.s
        tokens = story_tokens(r.headline)
        token_set = frozenset(tokens)
        source = r.source or "unknown"
        state.stories = [st for st in state.stories if st.last > t - s.novelty_window_s][-_MAX_STORIES:]
        for story in state.stories:
            if _jaccard(story.token_set, token_set) >= s.story_similarity:
                story.last = max(story.last, t)
                if source in story.sources:
                    return s.repeat_story_factor, len(story.sources)
                story.sources.append(source)
                return 1.0, len(story.sources)
        state.stories.append(Story(tokens=tokens, first=t, last=t, sources=[source]))
        return 1.0, 1

    def _update_episode(
        self, state: EntityState, r: Enriched, t: float, event_type: str, score: float, factors: list[Factor]
    ) -> list[Alert]:
        ep = state.episodes.get(event_type)
        current = self.decayed(ep.peak_score, ep.peak_at, t) if ep else 0.0
        level = self.level_of(max(score, current))
        out: list[Alert] = []
        if ep is None:
            if level is None:
                return out
            ep = Episode(
                event_type=event_type,
                first_seen=t,
                last_seen=t,
                severity=level,
                peak_score=score,
                peak_at=t,
                factors=factors,
            )
            state.episodes[event_type] = ep
            self._remember(ep, r, t)
            out.append(self._alert(state, ep, "firing", score))
            return out
        if score >= current:
            ep.peak_score, ep.peak_at, ep.factors = score, t, factors
        self._remember(ep, r, t)
        if level is not None and SEVERITY_ORDER.index(level) > SEVERITY_ORDER.index(ep.severity):
            ep.severity = level
            out.append(self._alert(state, ep, "firing", max(score, current)))
        return out

    def _remember(self, ep: Episode, r: Enriched, t: float) -> None:
        s = self.s
        ep.last_seen = max(ep.last_seen, t)
        if r.news_id not in ep.news_ids:
            ep.news_ids = [*ep.news_ids, r.news_id][-s.max_news_ids :]
            ep.headlines = [*ep.headlines, r.headline][-s.max_headlines :]
            if r.url:
                ep.urls = [*ep.urls, r.url][-s.max_headlines :]

    def _alert(self, state: EntityState, ep: Episode, status: str, score: float) -> Alert:
        key = dedup_key(state.entity, ep.event_type)
        return Alert(
            alert_id=alert_id(key, status, ep.severity, ep.first_seen),
            dedup_key=key,
            status="resolved" if status == "resolved" else "firing",
            severity=ep.severity,
            entity=state.entity,
            entity_name=state.name,
            sector=state.sector,
            event_type=ep.event_type,
            risk_score=round(max(0.0, min(100.0, score)), 2),
            factors=ep.factors,
            headlines=ep.headlines,
            news_ids=ep.news_ids,
            urls=ep.urls,
            first_seen=_dt(ep.first_seen),
            last_seen=_dt(ep.last_seen),
        )
