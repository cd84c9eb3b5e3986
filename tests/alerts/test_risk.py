"""Risk scoring and the alert state machine, on event time, over a dict store."""

from __future__ import annotations

import pytest

from alerts.risk import NEGATIVE_NEWS, RiskEngine, _jaccard, alert_id, story_tokens
from alerts.state import DictStore, Story
from finsentry.contracts import Alert, Enriched, Magnitude
from finsentry.settings import RiskSettings
from tests.alerts.records import BURST as HEADLINES
from tests.alerts.records import T0, record


def engine(**overrides: float) -> RiskEngine:
    return RiskEngine(RiskSettings(**overrides), DictStore())  # type: ignore[arg-type]


def firing(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.status == "firing"]


def test_burst_fires_once_escalates_and_resolves() -> None:
    eng = engine()
    alerts: list[Alert] = []
    for i, headline in enumerate(HEADLINES):
        alerts += eng.process([record(f"n{i}", "ACME", headline, minutes=i * 3, events=[("lawsuit", 0.6)])])
    fired = firing(alerts)
    assert fired, "a burst of negative lawsuit news must fire"
    assert len({a.dedup_key for a in fired}) == 1
    assert fired[0].dedup_key == "ACME"
    # Each message after the first is an escalation to a strictly higher severity.
    order = ["low", "medium", "high", "critical"]
    levels = [order.index(a.severity) for a in fired]
    assert levels == sorted(set(levels)), levels
    assert len(fired) >= 2, "the burst should escalate at least once"
    assert all(a.first_seen == fired[0].first_seen for a in fired)
    assert {f.name for f in fired[-1].factors} >= {"level", "negativity", "burst", "corroboration", "novelty"}
    assert fired[0].fired_by == "n0" and fired[-1].fired_by != "n0"

    # Calm: neutral news elsewhere advances event time; the alert resolves exactly once.
    calm = eng.process([record("calm", "OTHER", "Other Co holds annual meeting", minutes=24 * 60, label="neutral")])
    resolved = [a for a in calm if a.status == "resolved"]
    assert [a.dedup_key for a in resolved] == ["ACME"]
    assert resolved[0].fired_by is None
    assert resolved[0].risk_score <= RiskSettings().low
    assert (
        eng.process([record("calm2", "OTHER", "Other Co names new director", minutes=48 * 60, label="neutral")]) == []
    )


def test_resolution_waits_for_the_quiet_period() -> None:
    eng = engine(quiet_period_s=3600, decay_half_life_s=600)
    out = eng.process([record("a", "ACME", HEADLINES[0], events=[("bankruptcy", 1.0)])])
    [fired] = firing(out)
    resolve_at = eng.resolve_at(eng.store.get("ACME").episodes[""])  # type: ignore[union-attr]
    early = (resolve_at - fired.first_seen.timestamp()) / 60 - 1
    assert eng.process([record("b", "ZZZ", "Zeta holds meeting", minutes=early, label="neutral")]) == []
    later = eng.process([record("c", "ZZZ", "Zeta names director", minutes=early + 2, label="neutral")])
    assert [a.status for a in later] == ["resolved"]


def test_neutral_news_about_many_tickers_fires_nothing() -> None:
    eng = engine()
    records = [
        record(f"n{i}", f"T{i % 40}", f"Company {i} schedules earnings call", minutes=i, label="neutral")
        for i in range(400)
    ]
    assert eng.process(records) == []


def test_positive_news_with_good_event_fires_nothing() -> None:
    eng = engine()
    records = [
        record(
            f"u{i}",
            "ACME",
            f"Analyst {i} upgrades Acme to buy",
            minutes=i,
            label="positive",
            events=[("upgrade", 0.15)],
        )
        for i in range(20)
    ]
    assert eng.process(records) == []


def test_negative_news_without_event_uses_negative_news_type() -> None:
    eng = engine()
    alerts = []
    for i, headline in enumerate(HEADLINES[:4]):
        alerts += eng.process([record(f"n{i}", "ACME", headline, minutes=i)])
    assert {a.event_type for a in alerts} == {NEGATIVE_NEWS}


def test_same_story_from_several_sources_is_corroboration_not_burst() -> None:
    eng = engine()
    headline = "Acme recalls 2 million cars over brake defect"
    for i, src in enumerate(["wire", "paper", "tv"]):
        eng.process([record(f"s{i}", "ACME", headline, minutes=i, events=[("recall", 0.55)], source=src)])
    state = eng.store.get("ACME")
    assert state is not None
    assert len(state.neg_times) == 1, "three reports of one story are one negative story"
    assert state.stories[0].sources == ["wire", "paper", "tv"]
    factors = {f.name: f for f in state.episodes[""].factors}
    assert factors["corroboration"].value > 0


