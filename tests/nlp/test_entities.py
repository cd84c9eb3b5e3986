"""Company recognition and ticker linking: aliases, cashtags, traps, feed merge, odd input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from finsentry.contracts import Entity
from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.company_words import company_words
from nlp.components import doc_entities, doc_events
from nlp.entity_eval import DEFAULT_EVAL, read_eval
from nlp.interfaces import Annotation, Annotator
from nlp.taxonomy import REQUIRED_TYPES


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


@pytest.fixture(scope="module")
def hand_made_lists() -> SpacyAnnotator:
    """Without the generated list of every registrant: for companies outside the lists."""
    return load_annotator(EntitySettings(extra_companies=["companies_extra.csv", "companies_smallcap.csv"]))


def _tickers(ann: Annotation) -> list[str]:
    return [e.ticker for e in ann.entities if e.ticker]


def _linked(annotator: SpacyAnnotator, text: str) -> set[str]:
    return set(_tickers(annotator.annotate_one(text)))


@pytest.mark.parametrize(
    ("text", "ticker"),
    [
        ("Apple unveils cheaper iPhone", "AAPL"),
        ("Google faces new ad-tech trial", "GOOGL"),
        ("Alphabet shares climb after earnings", "GOOGL"),
        ("J&J talc settlement wins approval", "JNJ"),
        ("Exxon to expand Guyana output", "XOM"),
        ("Meta opens Llama to the military", "META"),
        ("Facebook outage hits millions", "META"),
        ("Amazon opens new fulfilment centre", "AMZN"),
        ("Microsoft signs nuclear power deal", "MSFT"),
        ("BofA strategists see bonds rallying", "BAC"),
        ("JPMorgan expands branch network", "JPM"),
        ("GM to build EVs in Mexico", "GM"),
        ("Ford sales rise in October", "F"),
        ("Procter & Gamble lifts prices", "PG"),
        ("The Home Depot opens 12 stores", "HD"),
        ("BANK OF AMERICA RAISES MINIMUM WAGE", "BAC"),
    ],
)
def test_short_names_and_legal_names_link(annotator: SpacyAnnotator, text: str, ticker: str) -> None:
    assert ticker in _linked(annotator, text)


@pytest.mark.parametrize(
    ("text", "not_ticker"),
    [
        ("A new era for chipmakers begins", "A"),
        ("IT budgets shrink as firms cut costs", "IT"),
        ("ALL EYES ON JACKSON HOLE", "ALL"),
        ("ALL EYES ON JACKSON HOLE", "ON"),
        ("Stocks turn ON a dime after CPI print", "ON"),
        ("Analyst raises price target on Nvidia", "TGT"),
        ("Hitting Your Price Target: Three Picks", "TGT"),
        ("Harrison Ford returns as Indiana Jones", "F"),
        ("Gerald Ford's economic policy revisited", "F"),
        ("Michael Dell buys more shares", "DELL"),
        ("S&P 500 closes at record high", "SPGI"),
        ("Dow Jones slips 200 points", "DOW"),
        ("Nasdaq falls 2% on chip selloff", "NDAQ"),
        ("Amazon rainforest fires spread", "AMZN"),
        ("Delta variant cases rise", "DAL"),
        ("CAT scan costs are rising", "CAT"),
        ("Oracle of Omaha buys more oil stocks", "ORCL"),
        ("Target Hospitality downgraded at Oppenheimer", "TGT"),
        ("SWK Holdings reports Q3 results", "SWK"),
        ("Coca-Cola Amatil names new chair", "KO"),
        ("Apollo Tactical Income Fund cuts dividend", "APO"),
    ],
)
def test_ambiguity_traps_do_not_link(annotator: SpacyAnnotator, text: str, not_ticker: str) -> None:
    assert not_ticker not in _linked(annotator, text)


@pytest.mark.parametrize(
    ("text", "ticker"),
    [
        ("Target misses holiday sales estimates", "TGT"),
        ("Analyst raises price target on Target to $180", "TGT"),
        ("Ford recalls 90,000 pickups", "F"),
        ("Gartner (NYSE: IT) beats estimates", "IT"),
        ("Allstate raises auto rates", "ALL"),
        ("onsemi cuts outlook", "ON"),
        ("Agilent Technologies (NYSE: A) to buy lab firm", "A"),
        ("S&P downgrades Boeing to BBB-", "SPGI"),
        ("Shares of XOM rose 2% in early trading", "XOM"),
        ("Movers: ABB +4%, HUM +2%, CMG +1.6%", "HUM"),
    ],
)
def test_the_same_words_link_where_context_makes_them_unambiguous(
    annotator: SpacyAnnotator, text: str, ticker: str
) -> None:
    assert ticker in _linked(annotator, text)


def test_cashtags_link_with_offsets_name_and_sector(annotator: SpacyAnnotator) -> None:
    text = "Watching $AAPL, $brk.b and $FRED today; $5B deal and $100 target are not tickers"
    ann = annotator.annotate_one(text)
    by_ticker = {e.ticker: e for e in ann.entities if e.ticker}
    assert set(by_ticker) == {"AAPL", "BRK.B", "FRED"}
    aapl = by_ticker["AAPL"]
    assert aapl.source == "ruler" and aapl.type == "ORG"
    assert aapl.name is not None and aapl.name.startswith("Apple") and aapl.sector == "Information Technology"
    assert aapl.start is not None and aapl.end is not None and text[aapl.start : aapl.end] == "$AAPL"
    # In no shipped list (Fred's, delisted in 2019): linked as an explicit ticker, without a name.
    assert by_ticker["FRED"].name is None


@pytest.mark.parametrize(
    ("text", "ticker"),
    [
        ("Introducing Highway Holdings (NASDAQ:HIHO), The Stock That Slid 59%", "HIHO"),
        ("The Clipper Realty (NYSE: CLPR) Share Price Is Down 26%", "CLPR"),
        ("Hedge Funds Aren't Crazy About Ladder Capital Corp (LADR) Anymore", "LADR"),
        ("Hedge Funds Dropped The Ball On The Meet Group, Inc. (MEET)", "MEET"),
        ("Translate Bio, Inc. (TBIO): Are Hedge Funds Right About This Stock?", "TBIO"),
        ("Update: Bluerock Residential Growth REIT (NYSEMKT:BRG) Stock Gained 41%", "BRG"),
        ("Prospect Capital (PSEC) Meets Q2 Earnings Estimates", "PSEC"),
        ("Mid cap notable movers -- Immunomedics (IMMU) gains on study updates", "IMMU"),
        ("Hedge Funds Have Never Been This Bullish On Cedar Fair, L.P. (FUN)", "FUN"),
    ],
)
def test_symbols_written_as_plainly_as_a_cashtag_link_outside_the_list(
    hand_made_lists: SpacyAnnotator, annotator: SpacyAnnotator, text: str, ticker: str
) -> None:
    assert ticker not in hand_made_lists.directory
    assert _linked(hand_made_lists, text) == {ticker}
    assert _linked(annotator, text) == {ticker}  # the same with the generated list (where it holds them)


def test_parenthesised_acronyms_are_not_symbols(annotator: SpacyAnnotator) -> None:
    # Not after an exchange prefix or a legal name, or a common acronym: no symbol.
    assert _linked(annotator, "Food and Drug Administration (FDA) rejects the filing") == set()
    # The initials of the words before it, a market's code, a mutual fund, a coin.
    assert _linked(annotator, "Consumer Price Index (CPI) Rises Faster Than Expected") == set()
    assert _linked(annotator, "U.S. Dollar Index Futures (DX) Technical Analysis") == set()
    assert _linked(annotator, "Is Fidelity International Discovery (FIGRX) a Strong Mutual Fund Pick?") == set()
    assert _linked(annotator, "Ethereum (ETH) Price May Soon Surge 50%") == set()
    assert _linked(annotator, "Acme Widgets Inc (CEO) comments on the quarter") == set()
    assert _linked(annotator, "Shares of the startup (ZYXW) jumped") == set()


def test_an_exchange_code_before_a_symbol_is_not_a_company(annotator: SpacyAnnotator) -> None:
    # ETR (Xetra) is also Entergy's symbol.
    assert "ETR" not in _linked(annotator, "Does adidas AG's (ETR:ADS) CEO Salary Reflect Performance?")
    assert "ETR" in _linked(annotator, "Entergy (ETR) raises its dividend")


def test_a_symbol_inside_a_compound_word_is_not_a_company(annotator: SpacyAnnotator) -> None:
    assert "AMT" not in _linked(annotator, "Nuveen AMT-Free Quality Municipal Income Fund declares dividend")
    assert "AMT" in _linked(annotator, "Movers: AMT -2%, HUM +2%")


def test_a_legal_name_without_its_company_form_links(annotator: SpacyAnnotator) -> None:
    # "Canada Goose Holdings Inc." written without "Inc.": the whole name, not "Canada Goose" + "Holdings".
    assert _linked(annotator, "Canada Goose Holdings EPS beats by C$0.01") == {"GOOS"}
    assert _linked(annotator, "Dunkin' Brands Group declares $0.4025 dividend") == {"DNKN"}
    assert _linked(annotator, "JinkoSolar Holding EPS beats by $0.056") == {"JKS"}  # "... Holding Co., Ltd."
    assert "GOOS" not in _linked(annotator, "Canada Holdings rallies")


# Names as people write them: brokers, brands, handles, former names, names without their
# inner capital (each from a blind batch the linker missed).
WRITTEN_NAMES = [
    # The S&P list writes "Brown–Forman" with an en dash; the wires use a hyphen.
    ("Canadian provinces pull Brown-Forman's Jack Daniel's from liquor store shelves", "BF.B"),
    ("Domtar upgraded to market perform at BMO Capital", "BMO"),
    ("Southwest Airlines Pushes Back Schedule For 737 MAX Until April", "BA"),
    ("Cadbury Chocolate Maker Sees Growth in Demand", "MDLZ"),
    ("VW CEO says new car 40% cheaper to build", "VWAGY"),
    ("Ebay confirms StubHub sale to Viagogo", "EBAY"),
    ("Shares of eBay rise", "EBAY"),
    ("As Uber and Postmates battle over cities, Doordash is thriving", "DASH"),
    ("Premium Earnings: Mercadolibre and Under Armour", "MELI"),
    ("Anthem raises its 2020 profit forecast", "ELV"),
    ("Will the yen see a decline in popularity? Insights via @CMEGroup", "CME"),
    ("Banks settle Fannie, Freddie bond-rigging suit for $337M", "FNMA"),
    ("Banks settle Fannie, Freddie bond-rigging suit for $337M", "FMCC"),
    ("Nvidia +3.7% as RBC sees earnings upside", "RY"),
    ("Popeyes Chicken Sandwich Causes Sales to Jump 42% Higher", "QSR"),
    ("PSA trade unions give the nod to merger with Fiat", "FCAU"),
    ("PGIM Likes Barbell Trade in Credit", "PRU"),
    ("HanesBrands Reports Full-Year 2019 Financial Results", "HBI"),
    ("BP expects to keep Azeri oil output stable", "BP"),
    ("Cree, STM double silicon carbide wafer agreement", "CREE"),
    ("Chesapeake Energy's stock drops toward 25-year closing low", "EXE"),
    ("WestRock upgraded to buy from neutral at BofA Merrill Lynch", "SW"),
    ("New York Times declares $0.06 dividend", "NYT"),
    ("Anheuser Busch InBev : Beer & Brewing", "BUD"),
    ("Snap CEO Evan Spiegel Talks TikTok, Politics And Earnings", "SNAP"),
    ("Notable Insider Buys In The Past Week: Enterprise Products Partners, PBF Energy", "EPD"),
    ("Sage Group to Sell Payments Business to Elavon for $300 Million", "USB"),
    ("Nasdaq CEO: Companies going public need a path to profitability", "NDAQ"),
    ("Bets It Can Restore Tiffany's Shine With $16 Billion Deal", "TIF"),
    ("News Corporation (NWS): Hedge Funds Are Snapping Up", "NWS"),
    ("Wells still bullish on T-Mobile after unsurprising CEO change", "WFC"),
    ("@GitHub is storing open source code in an Arctic vault", "MSFT"),
    ("Yankee Candle Opens New Research Facility", "NWL"),
    ("Stifel Upgrades Parker-Hannifin On Potential Synergies", "PH"),
    ("$JEC - Jacobs Engineering Q4 2019 Earnings Preview", "J"),
    ("Jefferies +2.5% after KBW expects stock buyback", "SF"),
    ("Why Slack Stock Just Surged 17%", "WORK"),
    ("Why Tiffany Stock Just Popped 6%", "TIF"),
]
# ... and the near names that are not those companies.
NOT_THOSE_NAMES = [
    ("Billionaires get rich off the system, says activist Deray Mckesson", "MCK"),  # "Mc..." is a surname
    ("$DHF - BNY Mellon High Yield Strategies Fund declares $0.0215 dividend", "BNY"),
    ("Hedge Funds Are Buying EQT Midstream Partners LP (EQM)", "EQT"),
    ("3 Top Schwab Mutual Funds for 2020", "SCHW"),
    ("Is T. Rowe Price Institutional Africa Fund a Strong Pick Right Now?", "TROW"),
    ("XFL Players Who Kneel During the Anthem Will Face Consequences", "ELV"),
    ("Fed cuts rates by 25 BP", "BP"),  # basis points
    ("Chesapeake Bay oyster harvest rebounds", "EXE"),
    ("Oh snap, the deadline moved", "SNAP"),
    ("Hong Kong Bill And Huawei Threaten To Upset The Apple Cart", "AAPL"),
    ("Is Otter Tail Corporation's (NASDAQ:OTTR) High P/E Ratio A Problem?", "NDAQ"),
    ("Nasdaq hits a record close", "NDAQ"),
    ("Cut yourself some slack this weekend", "WORK"),
    ("Tiffany Trump attends the gala", "TIF"),
]


@pytest.mark.parametrize(("text", "ticker"), WRITTEN_NAMES)
def test_names_as_people_write_them_link(annotator: SpacyAnnotator, text: str, ticker: str) -> None:
    assert ticker in _linked(annotator, text)


@pytest.mark.parametrize(("text", "not_ticker"), NOT_THOSE_NAMES)
def test_near_names_do_not_link(annotator: SpacyAnnotator, text: str, not_ticker: str) -> None:
    assert not_ticker not in _linked(annotator, text)


def test_a_partnership_keeps_its_own_symbol(annotator: SpacyAnnotator) -> None:
    assert _linked(annotator, "Hedge Funds Are Buying EQT Midstream Partners LP (EQM)") == {"EQM"}


def test_a_legal_abbreviation_links_with_or_without_its_period(annotator: SpacyAnnotator) -> None:
    assert "VFC" in _linked(annotator, "Vans parent VF Corp. says China stores are closed")
    assert "VFC" in _linked(annotator, "Vans parent VF Corp says China stores are closed")


def test_wells_links_as_a_broker_cutting_a_price_target(annotator: SpacyAnnotator) -> None:
    assert "WFC" in _linked(annotator, "Citing aero ties, Wells slashes PT on Hexcel")
    assert "WFC" not in _linked(annotator, "Oil wells slashed output in Texas")


def test_the_best_buy_idiom_is_not_the_retailer(annotator: SpacyAnnotator) -> None:
    assert _linked(annotator, "Which Athleisure Stock Is the Best Buy Today?") == set()
    assert _linked(annotator, "Best Buy cuts its holiday outlook") == {"BBY"}


def test_unknown_cashtags_can_be_left_unlinked() -> None:
    strict = load_annotator(EntitySettings(link_unknown_cashtags=False))
    assert _linked(strict, "$FRED and $AAPL move") == {"AAPL"}


def test_entity_spans_point_into_the_text(annotator: SpacyAnnotator) -> None:
    text = "Goldman Sachs downgrades Johnson & Johnson; CEO Joaquin Duato in London; shares -3%"
    for e in annotator.annotate_one(text).entities:
        assert e.start is not None and e.end is not None
        assert text[e.start : e.end] == e.text
    assert _linked(annotator, text) == {"GS", "JNJ"}


def test_spacy_ner_entities_are_kept(annotator: SpacyAnnotator) -> None:
    ann = annotator.annotate_one("Apple CEO Tim Cook said in London that revenue rose 5% to $90 billion")
    types = {e.type for e in ann.entities if e.source == "ner"}
    assert {"PERSON", "GPE", "PERCENT", "MONEY"} <= types
    assert all(e.ticker is None for e in ann.entities if e.source == "ner" and e.type != "ORG")


def test_feed_tickers_merge_without_duplicates(annotator: SpacyAnnotator) -> None:
    ann = annotator.annotate(["Apple and Tesla shares rise"], [["AAPL", "msft", "MSFT", "ZZZZ", "tsla"]])[0]
    tickers = _tickers(ann)
    assert sorted(tickers) == ["AAPL", "MSFT", "TSLA", "ZZZZ"]
    by_ticker = {e.ticker: e for e in ann.entities if e.ticker}
    assert by_ticker["AAPL"].source == "ruler" and by_ticker["TSLA"].source == "ruler"
    msft = by_ticker["MSFT"]
    assert msft.source == "feed" and msft.name == "Microsoft" and msft.sector == "Information Technology"
    assert by_ticker["ZZZZ"].source == "feed" and by_ticker["ZZZZ"].name is None


def test_headline_with_no_entity_or_event(annotator: SpacyAnnotator) -> None:
    ann = annotator.annotate_one("markets wait for jobs data")
    assert _tickers(ann) == [] and ann.events == []


def test_batch_keeps_order_and_checks_lengths(annotator: SpacyAnnotator) -> None:
    texts = ["Nvidia rallies", "nothing here", "Pfizer recalls pills"]
    anns = annotator.annotate(texts, [None, None, None])
    assert [_tickers(a) for a in anns] == [["NVDA"], [], ["PFE"]]
    assert annotator.annotate([], []) == []
    with pytest.raises(ValueError):
        annotator.annotate(texts, [None])


def test_unicode_text(annotator: SpacyAnnotator) -> None:
    text = "Nestlé & L’Oréal rally 📈 — Apple’s “Vision Pro” slows; Estée Lauder cuts guidance ünd so weiter"
    ann = annotator.annotate_one(text)
    assert {"AAPL", "EL"} <= set(_tickers(ann))
    assert "guidance_cut" in {e.type for e in ann.events}
    for e in ann.entities:
        assert e.start is not None and e.end is not None and text[e.start : e.end] == e.text


def test_very_long_text(annotator: SpacyAnnotator) -> None:
    filler = "The committee met again and discussed the weather at length. " * 1000
    text = "Quarterly update\n" + filler + "Finally, Boeing announced layoffs."
    ann = annotator.annotate_one(text)
    (boeing,) = [e for e in ann.entities if e.ticker == "BA"]
    assert boeing.start is not None and text[boeing.start : boeing.end] == "Boeing"
    assert boeing.start > 60_000
    assert [e.type for e in ann.events] == ["layoffs"]


def test_annotator_satisfies_the_protocol(annotator: SpacyAnnotator) -> None:
    model: Annotator = annotator
    assert model.name and "rules" in model.version
    out = model.annotate(["Tesla recalls cars"], [["TSLA"]])
    assert isinstance(out[0], Annotation) and all(isinstance(e, Entity) for e in out[0].entities)
    assert [e.ticker for e in out[0].entities if e.ticker] == ["TSLA"]


def test_pipeline_runs_only_what_it_needs(annotator: SpacyAnnotator) -> None:
    assert "parser" not in annotator.nlp.pipe_names and "lemmatizer" not in annotator.nlp.pipe_names
    assert "parser" in annotator.nlp.disabled  # loaded, run only on the docs that need it
    # finsentry's components run after the NER, in the order their rules need (nlp/components.py).
    names = annotator.nlp.pipe_names
    assert "ner" in names
    assert names[names.index("ner") :] == ["ner", "company_ruler", "company_linker", "event_classifier"]


def test_the_components_leave_their_results_on_the_doc(annotator: SpacyAnnotator) -> None:
    text = "Moody's downgrades Ford to junk"
    doc = annotator.nlp(text)
    ann = annotator.annotate_one(text)
    assert [e.ticker for e in doc_entities(doc) if e.ticker] == ["MCO", "F"]
    assert doc_entities(doc) == ann.entities
    assert [event.type for event, _ in doc_events(doc)] == [e.type for e in ann.events] == ["credit_downgrade"]


@pytest.mark.parametrize("example", company_words().examples, ids=lambda ex: str(ex["text"])[:40])
def test_every_example_in_the_word_lists_holds(annotator: SpacyAnnotator, example: dict[str, Any]) -> None:
    linked = _linked(annotator, example["text"])
    assert set(example.get("linked", [])) <= linked
    assert not set(example.get("not_linked", [])) & linked


def test_eval_set_covers_every_type_and_the_traps() -> None:
    items = read_eval(DEFAULT_EVAL)
    assert len(items) >= 200
    assert len({i.id for i in items}) == len(items)
    gold_types = {t for i in items for t in i.events}
    assert set(REQUIRED_TYPES) <= gold_types
    assert sum(1 for i in items if not i.tickers and not i.events) >= 20
    texts = " ".join(i.text for i in items)
    for trap in ("price target", "Harrison Ford", " IT ", "ALL ", " ON ", "A "):
        assert trap in texts, trap
    for split in ("dev", "heldout"):
        assert any(i.split == split for i in items)


def test_evaluate_entities_command_meets_the_targets() -> None:
    from finsentry.cli import app

    result = CliRunner().invoke(app, ["evaluate-entities", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["n"] == len(read_eval(DEFAULT_EVAL))
    assert report["tickers"]["precision"] >= 0.95
    assert report["tickers"]["recall"] >= 0.90
    # Over the types the gold set was annotated with: types added after it (price_drop,
    # problem_solved, price_rise) have no gold rows, so every reading of them counts as false.
    assert report["events_macro_f1_gold_types"] >= 0.85
    assert set(REQUIRED_TYPES) <= set(report["events"])


def test_evaluate_entities_rejects_a_missing_file() -> None:
    from finsentry.cli import app

    result = CliRunner().invoke(app, ["evaluate-entities", "--data", "/nonexistent/eval.jsonl"])
    assert result.exit_code == 2


def test_a_fund_named_after_its_sponsor_is_not_the_sponsor(annotator: SpacyAnnotator) -> None:
    text = "Goldman Sachs MLP and Energy Renaissance Fund declares $0.16 dividend"
    assert "GS" not in _linked(annotator, text)
    assert "GS" in _linked(annotator, "Goldman Sachs and Morgan Stanley cut Tesla")


def test_target_for_and_next_target(annotator: SpacyAnnotator) -> None:
    assert "TGT" in _linked(annotator, "Business owner sues Target for copyright infringement")
    assert "TGT" not in _linked(annotator, "Monte Paschi misses full-year income Target")
    assert "TGT" not in _linked(annotator, "Will Medicines Co Be the Next Target of Novartis?")
    assert "TGT" not in _linked(annotator, "Bank keeps its Target for 2020")


def test_acronyms_that_are_also_symbols(annotator: SpacyAnnotator) -> None:
    assert "MPC" not in _linked(annotator, "MPC Decision: MPC Keeps Rates On Hold")
    assert "PSA" not in _linked(annotator, "PSA trade unions give the nod to merger with Fiat")


def test_a_title_cased_verb_is_not_a_first_name(annotator: SpacyAnnotator) -> None:
    assert "NFLX" in _linked(annotator, "Why I'm Cutting Netflix -- and Millions of Americans Might, Too")


def test_wells_alone_is_the_broker_only_in_a_rating_action(annotator: SpacyAnnotator) -> None:
    assert "WFC" in _linked(annotator, "Owens Corning upgraded at Wells after raising prices")
    assert "WFC" in _linked(annotator, "Wells cuts Netflix to underperform")
    assert "WFC" not in _linked(annotator, "Texas Oil Wells At Risk As Prices Slump")


def test_brands_link_to_the_parent(annotator: SpacyAnnotator) -> None:
    assert "DIS" in _linked(annotator, "Streaming services begin with Netflix, Amazon and Hulu")
    assert "YUM" in _linked(annotator, "KFC is offering a chicken-scented firelog")


@pytest.mark.parametrize(
    ("text", "tickers"),
    [
        ("Hub Group shares fall after freight volumes slump", {"HUBG"}),
        ("$ABM beats on cleaning contracts", {"ABM"}),
        ("ABM Industries (NYSE:ABM) raises its dividend", {"ABM"}),
        ("Cheesecake Factory cuts its outlook", {"CAKE"}),
        ("Boot Barn tops estimates", {"BOOT"}),
        ("Apple Hospitality REIT suspends its dividend", {"APLE"}),
        ("Simply Good Foods raises guidance", {"SMPL"}),
        ("Acadia Healthcare shares plunge on DOJ probe", {"ACHC"}),
        ("Cars.com to cut 10% of jobs", {"CARS"}),
        ("Apogee Enterprises misses estimates", {"APOG"}),
        ("Carter's shares slide on weak sales", {"CRI"}),
        ("Palomar and Kennametal report earnings", {"PLMR", "KMT"}),
        ("Q2 Holdings upgraded at Morgan Stanley", {"QTWO", "MS"}),
    ],
)
def test_small_cap_names_link(annotator: SpacyAnnotator, text: str, tickers: set[str]) -> None:
    assert _linked(annotator, text) == tickers


@pytest.mark.parametrize(
    "text",
    [
        "The airport is a hub for the group's cargo",
        "Swiss National Bank holds rates steady",
        "Q2 earnings season kicks off with the banks",
        "Tom Brady and Bill Gates invest in a startup",
        "Jimmy Carter's legacy on energy policy",
        "Universal basic income trial ends; noble gases and the Alamo",
        "PRA fines the lender for weak controls",
        "FCF rose 10% as CASH and ACT both improved",
        "India MD appointed; HCC shares zoom 7%",
        "Simply good food: grocery outlet prices rise",
        "Stride, Interface and Integer: a design hub",
        "Investors look for a safe, fun way to play the market; YOU can win",
        "Acadia National Park draws record visitors",
    ],
)
def test_small_cap_words_and_phrases_do_not_link(annotator: SpacyAnnotator, text: str) -> None:
    from nlp.companies import SMALLCAP_CSV, read_companies_csv

    smallcap = {c.ticker for c in read_companies_csv(SMALLCAP_CSV)}
    assert not _linked(annotator, text) & smallcap
