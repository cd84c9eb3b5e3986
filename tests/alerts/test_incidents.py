"""Incidents per company, levels by type and size, the learned burst prior and the digest."""

from __future__ import annotations

import pytest

from alerts.levels import event_level, holds
from alerts.risk import NEGATIVE_NEWS, RiskEngine, compound
from alerts.state import DictStore
from finsentry.contracts import Alert, Enriched, Entity, Event, Magnitude
from finsentry.settings import RiskSettings
from tests.alerts.records import record


def engine(**overrides: object) -> RiskEngine:
    return RiskEngine(RiskSettings(**overrides), DictStore())  # type: ignore[arg-type]


def firing(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.status == "firing"]


def test_a_second_event_type_joins_the_incident_and_escalates_it_once() -> None:
    eng = engine()
    first = eng.process(
        [
            record(
                "d",
                "ACME",
                "Goldman downgrades Acme to sell",
                events=[("downgrade", 0.5)],
                magnitude={"downgrade": Magnitude(rating="sell", text="to sell")},
            )
        ]
    )
    assert [(a.severity, a.dedup_key, a.event_types) for a in first] == [("medium", "ACME", ["downgrade"])]
    # Ninety minutes later, long after the downgrade's score decayed, the guidance cut joins it.
    second = eng.process([record("g", "ACME", "Acme cuts its full-year outlook", minutes=90,
                                 events=[("guidance_cut", 0.7)])])  # fmt: skip
    [escalated] = second
    assert escalated.status == "firing" and escalated.severity == "high"
    assert escalated.dedup_key == "ACME" and escalated.first_seen == first[0].first_seen
    assert escalated.event_types == ["downgrade", "guidance_cut"] and escalated.fired_by == "g"
    assert escalated.headlines == ["Goldman downgrades Acme to sell", "Acme cuts its full-year outlook"]
    assert any(f.name == "incident" and f.points > 0 for f in escalated.factors)
    # A third kind of trouble the same afternoon: one incident still, no page without a new level.
    third = eng.process([record("p", "ACME", "SEC opens probe into Acme accounting", minutes=180,
                                events=[("investigation", 0.65)])])  # fmt: skip
    assert all(a.dedup_key == "ACME" for a in third)
    state = eng.store.get("ACME")
    assert state is not None and list(state.episodes) == [""]
    assert state.episodes[""].event_types == ["downgrade", "guidance_cut", "investigation"]


def test_grouping_by_family_opens_one_incident_per_family() -> None:
    eng = engine(incident_grouping="company_family")
    out = eng.process([record("d", "ACME", "Acme downgraded to sell", events=[("downgrade", 0.5)])])
    out += eng.process([record("s", "ACME", "Acme sued by investors", minutes=5, events=[("lawsuit", 0.6)])])
    assert [a.dedup_key for a in firing(out)] == ["ACME:market", "ACME:legal"]


def test_an_incident_resolves_after_the_quiet_period_and_a_new_one_opens_after() -> None:
    eng = engine()
    [opened] = eng.process([record("a", "ACME", "Acme recalls 2 million cars", events=[("recall", 0.6)])])
    state = eng.store.get("ACME")
    assert state is not None
    at = eng.resolve_at(state.episodes[""])
    assert at - opened.first_seen.timestamp() >= RiskSettings().quiet_period_s
    later = eng.process([record("b", "ACME", "Acme sued over brakes", minutes=(at - opened.first_seen.timestamp()) / 60 + 1,
                                events=[("lawsuit", 0.6)])])  # fmt: skip
    assert [a.status for a in later] == ["resolved", "firing"]
    assert later[0].dedup_key == later[1].dedup_key == "ACME"
    assert later[0].alert_id != opened.alert_id and later[1].first_seen > opened.first_seen