def test_the_shares_falling_on_an_open_incidents_news_is_no_new_story_of_a_burst() -> None:
    eng = engine()
    eng.process([record("g1", "ACME", "Acme withdraws its annual forecast", events=[("guidance_cut", 0.7)])])
    eng.process(
        [
            record(
                "g2",
                "ACME",
                "Acme shares tumble 12% after hours",
                minutes=30,
                events=[("price_drop", 0.5)],
                source="tv",
            )
        ]
    )
    state = eng.store.get("ACME")
    assert state is not None
    assert len(state.neg_times) == 1, "the fall is the forecast's news again"
    # With no incident open, the same fall is a story of its own.
    eng.process([record("o1", "OTHER", "Other Co shares tumble 12% after hours", events=[("price_drop", 0.5)])])
    assert len(eng.store.get("OTHER").neg_times) == 1  # type: ignore[union-attr]


def test_a_company_named_as_the_owner_of_an_earlier_years_matter_gets_no_digest_line() -> None:
    def named_at(year: int) -> Enriched:
        headline = f"Outage Recalls ACME's {year} Meltdown That Grounded Flights"
        r = record(f"h{year}", "ACME", headline)
        entity = r.entities[0].model_copy(update={"start": 15, "end": 19})
        return r.model_copy(update={"entities": [entity]})

    assert named_at(T0.year - 2).headline[15:19] == "ACME"
    assert engine().process([named_at(T0.year - 2)]) == [], "history retold is not the company's news"
    # This year's matter is news: the plain negative reading goes to the digest.
    assert [a.severity for a in engine().process([named_at(T0.year)])] == ["low"]


def test_repeat_from_same_source_is_discounted() -> None:
    eng = engine()
    eng.process([record("r1", "ACME", "Acme recalls 2 million cars", events=[("recall", 0.55)])])
    first = eng.store.get("ACME").last_score  # type: ignore[union-attr]
    eng.process([record("r2", "ACME", "Acme recalls 2 million cars", minutes=1, events=[("recall", 0.55)])])
    assert eng.store.get("ACME").last_score < first  # type: ignore[union-attr]


def test_replay_of_a_news_id_re_emits_the_same_alerts_and_changes_nothing() -> None:
    eng = engine()
    r = record("x1", "ACME", HEADLINES[0], events=[("bankruptcy", 1.0)])
    first = eng.process_one(r)
    snapshot = eng.store.get("ACME").model_dump()  # type: ignore[union-attr]
    again = eng.process_one(r)
    assert first and again == first
    assert eng.store.get("ACME").model_dump() == snapshot  # type: ignore[union-attr]


def test_same_input_gives_identical_alerts() -> None:
    def run() -> list[Alert]:
        eng = engine()
        out: list[Alert] = []
        for i, h in enumerate(HEADLINES):
            out += eng.process([record(f"n{i}", "ACME", h, minutes=i * 5, events=[("fraud_allegation", 0.9)])])
        out += eng.process([record("end", "B", "B holds meeting", minutes=5000, label="neutral")])
        return out

    assert run() == run()


def test_late_event_is_ignored_by_state() -> None:
    eng = engine(window_s=3600)
    eng.process([record("now", "ACME", HEADLINES[0], minutes=600)])
    before = eng.store.get("ACME").model_dump()  # type: ignore[union-attr]
    assert eng.process([record("old", "ACME", HEADLINES[1], minutes=0)]) == []
    assert eng.store.get("ACME").model_dump() == before  # type: ignore[union-attr]
    assert eng.late_events == 1


def test_watchlist_weighs_more() -> None:
    plain = engine()
    watched = RiskEngine(RiskSettings(), DictStore(), watchlist={"ACME"})
    r = record("w", "ACME", HEADLINES[0], events=[("lawsuit", 0.6)])
    plain.process([r])
    watched.process([r])
    assert watched.store.get("ACME").last_score > plain.store.get("ACME").last_score  # type: ignore[union-attr]


def test_alert_ids_are_deterministic_and_distinct() -> None:
    a = alert_id("ACME:lawsuit", "firing", "high", 1000.0)
    assert a == alert_id("ACME:lawsuit", "firing", "high", 1000.0)
    assert a != alert_id("ACME:lawsuit", "resolved", "high", 1000.0)
    assert a != alert_id("ACME:lawsuit", "firing", "critical", 1000.0)


