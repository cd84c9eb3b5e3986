"""Company list, watchlist and the event taxonomy: the reference data the annotator links to."""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from finsentry.settings import SHIPPED_EXTRA_LISTS, EntitySettings, Settings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.companies import (
    ALIASES_CSV,
    EXTRA_CSV,
    FORMER_NAMES_CSV,
    LISTED_2020_CSV,
    LISTED_2022_CSV,
    LISTED_CSV,
    SHIPPED_CSV,
    SMALLCAP_CSV,
    CompanyDirectory,
    load_companies,
    normalize_ticker,
    read_companies_csv,
    read_watchlist,
)
from nlp.company_words import company_words
from nlp.entities import company_names
from nlp.taxonomy import EVENT_TYPES, REQUIRED_TYPES
from nlp.training import base_model_path

SHIPPED_LISTS = (SHIPPED_CSV, EXTRA_CSV, SMALLCAP_CSV)


def test_shipped_sp500_list_loads_with_names_and_sectors() -> None:
    directory = load_companies(EntitySettings())
    assert len(directory) > 490
    apple = directory.get("AAPL")
    assert apple is not None and apple.name.startswith("Apple") and apple.sector == "Information Technology"
    assert directory.get("aapl") == apple
    assert directory.get("NOPE") is None
    assert "MSFT" in directory and "NOPE" not in directory
    assert SHIPPED_CSV.exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("brk-b", "BRK.B"), ("$BRK/B", "BRK.B"), (" brk.b ", "BRK.B"), ("$aapl", "AAPL"), ("GOOGL", "GOOGL")],
)
def test_ticker_spellings_normalise_to_one(raw: str, expected: str) -> None:
    assert normalize_ticker(raw) == expected


def test_share_class_suffix_lookup() -> None:
    directory = load_companies(EntitySettings())
    assert directory.get("BRK-B") is not None
    assert directory.get("$brk/b") == directory.get("BRK.B")


def test_watchlist_file_formats(tmp_path: Path) -> None:
    path = tmp_path / "watch.txt"
    path.write_text("# my list\nAAPL, msft\n$tsla   brk-b  # comment\n\nticker\n", encoding="utf-8")
    assert read_watchlist(path) == ["AAPL", "MSFT", "TSLA", "BRK.B"]
    directory = load_companies(EntitySettings(watchlist=path))
    assert directory.in_watchlist("aapl") and directory.in_watchlist("BRK/B")
    assert not directory.in_watchlist("XOM")
    assert directory.watchlist == frozenset({"AAPL", "MSFT", "TSLA", "BRK.B"})
    assert {t for t in directory.tickers() if directory.in_watchlist(t)} == {"AAPL", "MSFT", "TSLA", "BRK.B"}


def test_no_watchlist_means_nothing_weighs_more() -> None:
    directory = load_companies(EntitySettings())
    assert directory.watchlist == frozenset()
    assert not directory.in_watchlist("AAPL")


def test_user_csv_replaces_the_list_and_its_aliases_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text(
        "ticker,name,sector,aliases\nACME,Acme Widgets Inc.,Industrials,Acme;Roadrunner Traps\nZZZ,Zeta Zoo,,\n",
        encoding="utf-8",
    )
    directory = load_companies(EntitySettings(companies_csv=path))
    assert len(directory) == 2
    acme = directory.get("ACME")
    assert acme is not None and acme.sector == "Industrials" and "Roadrunner Traps" in acme.aliases
    zeta = directory.get("ZZZ")
    assert zeta is not None and zeta.sector is None

    annotator = load_annotator(EntitySettings(companies_csv=path))
    ann = annotator.annotate_one("Roadrunner Traps recalls rockets; Acme Widgets Inc. and Apple unaffected")
    linked = [(e.ticker, e.name) for e in ann.entities if e.ticker]
    assert ("ACME", "Acme Widgets Inc.") in linked
    assert all(t != "AAPL" for t, _ in linked), "the S&P list is replaced, not extended"
    assert [e.type for e in ann.events] == ["recall", "spared"]


def test_csv_without_required_columns_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.csv"):
        load_companies(EntitySettings(companies_csv=path))


def test_rows_without_ticker_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Symbol,Security,GICS Sector\n,No Ticker,Energy\nXOM,Exxon Mobil,Energy\n", encoding="utf-8")
    directory = load_companies(EntitySettings(companies_csv=path))
    assert [c.ticker for c in directory] == ["XOM"]