@pytest.mark.parametrize(
    ("event_type", "magnitude", "level"),
    [
        ("price_target_cut", Magnitude(percent=0.03, text="to $97 from $100"), "low"),
        ("price_target_cut", Magnitude(percent=0.40, text="to $60 from $100"), "medium"),
        ("downgrade", Magnitude(rating="hold", text="to neutral"), "low"),
        ("downgrade", Magnitude(rating="sell", text="to sell"), "medium"),
        ("price_drop", Magnitude(percent=0.01, text="down 1%"), None),
        ("price_drop", Magnitude(percent=0.04, text="down 4%"), "low"),
        ("price_drop", Magnitude(percent=0.23, text="down 23%"), "high"),
        ("fine", Magnitude(usd=3.6e6, text="$3.6 million"), "low"),
        ("fine", Magnitude(usd=5e9, text="$5 billion"), "high"),
        ("executive_departure", Magnitude(planned=True, text="to retire at year-end"), "low"),
        ("executive_departure", None, "medium"),
        ("layoffs", Magnitude(count=300, text="300 more employees"), "low"),
        ("layoffs", Magnitude(count=4000, text="4,000 Support Jobs"), "medium"),
        ("layoffs", Magnitude(percent=0.3, text="30% of its workforce"), "high"),
        ("lawsuit", None, "low"),
        ("lawsuit", Magnitude(usd=5e8, text="$500 million"), "medium"),
        ("guidance_cut", Magnitude(usd=4e8, text="by $400 million"), "medium"),
        ("regulatory_action", None, "high"),
        ("regulatory_action", Magnitude(refused=True, text="complete response letter"), "medium"),
        ("guidance_cut", Magnitude(usd=1.6e9, text="$1.6 billion hit"), "high"),
        ("bankruptcy", None, "critical"),
        ("bankruptcy", Magnitude(related=True, text="'s talc unit"), "high"),
        ("upgrade", None, None),
    ],
)
def test_the_size_a_headline_gives_moves_the_level(
    event_type: str, magnitude: Magnitude | None, level: str | None
) -> None:
    event = Event(type=event_type, trigger="t", severity=0.5, targets=["ACME"], magnitude=magnitude)
    assert event_level(event, RiskSettings()) == level


def test_every_adverse_event_type_has_an_alert_level() -> None:
    # A type missing from the table raises no alert at all: only good news and deals may be.
    from nlp.taxonomy import EVENT_TYPES

    adverse = {t.id for t in EVENT_TYPES.values() if t.family not in ("good_news", "deal")}
    assert adverse - set(RiskSettings().event_levels) == set()
    assert RiskSettings().event_levels["operational_disruption"] == "medium"


def test_a_3_percent_target_trim_scores_below_a_40_percent_cut() -> None:
    def score(percent: float) -> Alert:
        [alert] = engine().process(
            [
                record(
                    "t",
                    "ACME",
                    "Acme price target cut",
                    events=[("price_target_cut", 0.3)],
                    magnitude={"price_target_cut": Magnitude(percent=percent, text="cut")},
                )
            ]
        )
        return alert

    trim, cut = score(0.03), score(0.40)
    assert (trim.severity, cut.severity) == ("low", "medium")
    assert trim.risk_score < cut.risk_score


def test_magnitude_conditions() -> None:
    m = Magnitude(percent=0.2, usd=None, rating="sell", text="x")
    assert holds("percent >= 0.15", m) and not holds("percent < 0.15", m)
    assert holds("rating == sell", m) and not holds("usd >= 1", m)
    assert holds("planned == false", m) and not holds("planned == true", m)
    with pytest.raises(ValueError, match="planned"):
        RiskSettings(magnitude_levels={"executive_departure": {"planned >= 1": "low"}})


def _fall_on(cause: str, percent: float, *, cause_magnitude: Magnitude | None = None) -> Alert:
    """One article: the shares fall `percent` on `cause`."""
    r = record(
        "a",
        "ACME",
        f"Acme shares fall {percent:.0%} on {cause}",
        events=[("price_drop", 0.5), (cause, 0.6)],
        magnitude={
            "price_drop": Magnitude(percent=percent, text="fall"),
            **({cause: cause_magnitude} if cause_magnitude else {}),
        },
    )
    [alert] = firing(engine().process([r]))
    return alert


