"""Event targets: each event goes to the company it happens to, never to the broker, agency,
plaintiff or rival named beside it.

Hand-made headlines of each shape the issue names, each with a near-miss, written for these
tests (not taken from the evaluation set), plus every example in nlp/resources/targets.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.target_words import target_words


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def _targets(
    annotator: SpacyAnnotator, text: str, feed: list[str] | None = None
) -> dict[str, tuple[list[str], str | None]]:
    return {e.type: (e.targets or [], e.actor) for e in annotator.annotate_one(text, feed).events}


# (headline, event type, its targets, its actor)
SHAPES: list[tuple[str, str, list[str], str | None]] = [
    # an adjective trigger is the name's after it: a linked company, or none for one not linked
    ("Tesla is an unsecured creditor of bankrupt Hertz", "bankruptcy", ["HTZ"], None),
    ("Jefferies confirms unit's exposure to bankrupt Harlow", "bankruptcy", [], None),
    # analyst actions: active, passive, "at", colon-led, and a nominal after the clause
    ("Morgan Stanley downgrades Nike to equal-weight", "downgrade", ["NKE"], "MS"),
    ("Nike downgraded to neutral at Goldman Sachs", "downgrade", ["NKE"], "GS"),
    ("Nike: Jefferies cuts to hold on China worries", "downgrade", ["NKE"], "JEF"),
    # Title Case: a rating after "to" is where it went, the ordering verb is read before the
    # infinitive after the company ("Orders Vulcan Materials to Halt").
    ("Nike Cut to Hold From Buy at Jefferies", "downgrade", ["NKE"], "JEF"),
    ("Mexico Orders Vulcan Materials to Halt Quarrying at Calica Site", "regulatory_action", ["VMC"], None),
    ("Nike slides after Goldman Sachs downgrade", "downgrade", ["NKE"], "GS"),
    ("Barclays lowers Starbucks price target to $90", "price_target_cut", ["SBUX"], "BCS"),
    # a broker that is not linked: the company is still the target, and nobody the actor
    ("Nike: Compass Point cuts to Sell", "downgrade", ["NKE"], None),
    ("AT&T shares sink after MoffettNathanson downgrade", "downgrade", ["T"], None),
    # "targets" after a company is a noun when a verb follows: both companies are cut
    ("Dell, HPE targets trimmed on compute headwinds", "price_target_cut", ["DELL", "HPE"], None),
    # a clause opened by "while" with no subject of its own: the earlier subject acts again
    ("Jefferies lifts Tesla to buy while paring the price target", "price_target_cut", ["TSLA"], "JEF"),
    # rating agencies
    ("Moody's cuts Ford to junk", "credit_downgrade", ["F"], "MCO"),
    ("Ford is downgraded to junk by Moody's", "credit_downgrade", ["F"], "MCO"),
    # a passive whose auxiliaries sit inside the trigger: read around the participle
    ("Uber's license will not be renewed in London", "regulatory_action", ["UBER"], None),
    # two clauses, two companies
    ("Costco beats; Kroger misses", "earnings_beat", ["COST"], None),
    ("Costco beats; Kroger misses", "earnings_miss", ["KR"], None),
    ("Nvidia tops estimates while Intel cuts its outlook", "guidance_cut", ["INTC"], None),
    ("Citi upgrades Pfizer, downgrades Merck", "upgrade", ["PFE"], "C"),
    ("Citi upgrades Pfizer, downgrades Merck", "downgrade", ["MRK"], "C"),
    # lawsuits between companies
    ("Oracle sues Salesforce over software copyrights", "lawsuit", ["CRM"], "ORCL"),
    ("Salesforce sued by Oracle over software copyrights", "lawsuit", ["CRM"], "ORCL"),
    ("Intel to pay Qualcomm $500 million to settle patent suit", "lawsuit", ["INTC"], "QCOM"),
    # one company's news moving a rival
    ("Ford shares climb after Tesla recall", "recall", ["TSLA"], None),
    ("Lowe's slips as Home Depot warns on demand", "guidance_cut", ["HD"], None),
    ("Southwest Airlines cancels 1,800 flights after a technology outage", "operational_disruption", ["LUV"], None),
    ("Delta says flights run normally after Microsoft outage", "operational_disruption", ["MSFT"], None),
    # a customer lost: the customer who leaves acts, the supplier loses
    ("Omnicom loses Mars media account to WPP", "customer_loss", ["OMC"], "WPP"),
    ("Apple to drop Skyworks chips from next iPhone", "customer_loss", ["SWKS"], "AAPL"),
    # an adviser a company hires acts for it
    ("iRobot hires Lazard to explore strategic options", "restructuring", ["IRBT"], None),
    # deals: every party is a target
    ("Microsoft to acquire Activision Blizzard for $69 billion", "merger_acquisition", ["MSFT", "ATVI"], "MSFT"),
]


@pytest.mark.parametrize(("text", "event_type", "targets", "actor"), SHAPES)
def test_each_event_goes_to_the_company_it_happens_to(
    annotator: SpacyAnnotator, text: str, event_type: str, targets: list[str], actor: str | None
) -> None:
    found = _targets(annotator, text)
    assert event_type in found, f"{event_type} not found in {text!r}: {found}"
    assert found[event_type] == (targets, actor)


# Near-misses: the named company must not be a target of any event of the headline.
NOT_TARGETS: list[tuple[str, str]] = [
    ("Goldman Sachs downgrades two regional lenders", "GS"),
    ("Moody's downgrades Boeing to junk", "MCO"),
    ("Pfizer sues Moderna over vaccine patents", "PFE"),
    ("Amazon jumps after Walmart misses", "AMZN"),
    ("Citi cuts Netflix price target ahead of earnings", "C"),
    ("Exxon climbs as Chevron recalls fuel additive", "XOM"),
    ("Wells Fargo lowers Target to underweight", "WFC"),
    ("Delta says flights run normally after Microsoft outage", "DAL"),
    ("$AFRM - Affirm extends after-hours slide, now down 22% on Amazon loss", "AMZN"),
]


@pytest.mark.parametrize(("text", "bystander"), NOT_TARGETS)
def test_the_actor_or_bystander_is_never_a_target(annotator: SpacyAnnotator, text: str, bystander: str) -> None:
    events = annotator.annotate_one(text).events
    assert events, f"no event in {text!r}"
    assert all(bystander not in (e.targets or []) for e in events), [(e.type, e.targets) for e in events]


def test_companies_that_say_they_are_spared_get_no_disruption(annotator: SpacyAnnotator) -> None:
    # The outage is Southwest's, which is not linked by "Southwest" alone: the structure would
    # give it to the subject, so the rules drop it (nlp/rules/operational_disruption.yaml).
    events = annotator.annotate_one("Delta, United Airlines Say Operations Unaffected by Southwest Outage").events
    assert all(e.type != "operational_disruption" for e in events), events


def test_an_agency_reporting_its_own_results_is_their_target(annotator: SpacyAnnotator) -> None:
    # The near-miss of the agency rule: when the news is about the agency itself, it is the target.
    found = _targets(annotator, "Moody's beats estimates as ratings revenue jumps")
    assert found["earnings_beat"][0] == ["MCO"]


@pytest.mark.parametrize(
    ("text", "event_type", "targets"),
    [
        # Cashtag and name of one company in one clause: one target, listed once.
        (
            'Transport for London said Uber $UBER was not "fit and proper" to hold a license',
            "regulatory_action",
            ["UBER"],
        ),
        ("$AMTD $SCHW - Schwab to buy TD Ameritrade in $26B all-stock deal", "merger_acquisition", ["AMTD", "SCHW"]),
    ],
)
def test_a_company_named_twice_is_one_target(
    annotator: SpacyAnnotator, text: str, event_type: str, targets: list[str]
) -> None:
    assert _targets(annotator, text)[event_type][0] == targets


@pytest.mark.parametrize(
    "example", target_words().examples, ids=lambda ex: str(ex["text"])[:40] if isinstance(ex, dict) else ""
)
def test_every_example_in_the_word_lists_holds(annotator: SpacyAnnotator, example: dict[str, object]) -> None:
    feed = example.get("feed")  # the tickers a feed tags, where the example needs them
    found = _targets(annotator, str(example["text"]), list(feed) if isinstance(feed, list) else None)
    for event_type, targets in dict(example.get("targets", {})).items():  # type: ignore[call-overload]
        assert event_type in found, f"{event_type} not found in {example['text']!r}: {found}"
        assert found[event_type][0] == targets
    for event_type, actor in dict(example.get("actor", {})).items():  # type: ignore[call-overload]
        assert found[event_type][1] == actor


def test_a_title_case_infinitive_is_read_as_the_verb(annotator: SpacyAnnotator) -> None:
    # The tagger reads "End" as a noun here; as one, Amazon would own the event.
    found = _targets(annotator, "Amazon to End Pay-Over-Time Partnership With Affirm When Contract Expires",
                     ["AMZN", "AFRM"])  # fmt: skip
    assert found["customer_loss"] == (["AFRM"], "AMZN")


def test_feed_tickers_are_the_target_when_the_text_names_no_company(annotator: SpacyAnnotator) -> None:
    [ann] = annotator.annotate(["Shares tumble after profit warning"], [["ACME"]])
    assert [(e.type, e.targets) for e in ann.events] == [("price_drop", ["ACME"]), ("guidance_cut", ["ACME"])]


@pytest.mark.parametrize(
    ("text", "solves", "target"),
    [
        ("Judge Tosses Investor Lawsuit Against Dexcom Over Sensor Recall", "lawsuit", "DXCM"),
        ("EU closes antitrust probe into Broadcom's software licensing with no fine", "investigation", "AVGO"),
    ],
)
def test_a_problem_reported_over_goes_to_the_company_the_problem_was_about(
    annotator: SpacyAnnotator, text: str, solves: str, target: str
) -> None:
    [event] = annotator.annotate_one(text).events
    assert (event.type, event.solves, event.targets) == ("problem_solved", solves, [target])


def test_each_company_keeps_the_size_of_its_own_fall(annotator: SpacyAnnotator) -> None:
    events = annotator.annotate_one(
        "Visa shares fall 5% after Justice Department antitrust suit; Mastercard dips 2%"
    ).events
    drops = {tuple(e.targets or ()): e.magnitude.percent for e in events if e.type == "price_drop" and e.magnitude}
    assert drops == {("V",): 0.05, ("MA",): 0.02}


def test_two_falls_of_one_company_are_one_event_at_the_larger_size(annotator: SpacyAnnotator) -> None:
    events = annotator.annotate_one("Tesla's stock falls 2.1% premarket, after tumbling 17.2% on Wednesday").events
    [drop] = [e for e in events if e.type == "price_drop"]
    assert drop.targets == ["TSLA"] and drop.magnitude is not None and drop.magnitude.percent == 0.172


def test_a_problem_only_asked_about_is_not_reported_over(annotator: SpacyAnnotator) -> None:
    assert annotator.annotate_one("Will the court dismiss the lawsuit against Apple?").events == []


def test_an_event_with_no_company_has_no_target(annotator: SpacyAnnotator) -> None:
    [event] = annotator.annotate_one("Retailer files for Chapter 11 bankruptcy").events
    assert event.targets == []
    assert event.actor is None


def test_texts_without_events_are_never_parsed(annotator: SpacyAnnotator) -> None:
    # The parser runs only where it decides something: a linked company and an event.
    docs = list(annotator.nlp.pipe(["Apple unveils a new iPhone", "Markets drift before the Fed"]))
    assert all(not d.has_annotation("DEP") for d in docs)
    annotator.annotate(["Apple unveils a new iPhone"], [None])
    assert annotator.reading == ["tok2vec", "tagger", "parser"]


def test_evaluate_entities_reports_targets_and_entity_sentiment(tiny_model_dir: Path) -> None:
    import json

    from typer.testing import CliRunner

    from finsentry.cli import app

    args = ["evaluate-entities", "--split", "test", "--model", str(tiny_model_dir), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])["targets"]
    assert report["n"] == 180  # the frozen test part of the targets set
    assert {"pairs", "attribution", "inherit_baseline", "entity_sentiment", "article_sentiment_baseline"} <= set(report)
    # Attribution can only be better than giving every event to every company.
    assert report["pairs"]["precision"] > report["inherit_baseline"]["precision"]
    assert report["entity_sentiment"]["n"] > 300


def test_the_targets_set_is_well_formed() -> None:
    from nlp.companies import load_companies
    from nlp.target_eval import read_target_eval
    from nlp.taxonomy import EVENT_TYPES

    items = read_target_eval()
    directory = load_companies(EntitySettings())
    assert len(items) >= 300
    assert {i.split for i in items} == {"dev", "test"}
    for item in items:
        assert len(item.companies) >= 2, item.id
        assert all(directory.get(c.ticker) is not None for c in item.companies), item.id
        assert all(e in EVENT_TYPES for c in item.companies for e in c.events), item.id


@pytest.mark.parametrize(
    ("text", "feed", "event_type", "targets"),
    [
        # The feed tags a company the text names by a short form the linker leaves alone.
        ("FTC Sues to Block Tapestry's $8.5 Billion Takeover of Capri", ["TPR", "CPRI"], "regulatory_action",
         ["TPR", "CPRI"]),
        ("Mosaic says hurricane damaged its Riverview plant, production halted; shares fall 5%", ["MOS"],
         "operational_disruption", ["MOS"]),
        ("Moody's says Williams pipeline outage is credit negative; ratings unaffected", ["MCO", "WMB"],
         "operational_disruption", ["WMB"]),
    ],
)  # fmt: skip
def test_a_feed_tagged_company_written_by_its_short_name_takes_its_place_in_the_sentence(
    annotator: SpacyAnnotator, text: str, feed: list[str], event_type: str, targets: list[str]
) -> None:
    assert _targets(annotator, text, feed)[event_type][0] == targets


def test_a_common_first_word_does_not_stand_for_the_company_a_feed_tags(annotator: SpacyAnnotator) -> None:
    ann = annotator.annotate_one("Attorney General sues opioid distributor", ["GM"])
    assert [(e.ticker, e.start) for e in ann.entities if e.ticker == "GM"] == [("GM", None)]