def test_directory_keeps_first_of_duplicate_tickers() -> None:
    from nlp.companies import Company

    d = CompanyDirectory([Company("X", "First"), Company("x", "Second")])
    got = d.get("X")
    assert len(d) == 1 and got is not None and got.name == "First"


def test_taxonomy_covers_the_issue_and_orders_severity() -> None:
    assert set(REQUIRED_TYPES) <= set(EVENT_TYPES)
    for event_id, event_type in EVENT_TYPES.items():
        assert event_type.id == event_id
        assert 0.0 <= event_type.severity <= 1.0
        assert event_type.description
    sev = {k: v.severity for k, v in EVENT_TYPES.items()}
    assert sev["bankruptcy"] == 1.0
    assert sev["bankruptcy"] > sev["default"] > sev["fraud_allegation"] > sev["lawsuit"] > sev["downgrade"]
    # Good news sits below every bad-news type.
    good = ("upgrade", "earnings_beat", "guidance_raise", "dividend_raise", "price_target_raise")
    bad = [t for t in REQUIRED_TYPES if t not in good]
    assert max(sev[g] for g in good) < min(sev[b] for b in bad)


def test_the_shipped_extra_list_adds_well_known_companies_outside_the_sp500() -> None:
    with_extra = load_companies(EntitySettings())
    without = load_companies(EntitySettings(extra_companies=[]))
    assert EXTRA_CSV.exists()
    assert "KSS" in with_extra and "KSS" not in without
    # Every S&P row is kept as it is: the extra list only adds.
    assert all(with_extra.get(c.ticker) == c for c in without)
    annotator = load_annotator(EntitySettings())
    assert "KSS" in {e.ticker for e in annotator.annotate_one("Kohl's cuts its annual profit forecast").entities}