def test_a_fall_and_its_cause_in_one_article_are_one_piece_of_news() -> None:
    # "Earnings miss with the stock falling" is medium: a small fall still adds to a small miss.
    assert _fall_on("earnings_miss", 0.045).severity == "medium"
    # "-8% on a guidance cut" is not high: two medium readings of one piece of news.
    assert _fall_on("guidance_cut", 0.08).severity == "medium"
    # A fall that is high on its own stays high.
    assert _fall_on("guidance_cut", 0.23).severity == "high"
    # Without the rule, the same article would have compounded to high.
    unchecked = RiskEngine(RiskSettings(reaction_peak="critical"), DictStore())
    r = record("a", "ACME", "Acme -8% on guidance cut", events=[("price_drop", 0.5), ("guidance_cut", 0.7)],
               magnitude={"price_drop": Magnitude(percent=0.08, text="-8%")})  # fmt: skip
    assert [a.severity for a in firing(unchecked.process([r]))] == ["high"]


def test_the_shares_falling_on_an_incidents_news_do_not_escalate_it_past_medium() -> None:
    e = engine()
    exit_ = record("n1", "WEN", "Wendy's CEO departs abruptly", events=[("executive_departure", 0.6)])
    fall = record("n2", "WEN", "Wendy's shares fall 6% after abrupt CEO exit", minutes=100,
                  events=[("executive_departure", 0.6), ("price_drop", 0.5)],
                  magnitude={"price_drop": Magnitude(percent=0.06, text="fall 6%")})  # fmt: skip
    assert [a.severity for a in firing(e.process([exit_]))] == ["medium"]
    assert firing(e.process([fall])) == []  # joins the incident, no escalation
    # A new kind of trouble still escalates the same incident.
    probe = record("n3", "WEN", "SEC opens probe into Wendy's", minutes=130, events=[("investigation", 0.6)])
    assert [a.severity for a in firing(e.process([probe]))] == ["high"]


def test_a_new_companys_first_negative_story_is_not_a_burst() -> None:
    eng = engine()
    [alert] = eng.process([record("a", "NEWCO", "NewCo shares slide on weak demand")])
    assert {f.name: f.value for f in alert.factors}["burst"] == 0.0
    # Two more distinct negative stories within the hour are one.
    eng.process([record("b", "NEWCO", "NewCo loses its biggest customer", minutes=10)])
    eng.process([record("c", "NEWCO", "NewCo plant halted by fire", minutes=20)])
    state = eng.store.get("NEWCO")
    assert state is not None
    assert {f.name: f.value for f in state.episodes[""].factors}["burst"] > 0


def test_the_prior_is_learned_online_from_the_feed() -> None:
    eng = engine(prior_alpha=0.5)
    start = eng.prior
    for i in range(6):
        eng.process([record(f"q{i}", f"C{i}", f"Company {i} shares slide", minutes=i)])
    assert eng.prior < start  # companies with one negative story each: the prior falls
    busy = engine(prior_alpha=0.5)
    for i, h in enumerate(["Acme sued", "Acme probe opened", "Acme CFO quits", "Acme plant fire", "Acme loses deal"]):
        busy.process([record(f"b{i}", "ACME", h, minutes=i)])
    assert busy.prior > start


def test_a_plain_negative_headline_goes_to_the_digest() -> None:
    eng = engine()
    [alert] = eng.process([record("n", "ACME", "Acme shares slip as investors weigh China demand")])
    assert alert.event_type == NEGATIVE_NEWS and alert.severity == "low"
    # Even read as certain, corroborated by four wires: still the digest, never paged.
    out: list[Alert] = []
    sure = engine(w_negativity=100.0)
    for i, src in enumerate(["a", "b", "c", "d"]):
        out += sure.process([record(f"s{i}", "ACME", "Acme shares slip on China", minutes=i, source=src)])
    assert {a.severity for a in out} == {"low"}


def test_compound_adds_less_as_the_score_nears_100() -> None:
    assert compound(50.0, 50.0, 0.5) == pytest.approx(62.5)
    assert compound(90.0, 50.0, 0.5) == pytest.approx(92.5)
    assert compound(100.0, 90.0, 1.0) == 100.0


