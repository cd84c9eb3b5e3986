"""Risk scoring and incidents per company, on event time.

Score of one article for one company (all weights in RiskSettings):

    level     each adverse event that targets the company (nlp/targets.py) has an alert level:
              the settings' table by type, moved by the size the headline gives (alerts/levels.py);
              it scores its level's threshold + `level_margin`
    A         negativity x confidence of the sentiment towards the company (`entity_sentiment`,
              else the article's): negativity = max(0, p_negative - p_positive)
    B         burst: log(other distinct negative stories in the window / (1 + expected)) / log(burst_saturation),
              in [0, 1]; expected = the company's own baseline + a prior learned online from the
              feed, so a company's first negative story is never a burst
    C         corroboration: (independent sources of the same story - 1) / (saturation - 1), in [0, 1]

    event     = threshold(level) + level_margin + w_event_negativity*A + w_burst*B + w_corroboration*C
    no event  = min(w_negativity*A + A*w_corroboration*C, just below medium) + A*w_burst*B
                (a plain negative headline goes to the digest unless it is part of a burst); a
                company the article's events do not target while they target another, or that
                acts in them, or that is named after a lead company read as negative too, keeps
                w_bystander of A (none by default) and its reading is not a negative story of its
                own; nor is the reading of a headline that brings the company good news of its own
    score     = min(100, combined x novelty x watchlist)

Several adverse events in one article combine: each further one adds `w_compound` of its score
scaled by the room left below 100. The incident does the same with a new event type joining it,
against the incident's peak, so a downgrade, then a guidance cut, then a probe escalate one
incident instead of paging three times. A fall in the shares is the market's reaction to news
(nlp.taxonomy `reaction`): with its cause, in one article or joining the incident the cause
opened, it lifts the pair to `reaction_peak` (medium) at most.

An incident (dedup_key = the ticker, or ticker:family with incident_grouping = "company_family")
is a small state machine: quiet -> firing (score crosses `low`) -> firing again at each higher
level (escalation) -> resolved once its decayed score has stayed below `low`, and no adverse news
has joined it, for `quiet_period_s`. The decay and the quiet period run on event time only, so a
backtest fires and resolves exactly what the live stream would.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime

from alerts.levels import event_level, hidden_by_good_news, sized_down
from alerts.state import EntityState, Episode, Sized, StateStore, Story
from finsentry.contracts import SEVERITY_ORDER, Alert, Enriched, Event, Factor, Severity
from finsentry.settings import RiskSettings
from nlp.taxonomy import PROBLEM_SOLVED, family, is_good_news, is_reaction

NEGATIVE_NEWS = "negative_news"
"""Event type of an alert raised by negative sentiment when no event rule fired."""

_TOKEN = re.compile(r"[a-z0-9][a-z0-9&'.-]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset(
    """the a an and or of to in on for at by with from as is are was were be been its it this that after over
    amid into says said say new report reports reported update shares stock stocks""".split()
)
_MAX_STORIES = 64
_MAX_RECENT = 64


def dedup_key(entity: str, group: str = "") -> str:
    """The incident's key: the ticker, or ticker:group (an event family, or an older state's event type)."""
    return f"{entity}:{group}" if group else entity


def incident_group(event_type: str, grouping: str) -> str:
    """Which of a company's incidents an event type joins under the settings' grouping."""
    return "" if grouping == "company" else _family(event_type)


def _family(event_type: str) -> str:
    return "news" if event_type == NEGATIVE_NEWS else family(event_type)


def compound(high: float, other: float, weight: float) -> float:
    """A further adverse item on top of `high`: it adds `weight` of itself, scaled by the room left."""
    return min(100.0, high + weight * other * (1.0 - high / 100.0))


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


def _news_kinds(kinds: Sequence[str]) -> list[str]:
    """The event types that are news, without the market's reaction to them (nlp.taxonomy)."""
    return [k for k in kinds if not is_reaction(k)]