def test_quiet_symbols_link_only_where_written_as_symbols(tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text(
        "ticker,name,sector,aliases,quiet\nSAVE,Spirit Airlines Inc.,Industrials,Spirit Airlines,1\n"
        "ACME,Acme Widgets Inc.,Industrials,,0\n",
        encoding="utf-8",
    )
    annotator = load_annotator(EntitySettings(companies_csv=path))

    def linked(text: str) -> set[str]:
        return {e.ticker for e in annotator.annotate_one(text).entities if e.ticker}

    assert linked("SAVE MONEY ON FLIGHTS: ACME AND OTHERS") == set()
    assert linked("How to SAVE on fees") == set()
    assert linked("Spirit Airlines Inc. (NYSE:SAVE) cuts routes") == {"SAVE"}
    assert linked("ACME jumps on contract win") == {"ACME"}


def test_a_list_without_short_names_matches_only_the_names_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "companies.csv"
    path.write_text("ticker,name,sector,aliases\nGPS,Gap Inc.,Consumer Discretionary,Gap Inc\n", encoding="utf-8")
    (gap,) = read_companies_csv(path, short_names=False)
    assert "Gap" not in company_names(gap) and "Gap Inc" in company_names(gap)
    (derived,) = read_companies_csv(path)
    assert "Gap" in company_names(derived)


def test_every_alias_has_one_home_and_points_at_a_listed_company() -> None:
    # Aliases of the hand-made lists live only in company_aliases.csv: no such list carries any
    # (the generated companies_listed.csv carries its own checked ones, tested below).
    assert not any(c.aliases for path in SHIPPED_LISTS for c in read_companies_csv(path))
    with ALIASES_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    listed = {c.ticker for path in SHIPPED_LISTS for c in read_companies_csv(path)}
    tickers = Counter(normalize_ticker(row["ticker"]) for row in rows)
    assert [t for t, n in tickers.items() if n > 1] == [], "a ticker with two rows"
    assert sorted(set(tickers) - listed) == [], "aliases of a ticker in no shipped list"
    seen: dict[str, str] = {}  # alias, lower-cased -> ticker
    for row in rows:
        names = [a.strip() for a in row["aliases"].split(";") if a.strip()]
        assert names, f"{row['ticker']}: a row without aliases"
        assert len(set(names)) == len(names), f"{row['ticker']}: an alias written twice"
        for name in names:
            # Spellings that differ only in case ("Nvidia", "NVIDIA") may be one company's, never two's.
            owner = seen.setdefault(name.lower(), row["ticker"])
            assert owner == row["ticker"], f"{name!r} is an alias of both {owner} and {row['ticker']}"


def test_shipped_aliases_attach_to_the_loaded_lists() -> None:
    directory = load_companies(EntitySettings())
    googl, baba = directory.get("GOOGL"), directory.get("BABA")
    assert googl is not None and "YouTube" in googl.aliases
    assert baba is not None and baba.aliases == ("Alibaba", "Alibaba Group")
    assert "Google" in company_names(googl)


def test_former_names_attach_to_the_shipped_lists_only(tmp_path: Path) -> None:
    with FORMER_NAMES_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    directory = load_companies(EntitySettings())
    # Every row names a shipped company, once, and no former name is another company's name.
    assert len({row["ticker"] for row in rows}) == len(rows)
    assert all(row["ticker"] in directory for row in rows)
    ll = directory.get("LL")
    assert ll is not None and "Lumber Liquidators" in ll.aliases
    without = load_companies(EntitySettings(), former_names=False).get("LL")
    assert without is not None and "Lumber Liquidators" not in without.aliases
    # A user's list may give the symbol to another company: no former name is attached there.
    mine = tmp_path / "mine.csv"
    mine.write_text("ticker,name\nLL,Lucky Lanes Inc\n", encoding="utf-8")
    lucky = load_companies(EntitySettings(companies_csv=mine)).get("LL")
    assert lucky is not None and lucky.aliases == ()


def test_the_extra_lists_setting_names_the_lists_and_keeps_true_and_false(monkeypatch: pytest.MonkeyPatch) -> None:
    assert EntitySettings().extra_companies == list(SHIPPED_EXTRA_LISTS)
    assert EntitySettings(extra_companies=True).extra_companies == list(SHIPPED_EXTRA_LISTS)
    assert EntitySettings(extra_companies=False).extra_companies == []
    for raw, want in (
        ("false", []),
        ("true", list(SHIPPED_EXTRA_LISTS)),
        ('["companies_extra.csv"]', ["companies_extra.csv"]),
        ("companies_smallcap.csv, /data/mine.csv", ["companies_smallcap.csv", "/data/mine.csv"]),
        ("True", list(SHIPPED_EXTRA_LISTS)),
    ):
        monkeypatch.setenv("FINSENTRY_ENTITIES__EXTRA_COMPANIES", raw)
        assert Settings(_env_file=None).entities.extra_companies == want, raw
    only_extra = load_companies(EntitySettings(extra_companies=["companies_extra.csv"]))
    assert "KSS" in only_extra and "HUBG" not in only_extra


def test_the_small_cap_list_adds_companies_outside_both_other_lists(tmp_path: Path) -> None:
    smallcap = read_companies_csv(SMALLCAP_CSV)
    assert len(smallcap) > 500
    earlier = {c.ticker for path in (SHIPPED_CSV, EXTRA_CSV) for c in read_companies_csv(path)}
    assert not {c.ticker for c in smallcap} & earlier
    sectors = {c.sector for c in read_companies_csv(SHIPPED_CSV)}
    assert {c.sector for c in smallcap} <= sectors | {None}
    directory = load_companies(EntitySettings())
    hub = directory.get("HUBG")
    assert hub is not None and hub.name == "Hub Group" and hub.sector == "Industrials" and not hub.quiet
    assert {t for t in ("ABM", "CAKE", "YOU", "FCF", "GO") if (c := directory.get(t)) and c.quiet} == {
        "ABM",
        "CAKE",
        "YOU",
        "FCF",
        "GO",
    }
    # A list named by path loads like a shipped one, short names derived.
    path = tmp_path / "mine.csv"
    path.write_text("ticker,name,sector,quiet\nACME,Acme Widgets Inc.,Industrials,0\n", encoding="utf-8")
    mine = load_companies(EntitySettings(extra_companies=[str(path)]))
    acme = mine.get("ACME")
    assert acme is not None and "Acme Widgets" in company_names(acme) and "HUBG" not in mine


# Small-cap names the checks below flag that, capitalised in a headline, name the company (WD-40
# is its own product): each read and kept.
_REVIEWED_NAMES = {"Kennametal", "Koppers", "WaFd", "WD-40"}
# Small-cap names made of words that news writes in lower case ("Select Medical", "Hub Group"):
# each read and kept, the rest are dropped or context-only in company_words.yaml.
_REVIEWED_PHRASES = {
    "Cable One",
    "City Holding Company",
    "Clear Secure",
    "Community Bank System",
    "Community Financial System",
    "Federal Signal",
    "Forward Air",
    "Healthcare Services Group",
    "Hub Group",
    "Liquidity Services",
    "National Bank Holdings",
    "National Beverage",
    "National HealthCare",
    "National Vision Holdings",
    "Park National",
    "Preferred Bank",
    "Progress Software",
    "Safety Insurance Group",
    "Select Medical",
    "Summit Hotel Properties",
    "Ultra Clean Holdings",
    "Victory Capital",
}


@cache
def _tweet_words() -> Counter[str]:
    """How often the repository's tweets write each word in lower case (a word, not a name)."""
    tweets_dir = Path(__file__).resolve().parents[2] / "nlp" / "resources" / "twitter_financial_news"
    tweets = [row["text"] for f in ("train.csv", "valid.csv") for row in csv.DictReader((tweets_dir / f).open())]
    return Counter(w for t in tweets for w in re.findall(r"[A-Za-z]+", t) if w.islower())


@cache
def _spacy_strings() -> frozenset[str]:
    import spacy

    return frozenset(spacy.load(EntitySettings().spacy_model).vocab.strings)


def test_no_small_cap_name_is_a_word_or_a_generic_phrase() -> None:
    """The names the small-cap list links by must not be words: its names come from a package.

    A one-word name is a word when spaCy's vocabulary or the sentiment model's word list (the
    30,522 word pieces of MiniLM, whole words and common names) knows it in lower case; an
    all-capitals name of five letters or fewer reads as a symbol, and then must be the company's
    own, not quiet, symbol ("JBT" of JBT Corporation, now JBTM, would turn "(NYSE:JBT)" into
    JBTM; "PRA" of PRA Group is the UK regulator); a longer name is a generic phrase when news writes each of its words in lower case
    (the repo's tweets). Such a name must be dropped (company_words.yaml drop_short_names),
    held to context (context_only) or read and listed above.
    """
    vocab = _spacy_strings()
    pieces = set((base_model_path() / "vocab.txt").read_text(encoding="utf-8").split())
    common = {w for w, n in _tweet_words().items() if n >= 3}
    words = company_words()
    directory = load_companies(EntitySettings())
    quiet = {c.ticker for c in directory if c.quiet} | words.wordlike_tickers
    risky = []
    for company in read_companies_csv(SMALLCAP_CSV):
        loaded = directory.get(company.ticker)
        assert loaded is not None
        for name in company_names(loaded):
            if name in words.context_only or name in _REVIEWED_NAMES | _REVIEWED_PHRASES:
                continue
            bare = name.replace("’", "'").removesuffix("'s")
            if " " not in name and name.isupper() and len(name) <= 5:
                # Written like a symbol, it is read as one: only the company's own, not quiet.
                if name != company.ticker or name in quiet:
                    risky.append(f"{company.ticker}: {name!r} (symbol-like)")
            elif " " not in name and (bare.lower() in vocab or bare.lower() in pieces or len(bare) <= 2):
                risky.append(f"{company.ticker}: {name!r} (a word)")
            elif " " in name and all(len(w) > 2 and w.lower() in common for w in re.findall(r"[A-Za-z]+", name)):
                risky.append(f"{company.ticker}: {name!r} (a generic phrase)")
    assert risky == [], "names to drop, hold to context or review:\n" + "\n".join(risky)


def test_the_listed_companies_add_registrants_outside_the_other_lists_symbols_quiet() -> None:
    listed = read_companies_csv(LISTED_CSV)
    assert len(listed) > 5000
    earlier = {c.ticker for path in SHIPPED_LISTS for c in read_companies_csv(path)}
    assert not {c.ticker for c in listed} & earlier
    assert all(c.quiet for c in listed)
    directory = load_companies(EntitySettings())
    varonis = directory.get("VRNS")
    assert varonis is not None and varonis.quiet and not varonis.derive_short_name
    assert set(company_names(varonis)) >= {"Varonis", "Varonis Systems"}
    # The hand-made lists' companies are untouched by it.
    apple = directory.get("AAPL")
    assert apple is not None and apple.derive_short_name and "Apple" in company_names(apple)


@pytest.mark.parametrize(
    ("path", "earlier_lists", "example"),
    [
        (LISTED_2022_CSV, (LISTED_CSV,), ("CBAY", "CymaBay")),
        (LISTED_2020_CSV, (LISTED_CSV, LISTED_2022_CSV), ("WLL", "Whiting Petroleum")),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_the_snapshot_lists_add_only_companies_no_earlier_list_has_symbols_quiet(
    path: Path, earlier_lists: tuple[Path, ...], example: tuple[str, str]
) -> None:
    snapshot = read_companies_csv(path)
    assert len(snapshot) > 1000
    earlier = [c for p in (*SHIPPED_LISTS, *earlier_lists) for c in read_companies_csv(p)]
    assert not {c.ticker for c in snapshot} & {c.ticker for c in earlier}
    # Nor a company another list has under another symbol ("The Bank of New York Mellon" was BK
    # in 2022; the S&P list has it as BNY, with that name among its aliases).
    loaded = load_companies(EntitySettings(), former_names=False)
    new_tickers = {c.ticker for c in snapshot}
    earlier_names = {n.lower() for c in loaded if c.ticker not in new_tickers for n in company_names(c)}
    assert [c.name for c in snapshot if c.name.lower().removeprefix("the ") in earlier_names] == []
    assert all(c.quiet for c in snapshot)
    # No blank-cheque company: it names no business news reports on.
    assert [c.name for c in snapshot if re.search(r"\bAcquisitions?\b", c.name)] == []
    ticker, name = example
    company = loaded.get(ticker)
    assert company is not None and not company.derive_short_name and name in company_names(company)


@pytest.mark.parametrize("path", [LISTED_CSV, LISTED_2022_CSV, LISTED_2020_CSV], ids=lambda p: p.name)
def test_no_listed_short_name_is_a_word_a_first_name_or_a_generic_phrase(path: Path) -> None:
    """The generators checked each short name against a dictionary as well; here the checks that
    need nothing outside the repo run again: spaCy's vocabulary in lower case, the words the
    tweets write in lower case, the first names, and no short name shared by two companies."""
    vocab = {w for w in _spacy_strings() if w.islower()}
    lower = _tweet_words()
    common = {w for w, n in lower.items() if n >= 3}
    first_names = {n.lower() for n in company_words().first_names}
    owners: dict[str, str] = {}
    risky = []
    for company in read_companies_csv(path):
        for alias in company.aliases:
            assert owners.setdefault(alias.lower(), company.ticker) == company.ticker, f"{alias!r} twice"
            bare = alias.replace("’", "'").removesuffix("'s").lower()
            if " " not in alias and (bare in vocab or bare in lower or bare in first_names or len(bare) < 4):
                risky.append(f"{company.ticker}: {alias!r} (a word)")
            elif " " in alias and all(len(w) <= 2 or w.lower() in common for w in re.findall(r"[A-Za-z]+", alias)):
                risky.append(f"{company.ticker}: {alias!r} (a generic phrase)")
    assert risky == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Varonis -6% on wider-than-expected loss forecast", {"VRNS"}),
        ("Varonis CEO steps down", {"VRNS"}),
        ("Varonis Beats Estimates, Raises Outlook", {"VRNS"}),  # Title Case: capitals say nothing
        ("Gulfport Energy to cut jobs", {"GPOR"}),
        # near misses: a short name read and found to name others too ("Cabot" alone), a symbol
        # not written as one; the full name is companies_2020.csv's
        ("Cabot Microelectronics tanks on soft guidance", {"CCMP"}),
        ("Cabot tanks on soft guidance", set()),
        ("Cabot Corp raises its dividend", {"CBT"}),
        ("VRNS falls 6% on forecast", set()),
        ("$VRNS falls 6% on forecast", {"VRNS"}),
        # companies_2022.csv: listed in 2022, renamed, merged or delisted before the SEC's list
        ("CymaBay Therapeutics plunges after trial halt", {"CBAY"}),
        ("SciPlay shares jump on buyout offer", {"SCPL"}),
        ("ADMP falls 20%", set()),
        ("$ADMP falls 20%", {"ADMP"}),
        ("Astra Space launch fails", {"ASTR"}),
        ("Europe stocks dip ; Astra Zeneca rejection of Pfizer takeover bid weighs in", {"PFE"}),
        ("Bank of New York Mellon misses", {"BNY"}),
        # companies_2020.csv: quoted in 2019-2020, gone before 2022; a symbol reused since names
        # today's company (AKTS), a name the review found to mean others is not linked
        ("Whiting Petroleum files for bankruptcy", {"WLL"}),
        # company_former_names.csv: the name a company had before its rename, under its later symbol
        ("Lumber Liquidators CEO resigns", {"LL"}),
        ("Mednax upgraded to buy from hold", {"MD"}),
        ("Akoustis down 13% on pricing equity offering", set()),
        ("Gazprom signs transit deal with Ukraine", set()),
        ("Gazprom Neft PAO raises output", {"GZPFY"}),
    ],
)
def test_listed_companies_link_by_their_checked_names_and_cashtags_only(text: str, expected: set[str]) -> None:
    annotator = _default_annotator()
    assert {e.ticker for e in annotator.annotate_one(text).entities if e.ticker} == expected


@cache
def _default_annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())