def test_a_size_that_raises_the_level_counts_whatever_the_tone() -> None:
    # "to pay record $2.2 billion to settle claims" reads as positive, but the size is a cost.
    def settle(usd: float) -> list[Alert]:
        r = record("s", "COF", "Capital One to pay to settle claims", label="positive",
                   events=[("lawsuit", 0.6)], magnitude={"lawsuit": Magnitude(usd=usd, text="$")})  # fmt: skip
        return firing(engine().process([r]))

    assert [a.severity for a in settle(2.2e9)] == ["high"]
    assert [a.severity for a in settle(966e6)] == ["medium"]  # a large sum is a cost, not raised
    # A small settlement is a private suit's digest line: the good tone has no good news of the
    # headline's own behind it to hide it.
    assert [a.severity for a in settle(5e6)] == ["low"]


def test_the_shares_falling_on_a_story_on_another_wire_is_that_story_not_a_burst() -> None:
    e = engine()
    recall = record("n1", "SWK", "Stanley recalls 2.1 million drills", source="reuters", events=[("recall", 0.6)])
    fall = record("n2", "SWK", "Stanley shares slip 3% on drill recall", source="cnbc", minutes=60,
                  events=[("price_drop", 0.5), ("recall", 0.6)],
                  magnitude={"price_drop": Magnitude(percent=0.03, text="slip 3%")})  # fmt: skip
    assert [a.severity for a in firing(e.process([recall]))] == ["medium"]
    assert firing(e.process([fall])) == []
    state = e.store.get("SWK")
    assert state is not None and len(state.stories) == 1 and state.stories[0].sources == ["reuters", "cnbc"]


def test_another_wire_on_the_incidents_trouble_keeps_it_open() -> None:
    # The same wire retelling the outage scores as a repeat (below `low`) but the trouble goes on:
    # the incident does not resolve under it ("CME outage drags into third hour").
    eng = engine()
    outage = [("operational_disruption", 0.55)]
    eng.process([record("a", "ACME", "Acme outage halts trading", events=outage, source="reuters")])
    state = eng.store.get("ACME")
    assert state is not None
    before = eng.resolve_at(state.episodes[""])
    later = eng.process([record("b", "ACME", "Traders left in the dark as Acme outage drags on", minutes=80,
                                events=outage, source="reuters")])  # fmt: skip
    assert later == []
    state = eng.store.get("ACME")
    assert state is not None and eng.resolve_at(state.episodes[""]) == before + 80 * 60


def test_a_record_that_retells_the_incidents_news_does_not_count_it_twice() -> None:
    # Outlook cut (medium), then "shares fall 6% on weak outlook, earnings miss": the record's own
    # reading already compounds the small miss with the cut; it is not compounded with the cut again.
    eng = engine()
    [opened] = eng.process(
        [record("a", "ACME", "Acme forecasts margins below estimates", events=[("guidance_cut", 0.7)])]
    )
    later = eng.process(
        [
            record(
                "b",
                "ACME",
                "Acme shares fall 6% on weak margin outlook, earnings miss",
                minutes=15,
                events=[("guidance_cut", 0.7), ("earnings_miss", 0.6), ("price_drop", 0.5)],
                magnitude={"price_drop": Magnitude(percent=0.06, text="fall 6%")},
            )
        ]
    )
    assert opened.severity == "medium" and firing(later) == []


def test_a_story_retold_after_its_incident_resolved_does_not_reopen_it() -> None:
    eng = engine()
    outage = [("operational_disruption", 0.55)]
    [opened] = eng.process(
        [record("a", "ACME", "Acme cloud outage knocks customers offline", events=outage, source="reuters")]
    )
    state = eng.store.get("ACME")
    assert state is not None
    gap = (eng.resolve_at(state.episodes[""]) - opened.first_seen.timestamp()) / 60 + 30
    later = eng.process([record("b", "ACME", "Acme shares little changed despite hours-long outage", minutes=gap,
                                events=outage, source="bloomberg")])  # fmt: skip
    assert [a.status for a in later] == ["resolved"]