def _bystander(r: Enriched, entity: str) -> bool:
    """Do the record's events happen to other companies, with this one acting or named beside?
    Or is it only tagged by the feed beside companies the text names? Or, with no event, is the
    headline's trouble another's: the company it names first is read as
    negative too ("Affirm CEO says Amazon was about 5% of GMV, calls loss 'manageable'": Amazon
    shares Affirm's tone). Where the lead is read otherwise ("Best Buy to cut shelf space,
    hitting iRobot and GoPro"), the model told them apart, and this company's reading is its own."""
    if any(e.targets_entity(entity) for e in r.events):
        return False
    if any(e.targets or e.actor == entity for e in r.events):
        return True
    named = sorted((e for e in r.entities if e.ticker is not None and e.start is not None), key=lambda e: e.start or 0)
    if not named or named[0].ticker == entity:
        return False
    if all(e.ticker != entity for e in named):
        # Tagged by the feed only, beside companies the text names: the feed's tags come from the
        # whole article ("Rocket Lab stock pares losses" tagged RKT too); the tone is theirs.
        return any(e.ticker == entity and e.source == "feed" for e in r.entities)
    lead = named[0].sentiment
    return lead is not None and lead.label == "negative"


# A company named as the owner of a dated matter: "Outage Recalls CrowdStrike's 2024 Meltdown".
_OWNED_YEAR = re.compile(r"^['’]s\s+((?:19|20)\d\d)\b")