def test_story_tokens_ignore_case_and_stopwords() -> None:
    assert story_tokens("The Acme RECALL of cars") == story_tokens("acme recall cars")


def test_story_similarity_is_the_jaccard_of_the_token_sets() -> None:
    assert _jaccard(frozenset("abc"), frozenset("bcd")) == pytest.approx(2 / 4)
    assert _jaccard(frozenset("ab"), frozenset("ab")) == 1.0
    assert _jaccard(frozenset(), frozenset("ab")) == 0.0
    assert _jaccard(frozenset("ab"), frozenset("cd")) == 0.0


def test_a_story_caches_its_token_set_and_never_stores_it() -> None:
    story = Story(tokens=["acme", "recall"], first=1.0, last=1.0, sources=["wire"])
    assert story.token_set == frozenset({"acme", "recall"})
    assert story.token_set is story.token_set  # built once
    # The cache is not state: the table keeps the tokens, and a restored story rebuilds it.
    stored = story.model_dump_json()
    assert "token_set" not in stored
    assert Story.model_validate_json(stored).token_set == frozenset({"acme", "recall"})


def test_a_broker_is_never_alerted_for_the_downgrade_it_gives() -> None:
    """One article, two records (the pipeline's shape): the event targets Acme, Goldman only acts."""
    engine = RiskEngine(RiskSettings(), DictStore())
    headline = "Goldman Sachs downgrades Acme to sell"
    common = {"events": [("downgrade", 0.5)], "targets": {"downgrade": ["ACME"]}, "actor": "GS", "label": "negative"}
    alerts = engine.process(
        [
            record("n1", "GS", headline, entity_label="neutral", **common),  # type: ignore[arg-type]
            record("n1", "ACME", headline, entity_label="negative", **common),  # type: ignore[arg-type]
        ]
    )
    assert {a.entity for a in alerts} == {"ACME"}
    assert {a.event_type for a in alerts} == {"downgrade"}


def test_a_broker_read_as_negative_still_gets_no_digest_line_for_the_downgrade_it_gives() -> None:
    """Even when the entity reading goes wrong and calls the broker negative."""
    engine = RiskEngine(RiskSettings(), DictStore())
    r = record("n1", "GS", "Goldman Sachs downgrades Acme to sell", entity_label="negative",
               events=[("downgrade", 0.5)], targets={"downgrade": ["ACME"]}, actor="GS")  # fmt: skip
    assert engine.process([r]) == []


def test_a_customer_named_beside_a_suppliers_trouble_gets_no_digest_line_nor_a_burst_count() -> None:
    """ "Acme shares plunge as plant fire and loss of Apple business pile up": Apple is a bystander."""
    store = DictStore()
    engine = RiskEngine(RiskSettings(), store)
    records = [
        record(f"n{i}", "AAPL", h, minutes=i, entity_label="negative",
               events=[("operational_disruption", 0.6)], targets={"operational_disruption": ["ACME"]})
        for i, h in enumerate(HEADLINES)
    ]  # fmt: skip
    assert engine.process(records) == []
    state = store.get("AAPL")
    assert state is not None and state.neg_times == []


def test_a_bystander_keeps_its_digest_line_when_the_setting_says_so() -> None:
    """Near miss: w_bystander = 1 gives the bystander's reading its full weight again."""
    r = record("n1", "AAPL", "Acme plant fire and loss of Apple business", entity_label="negative",
               events=[("operational_disruption", 0.6)], targets={"operational_disruption": ["ACME"]})  # fmt: skip
    assert RiskEngine(RiskSettings(), DictStore()).process([r]) == []
    [alert] = RiskEngine(RiskSettings(w_bystander=1.0), DictStore()).process([r])
    assert (alert.entity, alert.event_type, alert.severity) == ("AAPL", NEGATIVE_NEWS, "low")


def test_a_negative_headline_whose_events_name_no_linked_target_still_reaches_the_digest() -> None:
    """Near miss: an event whose target is not linked makes no company a bystander."""
    r = record("n1", "ACME", "Acme warns as unnamed rival is sued", entity_label="negative",
               events=[("lawsuit", 0.6)], targets={"lawsuit": []})  # fmt: skip
    [alert] = RiskEngine(RiskSettings(), DictStore()).process([r])
    assert (alert.entity, alert.event_type) == ("ACME", NEGATIVE_NEWS)