def test_a_retold_story_opens_no_digest_line_but_another_agencys_action_is_news() -> None:
    def cut(news_id: str, headline: str, minutes: float, agency: str, source: str) -> Enriched:
        return record(news_id, "ACME", headline, minutes=minutes, events=[("credit_downgrade", 0.8)],
                      targets={"credit_downgrade": ["ACME"]}, actor=agency, source=source)  # fmt: skip

    eng = engine()
    [opened] = eng.process([cut("a", "Moody's cuts Acme to junk", 0, "MCO", "reuters")])
    state = eng.store.get("ACME")
    assert state is not None and opened.severity == "high"
    gap = (eng.resolve_at(state.episodes[""]) - opened.first_seen.timestamp()) / 60 + 30
    # Told again by another wire after the incident is over: at half score it would be a digest
    # line; it is old news and opens nothing.
    retold = eng.process([cut("b", "Acme bonds slip after Moody's junk cut", gap, "MCO", "bloomberg")])
    assert firing(retold) == []
    # The other agency's cut of the same kind is a new story, scored in full.
    [second] = firing(eng.process([cut("c", "S&P cuts Acme to junk", gap + 30, "SPGI", "dowjones")]))
    assert second.severity == "high" and second.fired_by == "c"


def test_a_part_of_a_story_told_again_the_same_day_opens_no_new_incident() -> None:
    # "Telefonica halves dividend, cuts outlook", then "Telefonica chief defends dividend cut"
    # hours after the incident resolved: the cut is the morning's story, not a second incident.
    both = [("dividend_cut", 0.7), ("guidance_cut", 0.7)]
    eng = engine()
    opened = firing(eng.process([record("a", "ACME", "Acme halves dividend, cuts outlook", events=both,
                                        targets={"dividend_cut": ["ACME"], "guidance_cut": ["ACME"]})]))  # fmt: skip
    state = eng.store.get("ACME")
    assert opened and state is not None
    gap = (eng.resolve_at(state.episodes[""]) - opened[0].first_seen.timestamp()) / 60 + 240
    part = record("b", "ACME", "Acme chief defends dividend cut as necessary", minutes=gap, events=both[:1],
                  targets={"dividend_cut": ["ACME"]}, source="bloomberg")  # fmt: skip
    assert firing(eng.process([part])) == []
    # A day later the same kind of trouble is news again.
    again = record("c", "ACME", "Acme cuts its dividend again", minutes=gap + 24 * 60, events=both[:1],
                   targets={"dividend_cut": ["ACME"]}, source="dowjones")  # fmt: skip
    assert firing(eng.process([again]))


def test_a_stated_fall_too_small_to_be_news_is_no_digest_line() -> None:
    small = record(
        "a",
        "ACME",
        "Acme shares dip 1.5% at the open",
        events=[("price_drop", 0.5)],
        targets={"price_drop": ["ACME"]},
        magnitude={"price_drop": Magnitude(percent=0.015, text="dip 1.5%")},
    )
    plain = record("b", "ACME", "Acme shares slip as investors weigh demand")
    assert engine().process([small]) == []
    assert [a.severity for a in engine().process([plain])] == ["low"]


def test_a_fall_stated_for_a_list_of_companies_is_the_markets_move() -> None:
    # "Bank stocks slammed: JPMorgan, Citigroup, Bank of America drop 8%": a digest line at most.
    listed = Event(type="price_drop", trigger="drop", severity=0.5, targets=["JPM", "C", "BAC"],
                   magnitude=Magnitude(percent=0.08, text="drop 8%"))  # fmt: skip
    one = listed.model_copy(update={"targets": ["BAC"]})
    assert (event_level(listed, RiskSettings()), event_level(one, RiskSettings())) == ("low", "medium")


def test_a_fall_told_with_a_markets_move_as_its_cause_is_the_markets_move() -> None:
    # "Marathon Digital, Riot Platforms slide 9% as bitcoin drops": the miners follow bitcoin, a
    # digest line each; a 2% move with the market stays no event.
    fall = Event(type="price_drop", trigger="slide", severity=0.5, targets=["MARA"],
                 magnitude=Magnitude(percent=0.09, market=True, text="slide 9%"))  # fmt: skip
    small = fall.model_copy(update={"magnitude": Magnitude(percent=0.02, market=True, text="slip 2%")})
    own = fall.model_copy(update={"magnitude": Magnitude(percent=0.09, text="slide 9%")})
    levels = [event_level(e, RiskSettings()) for e in (fall, small, own)]
    assert levels == ["low", None, "medium"]