def _recalled(r: Enriched, entity: str) -> bool:
    """Is the company named only as the owner of a matter of an earlier year ("Verizon Outage Is
    Biggest Since AT&T's 2024 Blackout")? History retold: the headline's tone is not its news."""
    spans = [(e.start, e.end) for e in r.entities if e.ticker == entity and e.end is not None]
    years = [_OWNED_YEAR.match(r.headline[end:]) for _, end in spans]
    return bool(years) and all(y is not None and int(y.group(1)) < r.published_at.year for y in years)


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
        # Other negative stories a company has in the window when it gets one, learned online
        # from every company this engine scores (a scoring worker: the companies of its
        # partitions); it starts from the setting and restarts from it.
        self.prior = settings.burst_prior

    # -- thresholds ---------------------------------------------------------------
    def level_of(self, score: float) -> Severity | None:
        for sev in reversed(SEVERITY_ORDER):
            if score >= getattr(self.s, sev):
                return sev
        return None

    def _rank(self, score: float) -> int:
        level = self.level_of(score)
        return -1 if level is None else SEVERITY_ORDER.index(level)

    def _below_next(self, level: Severity) -> float:
        """The highest score still at `level`."""
        rank = SEVERITY_ORDER.index(level)
        return getattr(self.s, SEVERITY_ORDER[rank + 1]) - 0.01 if rank + 1 < len(SEVERITY_ORDER) else 100.0

    def as_reaction(self, alone: float, together: float) -> float:
        """A fall in the shares with its cause: `together` lifts `alone` to `reaction_peak` at most."""
        return max(alone, min(together, self._below_next(self.s.reaction_peak)))

    def combine(self, a: float, b: float) -> float:
        """Two adverse items of one company: the higher plus a share of the other. Only an item
        of the same level lifts the pair a level (two mediums make a high, a medium and a low
        stay medium), and nothing but a critical item makes critical: critical means the company
        may not survive, which no number of lesser troubles says."""
        high, other = max(a, b), min(a, b)
        out = compound(high, other, self.s.w_compound)
        rank = self._rank(high)
        if self._rank(other) < rank and rank + 1 < len(SEVERITY_ORDER):
            out = min(out, getattr(self.s, SEVERITY_ORDER[rank + 1]) - 0.01)
        if rank < SEVERITY_ORDER.index("critical"):
            out = min(out, self.s.critical - 0.01)
        return out

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
        state = self.store.get(record.entity) or EntityState(entity=record.entity)
        if record.news_id in state.recent:
            return list(state.recent[record.news_id])  # a replay: same alerts, same ids
        # Late: older than the company's own latest news by more than the window. Enriched, but
        # it moves no state. A company's first story is never late: a backfill the desk has not
        # seen is news to it (old news written as news still counts).
        if state.last_time is not None and t < state.last_time - self.s.window_s:
            self.late_events += 1
            return []
        self.watermark = t if self.watermark is None else max(self.watermark, t)
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
        for key, ep in list(state.episodes.items()):
            at = self.resolve_at(ep)
            if now >= at:
                del state.episodes[key]
                for story in state.stories:
                    if story.first <= ep.last_seen and set(story.kinds) & set(ep.event_types):
                        story.closed = True
                score = self.decayed(ep.peak_score, ep.peak_at, at)
                out.append(self._alert(state, key, ep, "resolved", min(score, self.s.low), None))
        return out

    def _burst(self, state: EntityState, t: float, is_negative: bool, novel: bool) -> tuple[float, int, float]:
        """(burst in [0, 1], distinct negative stories in the window, expected count)."""
        s = self.s
        state.neg_times = [x for x in state.neg_times if x > t - s.window_s]
        tau = s.baseline_half_life_s / math.log(2)
        if state.baseline_at is not None:
            state.baseline_mass *= math.exp(-max(0.0, t - state.baseline_at) / tau)
        state.baseline_at = t
        expected = state.baseline_mass * s.window_s / tau + self.prior
        if is_negative and novel:
            self.prior += s.prior_alpha * (len(state.neg_times) - self.prior)
            state.neg_times.append(t)
            state.baseline_mass += 1.0
        count = len(state.neg_times)
        if count == 0:
            return 0.0, 0, expected
        # The other stories against what is expected: one story is news, a third in the hour a burst.
        burst = math.log(max(count - 1, 1e-9) / (1.0 + expected)) / math.log(s.burst_saturation)
        return min(1.0, max(0.0, burst)), count, expected

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
        adverse = max(0.0, probs.negative - probs.positive) * sentiment.score
        # A company named beside news that happens to another (the broker of a downgrade, the
        # customer walking away from a supplier) shares the headline's tone, not its trouble: its
        # reading is not a negative story of its own, for the digest or a burst.
        plain = adverse * (s.w_bystander if _bystander(r, state.entity) else 1.0)
        if _recalled(r, state.entity) and not any(e.targets_entity(state.entity) for e in r.events):
            plain = 0.0
        # Each event's level once per record: the story match and the scoring both read it.
        levels = [(e, self._sized_level(state, e, t) if e.targets_entity(state.entity) else None) for e in r.events]
        # A problem reported over for this company ("judge tosses lawsuit against Dexcom") is its
        # good news, however the words around the problem read to the model, unless the same
        # headline brings it new trouble ("judge tosses one suit as SEC opens probe").
        solved = any(e.type == PROBLEM_SOLVED and e.targets_entity(state.entity) for e in r.events) and all(
            level is None for _, level in levels
        )
        is_negative = sentiment.label == "negative" and plain > 0 and not solved
        kinds = sorted({e.type for e, level in levels if level is not None})
        actors = sorted({e.actor for e, level in levels if level is not None and e.actor})
        novelty, sources, retold = self._match_story(state, r, t, kinds, actors)
        # A corroborating report is not a new story, so it is not counted towards a burst; nor is
        # the shares' fall on the news of an open incident ("American Eagle shares tumble 12%" half
        # an hour after it pulled its forecast): the market telling the same story.
        known = (
            bool(kinds)
            and not _news_kinds(kinds)
            and any(_news_kinds(ep.event_types) for ep in state.episodes.values())
        )
        burst, count, expected = self._burst(state, t, is_negative, novelty == 1.0 and sources == 1 and not known)
        corroboration = min(1.0, (sources - 1) / (s.corroboration_saturation - 1))
        state.sentiment_ewma = (
            s.ewma_alpha * (probs.positive - probs.negative) + (1 - s.ewma_alpha) * state.sentiment_ewma
        )
        state.last_time = t if state.last_time is None else max(state.last_time, t)
        watch = s.watchlist_weight if state.entity in self.watchlist else 1.0
        flow = [
            Factor(
                name="burst",
                value=round(burst, 4),
                points=0.0,
                detail=f"{count} negative stories in window, expected {expected:.2f}",
            ),
            Factor(name="corroboration", value=round(corroboration, 4), points=0.0, detail=f"{sources} sources"),
        ]
        multipliers = [
            Factor(name="novelty", value=novelty, points=0.0, detail="multiplier"),
            Factor(name="watchlist", value=watch, points=0.0, detail="multiplier"),
        ]

        # The headline's own good news for the company (its shares rise, it beats, it is upgraded,
        # it says it is unaffected). Only with it behind a good reading does that reading hide lesser
        # trouble: "EU probes Qualcomm" read as positive by the model is still a probe.
        own_good_news = any(e.targets_entity(state.entity) and is_good_news(e.type) for e in r.events)
        good_news = sentiment.label == "positive" and own_good_news
        items: list[_Item] = []
        # Only the events that happen to this company: a broker is not downgraded by its own call.
        for event, level in levels:
            if level is None or any(i.event_type == event.type for i in items):
                continue
            if good_news and hidden_by_good_news(event, level, s):
                continue
            size = f" ({event.magnitude.text})" if event.magnitude is not None else ""
            base = getattr(s, level) + s.level_margin
            # Sentiment and more sources of the same story move the score within its level; only a
            # burst of distinct stories lifts it beyond (a recall on four wires is still a recall).
            rank = SEVERITY_ORDER.index(level)
            top = self._below_next(level)
            within = min(top - base, s.w_event_negativity * adverse + s.w_corroboration * corroboration)
            negativity = min(within, s.w_event_negativity * adverse)
            factors = [
                Factor(
                    name="level",
                    value=float(rank),
                    points=round(base, 2),
                    detail=f"{event.type} '{event.trigger}'{size}: {level}",
                ),
                Factor(
                    name="negativity",
                    value=round(adverse, 4),
                    points=round(negativity, 2),
                    detail=f"{sentiment.label} p={sentiment.score:.2f}",
                ),
                flow[0].model_copy(update={"points": round(s.w_burst * burst, 2)}),
                flow[1].model_copy(update={"points": round(within - negativity, 2)}),
            ]
            items.append(_Item(event.type, sum(f.points for f in factors), factors, level, event.actor))
        # A stated move too small to be news ("shares dip 1.5%") is what the headline says of the
        # company: the desk's conventions give small moves nothing, so it is no digest line either.
        small_move = any(
            is_reaction(e.type) and level is None and e.targets_entity(state.entity) for e, level in levels
        )
        # Nor is a negative reading of a headline that brings the company good news of its own
        # ("LVMH sales decline less than feared; shares jump 5%", "says its systems are unaffected").
        if not items and is_negative and not small_move and not own_good_news:
            # Plain negative news: the digest, unless a burst lifts it.
            own = s.w_negativity * plain + plain * s.w_corroboration * corroboration
            capped = min(own, s.medium - 0.01)
            factors = [
                Factor(
                    name="negativity",
                    value=round(plain, 4),
                    points=round(capped - plain * s.w_corroboration * corroboration, 2),
                    detail=f"{sentiment.label} p={sentiment.score:.2f}, no event",
                ),
                flow[0].model_copy(update={"points": round(plain * s.w_burst * burst, 2)}),
                flow[1].model_copy(update={"points": round(plain * s.w_corroboration * corroboration, 2)}),
            ]
            items.append(_Item(NEGATIVE_NEWS, sum(f.points for f in factors), factors, None))

        alerts: list[Alert] = []
        best = 0.0
        groups: dict[str, list[_Item]] = {}
        for item in items:
            groups.setdefault(incident_group(item.event_type, s.incident_grouping), []).append(item)
        for key, group in groups.items():
            group.sort(key=lambda i: -i.points)
            lead, total = group[0], group[0].points
            factors = list(lead.factors)
            families = {_family(lead.event_type)}
            acting = {lead.actor} - {None}
            for other in group[1:]:
                if _family(other.event_type) in families or other.actor in acting:
                    # One action read twice ("downgrades to sell, cuts target"; "downgrades Dollar
                    # Tree, sees tariff hit to margins"): the higher counts.
                    continue
                families.add(_family(other.event_type))
                acting |= {other.actor} - {None}
                before, total = total, self.combine(total, other.points)
                if is_reaction(other.event_type) or is_reaction(lead.event_type):
                    # The shares' fall and its cause are one piece of news ("earnings miss with the
                    # stock falling" is medium, "-8% on a guidance cut" is not high).
                    total = self.as_reaction(before, total)
                factors.append(
                    Factor(
                        name="compound",
                        value=round(other.points, 2),
                        points=round(total - before, 2),
                        detail=other.event_type,
                    )
                )
            score = min(100.0, total * novelty * watch)
            if lead.level != "critical":
                score = min(score, s.critical - 0.01)  # no flow of lesser news makes a company critical
            best = max(best, score)
            if retold and key not in state.episodes:
                # A story whose incident is over, told again with nothing new, opens no new one
                # ("bonds slip after Moody's junk cut" three hours after the cut's incident ended).
                continue
            alerts.extend(
                self._update_incident(state, r, t, key, score, [i.event_type for i in group], [*factors, *multipliers])
            )
        state.last_score = best
        return alerts

    def _sized_level(self, state: EntityState, event: Event, t: float) -> Severity | None:
        """The event's level; one told without the size an earlier telling of the same story
        gave it (within the novelty window) keeps that size's level, so "J&J talc bankruptcy"
        after "J&J's talc unit files for bankruptcy" (high) is no critical filing. Remembers, in
        `state.sized`, a size that lowered the level."""
        level = event_level(event, self.s)
        if level is None:
            return None
        if event.magnitude is not None:
            # Only a size that lowered the type's level, and not a credit watch: a watch is a step
            # towards a cut, which may follow without a size of its own.
            if sized_down(event, level, self.s) and event.magnitude.watch is None:
                state.sized[event.type] = Sized(level=level, at=t, actor=event.actor)
            return level
        earlier = state.sized.get(event.type)
        if earlier is not None and earlier.actor == event.actor and t - earlier.at <= self.s.novelty_window_s:
            return earlier.level
        return level

    def _match_story(
        self, state: EntityState, r: Enriched, t: float, kinds: list[str], actors: list[str]
    ) -> tuple[float, int, bool]:
        """(novelty multiplier, number of independent sources of this story, whether it retells a
        story whose incident is over with nothing new).

        One story is a headline close in words to an open story's, or one from another source
        that carries the same adverse event types (wires word the same recall differently); the
        shares' fall beside them is the same story too ("shares slip 3% on drill recall"). The
        same types acted by someone else are another story: Moody's cut after S&P's outlook."""
        s = self.s
        tokens = story_tokens(r.headline)
        token_set = frozenset(tokens)
        acting = frozenset(actors)
        source = r.source or "unknown"
        core = _news_kinds(kinds)
        state.stories = [st for st in state.stories if st.last > t - s.novelty_window_s][-_MAX_STORIES:]
        for story in state.stories:
            # Another source's report of the same kinds is the same story; so is any retelling of
            # a story whose incident is over (the same wire's "outage enters seventh hour").
            if acting and story.actors and acting.isdisjoint(story.actors):
                continue  # another agency's or regulator's action, however alike the words
            # A part of a story whose incident is over, told again, is that story too: "Telefonica
            # chief defends dividend cut" hours after "Telefonica halves dividend, cuts outlook".
            told = _news_kinds(story.kinds)
            same_kind = bool(core) and (
                (told == core and source not in story.sources) or (story.closed and set(core) <= set(told))
            )
            # The shares moving with no news of their own, hours after an incident over news, are
            # the market still telling that story ("Leidos shares trim losses but remain down 9%").
            market_after = bool(kinds) and not core and story.closed and bool(_news_kinds(story.kinds))
            if same_kind or market_after or _jaccard(story.token_set, token_set) >= s.story_similarity:
                story.last = max(story.last, t)
                # The same source again, or any source retelling a story whose incident is over
                # with nothing new ("shares little changed despite hours-long outage").
                # The shares' fall beside it is the market telling that story again ("IFF shares
                # fall 5% at the open after EU cartel raids", hours after the raid's incident).
                retold = market_after or (story.closed and set(core or kinds) <= set(story.kinds))
                if source in story.sources or retold:
                    return s.repeat_story_factor, len(story.sources), retold
                story.sources.append(source)
                return 1.0, len(story.sources), False
        state.stories.append(Story(tokens=tokens, first=t, last=t, sources=[source], kinds=kinds, actors=actors))
        return 1.0, 1, False

    def _update_incident(
        self, state: EntityState, r: Enriched, t: float, key: str, score: float, types: list[str], factors: list[Factor]
    ) -> list[Alert]:
        s = self.s
        ep = state.episodes.get(key)
        if ep is None:
            level = self.level_of(score)
            if level is None:
                return []
            ep = Episode(
                event_type=types[0],
                event_types=types[: s.max_event_types],
                last_adverse=t,
                first_seen=t,
                last_seen=t,
                severity=level,
                peak_score=score,
                peak_at=t,
                factors=factors,
            )
            state.episodes[key] = ep
            self._remember(ep, r, t)
            return [self._alert(state, key, ep, "firing", score, r.news_id)]
        if score < s.low:
            # Calm news about the company does not join its incident, but another wire on the
            # incident's own trouble keeps it open ("CME outage drags into third hour").
            if any(x in ep.event_types for x in types if x != NEGATIVE_NEWS):
                self._remember(ep, r, t)
            return []
        current = self.decayed(ep.peak_score, ep.peak_at, t)
        alone = combined = max(score, current)
        new_types = [x for x in types if x not in ep.event_types]
        # A record that retells the incident's own trouble has already compounded what it adds
        # ("shares fall 6% on weak margin outlook, earnings miss" after the outlook): not again.
        retold = any(x in ep.event_types for x in _news_kinds(types))
        if new_types:
            # A further kind of trouble: it adds to the incident's peak, however long ago that was.
            combined = alone if retold else max(alone, self.combine(score, ep.peak_score))
            if all(is_reaction(x) for x in new_types):
                # The shares falling on the incident's news is that news again ("Wendy's shares
                # fall 6% after abrupt CEO exit").
                combined = self.as_reaction(alone, combined)
            kinds = {*ep.event_types, *new_types}
            if NEGATIVE_NEWS in kinds and len(kinds) == 2:
                # A headline's negative tone with no event named, beside one event, is most often
                # that event told vaguely ("chip-equipment stocks slide" before a broker's trim): it
                # lifts the score within its level, never a level up.
                combined = min(combined, self._below_next(self.level_of(alone) or "low"))
            factors = [
                *factors,
                Factor(
                    name="incident",
                    value=round(ep.peak_score, 2),
                    points=round(combined - alone, 2),
                    detail=f"joins {', '.join(ep.event_types)}",
                ),
            ]
            ep.event_types = [*ep.event_types, *new_types][: s.max_event_types]
        ep.event_type, ep.factors, ep.last_adverse = types[0], factors, t
        if combined >= current:
            ep.peak_score, ep.peak_at = combined, t
        self._remember(ep, r, t)
        level = self.level_of(combined)
        if level is not None and SEVERITY_ORDER.index(level) > SEVERITY_ORDER.index(ep.severity):
            ep.severity = level
            return [self._alert(state, key, ep, "firing", combined, r.news_id)]
        return []

    def _remember(self, ep: Episode, r: Enriched, t: float) -> None:
        s = self.s
        ep.last_seen = max(ep.last_seen, t)
        if r.news_id not in ep.news_ids:
            ep.news_ids = [*ep.news_ids, r.news_id][-s.max_news_ids :]
            ep.headlines = [*ep.headlines, r.headline][-s.max_headlines :]
            if r.url:
                ep.urls = [*ep.urls, r.url][-s.max_headlines :]

    def _alert(
        self, state: EntityState, key: str, ep: Episode, status: str, score: float, fired_by: str | None
    ) -> Alert:
        dedup = dedup_key(state.entity, key)
        return Alert(
            alert_id=alert_id(dedup, status, ep.severity, ep.first_seen),
            dedup_key=dedup,
            status="resolved" if status == "resolved" else "firing",
            severity=ep.severity,
            entity=state.entity,
            entity_name=state.name,
            sector=state.sector,
            event_type=ep.event_type,
            event_types=ep.event_types or [ep.event_type],
            fired_by=fired_by,
            risk_score=round(max(0.0, min(100.0, score)), 2),
            factors=ep.factors,
            headlines=ep.headlines,
            news_ids=ep.news_ids,
            urls=ep.urls,
            first_seen=_dt(ep.first_seen),
            last_seen=_dt(ep.last_seen),
        )


@dataclass(frozen=True)
class _Item:
    """One adverse reading of an article for a company: an event, or plain negative news."""

    event_type: str
    points: float
    factors: list[Factor]
    level: Severity | None
    # The party whose action the reading is (a broker's downgrade and the hit it "sees"): one
    # party's action read as two events counts once.
    actor: str | None = None