def test_a_problem_reported_over_is_good_news_however_negative_the_words_read() -> None:
    """A suit dismissed reads negative to the model ("tosses lawsuit ... over recall"): no digest line."""
    r = record("n1", "DXCM", "Judge tosses investor lawsuit against Dexcom over sensor recall",
               events=[("problem_solved", 0.0)], targets={"problem_solved": ["DXCM"]})  # fmt: skip
    assert RiskEngine(RiskSettings(), DictStore()).process([r]) == []


def test_a_problem_solved_for_another_company_leaves_this_ones_trouble() -> None:
    """Near miss: the suit dismissed is the rival's, so the company's own suit still counts (a
    private party's suit: the digest)."""
    r = record("n1", "ACME", "Court tosses suit against Rival; Acme sued by shareholders",
               events=[("problem_solved", 0.0), ("lawsuit", 0.6)],
               targets={"problem_solved": ["RIVL"], "lawsuit": ["ACME"]})  # fmt: skip
    [alert] = RiskEngine(RiskSettings(), DictStore()).process([r])
    assert (alert.entity, alert.event_type, alert.severity) == ("ACME", "lawsuit", "low")


def test_the_companys_own_act_worth_a_page_counts_whatever_the_tone() -> None:
    """ "Molson Coors lowers profit outlook, but shares rise as cut is smaller than feared"."""
    r = record("n1", "TAP", "Molson Coors lowers outlook, shares rise", label="positive",
               events=[("guidance_cut", 0.7)], targets={"guidance_cut": ["TAP"]})  # fmt: skip
    [alert] = RiskEngine(RiskSettings(), DictStore()).process([r])
    assert (alert.event_type, alert.severity) == ("guidance_cut", "medium")


def test_good_news_hides_the_companys_small_acts_and_anothers_act_on_it() -> None:
    """Near misses: a miss on revenue beside a beat (low) and a regulator's act read as good news."""
    miss = record("n1", "LOW", "Lowe's EPS beats by $0.06, misses on revenue", label="positive",
                  events=[("earnings_beat", 0.05), ("earnings_miss", 0.6)],
                  targets={"earnings_beat": ["LOW"], "earnings_miss": ["LOW"]})  # fmt: skip
    order = record("n2", "SRPT", "FDA lifts clinical hold on Sarepta's gene therapy; shares soar", label="positive",
                   events=[("regulatory_action", 0.75), ("price_rise", 0.05)],
                   targets={"regulatory_action": ["SRPT"], "price_rise": ["SRPT"]})  # fmt: skip
    assert RiskEngine(RiskSettings(), DictStore()).process([miss, order]) == []


def test_a_good_tone_without_the_headlines_own_good_news_hides_nothing() -> None:
    """Near miss: "EU probes Qualcomm" read as positive by the model is still a probe opened."""
    probe = record("n1", "QCOM", "EU probes Qualcomm over radio-frequency chips", label="positive",
                   events=[("investigation", 0.6)], targets={"investigation": ["QCOM"]})  # fmt: skip
    [alert] = RiskEngine(RiskSettings(), DictStore()).process([probe])
    assert (alert.event_type, alert.severity) == ("investigation", "medium")


@pytest.mark.parametrize(
    ("event_type", "magnitude", "level"),
    [
        ("credit_downgrade", None, "high"),
        ("credit_downgrade", Magnitude(watch="review", text="on CreditWatch negative"), "medium"),
        ("credit_downgrade", Magnitude(watch="outlook", text="outlook to negative"), "low"),
        ("guidance_cut", None, "medium"),
        ("guidance_cut", Magnitude(percent=0.33, text="by a third"), "high"),
        ("regulatory_action", Magnitude(usd=350_000, text="$350,000"), "low"),
        # "CFPB Orders U.S. Bank to Pay $37.5 Million": a penalty, sized as a fine.
        ("regulatory_action", Magnitude(usd=37.5e6, text="$37.5 Million"), "medium"),
        ("regulatory_action", Magnitude(usd=2e9, text="$2 billion"), "high"),
        # "FTC sues PepsiCo": a regulator's suit is a material suit until a court rules.
        ("regulatory_action", Magnitude(material=True, text="sues"), "medium"),
        # A collapse after fraud ("shares plunge 80% after fabricated-sales disclosure") is
        # critical; a fraud with the shares 4% lower stays high.
        ("fraud_allegation", Magnitude(percent=0.8, text="plunge 80%"), "critical"),
        ("fraud_allegation", Magnitude(percent=0.04, text="fall 4%"), "high"),
    ],
)
def test_a_credit_action_short_of_a_cut_and_the_size_of_a_forecast_cut_set_the_level(
    event_type: str, magnitude: Magnitude | None, level: str
) -> None:
    r = record("n1", "ACME", "Acme news", label="neutral", events=[(event_type, 0.7)],
               targets={event_type: ["ACME"]}, magnitude={event_type: magnitude} if magnitude else None)  # fmt: skip
    [alert] = RiskEngine(RiskSettings(), DictStore()).process([r])
    assert alert.severity == level