def test_a_negative_tone_with_no_event_does_not_lift_a_lone_event_a_level() -> None:
    # "Chip-equipment stocks slide" read as negative (a digest line), then a broker's small trim
    # of the same company: still the digest, not an e-mail. A second event lifts it as before.
    eng = engine()
    out = eng.process([record("n", "ACME", "Chip-equipment stocks slide premarket; Acme down")])
    out += eng.process([record("t", "ACME", "Citi trims Acme price target, keeps Buy", minutes=20,
                               events=[("price_target_cut", 0.3)])])  # fmt: skip
    assert [a.severity for a in firing(out)] == ["low"]
    out += eng.process([record("d", "ACME", "Acme downgraded to neutral at Jefferies", minutes=40,
                               events=[("downgrade", 0.5)])])  # fmt: skip
    assert [a.severity for a in firing(out)] == ["low", "medium"]


def test_a_lost_customer_is_an_e_mail() -> None:
    lost = Event(type="customer_loss", trigger="loses", severity=0.55, targets=["OMC"], actor="WPP")
    assert event_level(lost, RiskSettings()) == "medium"


def _two_named(lead_label: str) -> list[Enriched]:
    """ "Affirm CEO says Amazon was about 5% of GMV, calls loss 'manageable'": both companies'
    records, Amazon read negative, Affirm (named first) read `lead_label`."""
    text = "Affirm CEO says Amazon was about 5% of GMV, calls loss 'manageable'"
    base = record("a", "AMZN", text)
    read = {"AFRM": lead_label, "AMZN": "negative"}
    entities = [
        Entity(
            text=name,
            type="ORG",
            ticker=ticker,
            start=start,
            end=start + len(name),
            source="ruler",
            sentiment=record("x", ticker, text, label=read[ticker]).sentiment,
        )
        for ticker, name, start in (("AFRM", "Affirm", 0), ("AMZN", "Amazon", 24))
    ]
    return [
        base.model_copy(update={"entity": t, "entities": entities, "entity_sentiment": entities[i].sentiment})
        for i, t in enumerate(("AFRM", "AMZN"))
    ]


def test_a_company_named_after_a_negative_lead_shares_its_tone_not_its_own_story() -> None:
    shared = [a.entity for a in firing(engine().process(_two_named("negative")))]
    own = [a.entity for a in firing(engine().process(_two_named("neutral")))]
    assert shared == ["AFRM"]  # Amazon only named in Affirm's bad news: no digest line of its own
    assert own == ["AMZN"]  # the model told them apart: Amazon's negative reading is its own


@pytest.mark.parametrize("good", ["price_rise", "spared"])
def test_a_negative_reading_of_the_companys_own_good_news_is_no_digest_line(good: str) -> None:
    # "LVMH sales decline less than feared; shares jump 5%", "says its systems are unaffected".
    plain = record("n", "ACME", "Acme sales decline less than feared")
    with_good = record("g", "ACME", "Acme sales decline less than feared; shares jump 5%",
                       events=[(good, 0.05)], targets={good: ["ACME"]})  # fmt: skip
    assert [a.severity for a in engine().process([plain])] == ["low"]
    assert engine().process([with_good]) == []


def test_an_event_retold_without_the_size_that_lowered_it_keeps_that_level() -> None:
    unit = {"bankruptcy": Magnitude(related=True, text="'s talc unit")}
    eng = engine()
    [opened] = eng.process([record("a", "JNJ", "J&J's talc unit files for bankruptcy", events=[("bankruptcy", 0.95)],
                                   targets={"bankruptcy": ["JNJ"]}, magnitude=unit)])  # fmt: skip
    assert opened.severity == "high"
    # The same filing named without the unit half an hour later is no company-wide filing.
    retold = eng.process([record("b", "JNJ", "Plaintiffs vow to fight J&J talc bankruptcy", minutes=30,
                                 events=[("bankruptcy", 0.95)], targets={"bankruptcy": ["JNJ"]}, source="bloomberg")])  # fmt: skip
    assert firing(retold) == []
    # Past the story window, a filing told without a size is read in full again.
    later = eng.process([record("c", "JNJ", "J&J files for bankruptcy", minutes=60 * 30,
                                events=[("bankruptcy", 0.95)], targets={"bankruptcy": ["JNJ"]})])  # fmt: skip
    assert [a.severity for a in firing(later)] == ["critical"]


