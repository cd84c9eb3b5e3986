"""Company list, watchlist and the event taxonomy: the reference data the annotator links to."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from finsentry.settings import EntitySettings
from nlp.annotator import load_annotator
from nlp.companies import (
    ALIASES_CSV,
    EXTRA_CSV,
    SHIPPED_CSV,
    CompanyDirectory,
    load_companies,
    normalize_ticker,
    read_companies_csv,
    read_watchlist,
)
from nlp.entities import company_names
from nlp.taxonomy import EVENT_TYPES, REQUIRED_TYPES


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
    assert [e.type for e in ann.events] == ["recall"]


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
    without = load_companies(EntitySettings(extra_companies=False))
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
    # Aliases live only in company_aliases.csv: neither shipped company list carries any.
    assert not any(c.aliases for path in (SHIPPED_CSV, EXTRA_CSV) for c in read_companies_csv(path))
    with ALIASES_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    listed = {c.ticker for path in (SHIPPED_CSV, EXTRA_CSV) for c in read_companies_csv(path)}
    tickers = Counter(normalize_ticker(row["ticker"]) for row in rows)
    assert [t for t, n in tickers.items() if n > 1] == [], "a ticker with two rows"
    assert sorted(set(tickers) - listed) == [], "aliases of a ticker in neither list"
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