def test_the_sentiment_towards_the_entity_counts_not_the_articles() -> None:
    engine = RiskEngine(RiskSettings(), DictStore())
    # "Ford rises after GM recall": a negative article, but good for Ford, with no event of its own.
    r = record("n1", "F", "Ford rises after GM recall", label="negative", entity_label="positive",
               events=[("recall", 0.6)], targets={"recall": ["GM"]})  # fmt: skip
    assert engine.process([r]) == []


def test_events_from_producers_without_targets_still_count_for_every_entity() -> None:
    engine = RiskEngine(RiskSettings(), DictStore())
    [alert] = engine.process([record("n1", "ACME", "Acme sued over patents", events=[("lawsuit", 0.6)])])
    assert alert.event_type == "lawsuit"


def test_a_bankruptcy_filing_read_as_neutral_is_critical_on_its_first_report() -> None:
    engine = RiskEngine(RiskSettings(), DictStore())
    r = record("n1", "APTV", "Aptiv files for Chapter 11 bankruptcy protection", label="neutral",
               events=[("bankruptcy", 1.0)], targets={"bankruptcy": ["APTV"]})  # fmt: skip
    [alert] = engine.process([r])
    assert alert.severity == "critical"
    assert any(f.name == "level" and f.detail.endswith(": critical") for f in alert.factors)


def test_an_event_sets_its_level_only_for_its_target_and_sentiment_adds_within_it() -> None:
    engine = RiskEngine(RiskSettings(), DictStore())
    # The broker's record carries the event, but it targets Acme: nothing for the broker.
    broker = record("n1", "GS", "Goldman cuts Acme to sell", label="neutral", entity_label="neutral",
                    events=[("downgrade", 0.5)], targets={"downgrade": ["ACME"]}, actor="GS")  # fmt: skip
    assert engine.process([broker]) == []
    neutral = RiskEngine(RiskSettings(), DictStore()).process(
        [record("n2", "ACME", "Regulators probe Acme", label="neutral", events=[("investigation", 0.6)])]
    )
    negative = engine.process([record("n3", "ACME", "Regulators probe Acme", events=[("investigation", 0.6)])])
    s = RiskSettings()
    assert [a.severity for a in neutral] == [a.severity for a in negative] == ["medium"]
    assert s.medium <= neutral[0].risk_score < negative[0].risk_score < s.high


def test_levels_and_magnitude_rules_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from finsentry.settings import Settings

    monkeypatch.setenv("FINSENTRY_RISK__EVENT_LEVELS", '{"lawsuit": "high"}')
    monkeypatch.setenv("FINSENTRY_RISK__MAGNITUDE_LEVELS", '{"fine": {"usd >= 5e6": "critical"}}')
    risk = Settings().risk
    assert risk.event_levels == {"lawsuit": "high"}
    assert risk.magnitude_levels == {"fine": {"usd >= 5e6": "critical"}}
    monkeypatch.setenv("FINSENTRY_RISK__MAGNITUDE_LEVELS", '{"fine": {"dollars > 5": "high"}}')
    with pytest.raises(ValueError, match="dollars > 5"):
        Settings()


def test_one_partys_action_read_as_two_events_counts_once() -> None:
    """ "Jefferies downgrades Acme, sees tariff hit to margins": the hit the broker sees is part of
    its call (nlp/targets.py gives it the broker as actor), so two mediums stay medium; the same
    two mediums from nobody's one action make a high."""
    headline = "Jefferies downgrades Acme to Underperform, sees tariff hit to margins"
    events = [("downgrade", 0.5), ("guidance_cut", 0.6)]
    targets = {"downgrade": ["ACME"], "guidance_cut": ["ACME"]}
    sell = {"downgrade": Magnitude(rating="sell", text="to Underperform")}
    one = RiskEngine(RiskSettings(), DictStore()).process(
        [record("n1", "ACME", headline, events=events, targets=targets, actor="JEF", magnitude=sell)]
    )
    two = RiskEngine(RiskSettings(), DictStore()).process(
        [record("n1", "ACME", headline, events=events, targets=targets, magnitude=sell)]
    )
    assert [a.severity for a in one] == ["medium"]
    assert [a.severity for a in two] == ["high"]