def test_a_credit_watch_is_no_size_a_later_cut_inherits() -> None:
    def credit(news_id: str, headline: str, minutes: float, magnitude: Magnitude | None) -> Enriched:
        return record(news_id, "ACME", headline, minutes=minutes, events=[("credit_downgrade", 0.8)],
                      targets={"credit_downgrade": ["ACME"]}, actor="SPGI",
                      magnitude={"credit_downgrade": magnitude} if magnitude else None)  # fmt: skip

    eng = engine()
    [watch] = eng.process([credit("a", "S&P places Acme on CreditWatch negative", 0,
                                  Magnitude(watch="review", text="CreditWatch negative"))])  # fmt: skip
    assert watch.severity == "medium"
    [cut] = firing(eng.process([credit("b", "S&P cuts Acme to junk", 60, None)]))
    assert cut.severity == "high"


def test_the_shares_falling_on_a_resolved_storys_news_open_no_new_incident() -> None:
    eng = engine()
    probe = [("investigation", 0.65)]
    [opened] = eng.process([record("a", "ACME", "EU regulators raid Acme in cartel probe", events=probe,
                                   targets={"investigation": ["ACME"]}, source="reuters")])  # fmt: skip
    state = eng.store.get("ACME")
    assert state is not None
    gap = (eng.resolve_at(state.episodes[""]) - opened.first_seen.timestamp()) / 60 + 30
    fall = eng.process([record("b", "ACME", "Acme shares fall 5% at the open after EU cartel raids", minutes=gap,
                               events=[("price_drop", 0.4), ("investigation", 0.65)], source="bloomberg",
                               targets={"price_drop": ["ACME"], "investigation": ["ACME"]},
                               magnitude={"price_drop": Magnitude(percent=0.05, text="fall 5%")})])  # fmt: skip
    assert firing(fall) == []


def test_a_ticker_only_the_feed_tags_beside_named_companies_shares_their_tone() -> None:
    text = "Rocket Lab stock pares losses to 14% after CEO reassures on return to flight"
    base = record("a", "RKLB", text)
    entities = [
        Entity(text="Rocket Lab", type="ORG", ticker="RKLB", start=0, end=10, source="ruler",
               sentiment=base.sentiment),
        Entity(text="RKT", type="ORG", ticker="RKT", source="feed", sentiment=base.sentiment),
    ]  # fmt: skip
    records = [base.model_copy(update={"entity": t, "entities": entities}) for t in ("RKLB", "RKT")]
    assert [a.entity for a in firing(engine().process(records))] == ["RKLB"]


def test_the_shares_moving_with_no_news_hours_after_a_resolved_incident_are_that_story() -> None:
    eng = engine()
    [opened] = eng.process([record("a", "LDOS", "Pentagon cancels $4.1 billion Leidos contract",
                                   events=[("customer_loss", 0.6)], targets={"customer_loss": ["LDOS"]})])  # fmt: skip
    state = eng.store.get("LDOS")
    assert state is not None and opened.severity == "medium"
    gap = (eng.resolve_at(state.episodes[""]) - opened.first_seen.timestamp()) / 60 + 30
    fall = eng.process([record("b", "LDOS", "Leidos shares trim losses but remain down 9% at midday", minutes=gap,
                               events=[("price_drop", 0.4)], targets={"price_drop": ["LDOS"]}, source="bloomberg",
                               magnitude={"price_drop": Magnitude(percent=0.09, text="down 9%")})])  # fmt: skip
    assert firing(fall) == []
    # A fall with no news past the story window is news again.
    past = RiskSettings().novelty_window_s / 60 + 60
    late = eng.process([record("c", "LDOS", "Leidos shares down 9%", minutes=gap + past,
                               events=[("price_drop", 0.4)], targets={"price_drop": ["LDOS"]}, source="reuters",
                               magnitude={"price_drop": Magnitude(percent=0.09, text="down 9%")})])  # fmt: skip
    assert [a.severity for a in firing(late)] == ["medium"]
