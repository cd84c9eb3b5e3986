"""Write nlp/resources/companies_2022.csv: companies listed in the US in 2022 that no other list has.

For maintainers, not run by finsentry: the package below is not a dependency. The source is the
August 2022 snapshot of US-listed symbols and company names (Yahoo Finance quotes: symbol, short
and long name, exchange) that the PyPI package `worldstock` 0.1.3 (MIT, by Lee Gunyoung) bundles
as `worldstock/dataset/us_yahoo_dataset.csv`. It holds companies that were renamed, merged or
delisted before the SEC's 2025 list (companies_listed.csv) was taken, which news of those years
still names ("Adamis Pharmaceuticals", "CymaBay", "SciPlay"). Run it again only if a later
snapshot is worth taking, then read the diff and the report it prints:

    pip download worldstock==0.1.3 --no-deps --no-binary :all: -d /tmp/ws && tar xzf /tmp/ws/*.tar.gz -C /tmp/ws
    apt install wamerican-large    # the dictionary the name checks read
    PYTHONPATH=. python nlp/resources/make_companies_2022.py /tmp/ws/worldstock-0.1.3/worldstock/dataset/us_yahoo_dataset.csv
    PYTHONPATH=. python -m pytest -q tests/nlp/test_companies.py   # the risky-name guard

Every rule of make_companies_listed.py applies unchanged (the same functions): symbols quiet,
short names written out only when they pass the dictionary checks, SPACs, funds and trusts of
securities left out, a registrant whose own name is a word left out. Two more, for old data:
- a symbol or name any shipped list has already (companies_listed.csv included) is left out, so
  a symbol reused since 2022 keeps naming today's company;
- warrants, units and rights (a second quote of one company) are left out: one row per name,
  the shortest symbol kept.
"""

from __future__ import annotations

import argparse
import ast
import csv
import re
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from finsentry.settings import SHIPPED_EXTRA_LISTS, EntitySettings
from nlp.companies import load_companies
from nlp.entities import company_names
from nlp.resources.make_companies_listed import (
    Checks,
    listed_companies,
    listed_short_name,
    name_counts,
    tidy_name,
    write_companies,
)

OUT = Path(__file__).resolve().parent / "companies_2022.csv"
# Yahoo's exchange codes -> the exchanges make_companies_listed.py keeps.
EXCHANGES = {"NMS": "Nasdaq", "NGM": "Nasdaq", "NCM": "Nasdaq", "NAS": "Nasdaq", "NYQ": "NYSE", "ASE": "NYSE"}
# Second quotes of one company, as Yahoo's short name says ("... Warrant", "... Unit").
_SECOND_QUOTE = ("warrant", " unit", " right", "depositary share", "preferred", "notes due", "%")
# Blank-cheque companies (SPACs) as Yahoo writes them, beyond make_companies_listed.py's rule
# (written for the SEC's capitals, "XYZ ACQUISITION CORP"): "Acquisition(s)" anywhere, a series
# number ("Gores Holdings IX, Inc.", "Perception Capital Corp. II"); and any company with units
# on sale (a SPAC's listing is units first), found by its symbol with a unit suffix.
SPAC_NAME = re.compile(
    r"\bAcquisitions?\b|\b(?:II|III|IV|VI|VII|VIII|IX|Viii)\b|"
    r"\b(?:Corp|Corporation|Inc|Ltd|Limited|Co|Company)\.?,?\s+(?:I|\d+)(?:-[A-Z])?$"
)
UNIT_SUFFIXES = ("U", "-UN", ".U")


def name_core(name: str) -> str:
    """A name as compared with the shipped ones: no "The", company form, case or punctuation."""
    return re.sub(r"[^a-z0-9&]+", " ", listed_short_name(name).lower()).removeprefix("the ").strip()


def read_snapshot(path: Path) -> list[dict[str, Any]]:
    """The snapshot's equities as make_companies_listed.py's rows: ticker, exchange, name, cik."""
    csv.field_size_limit(10**8)  # one column holds a whole quote as text
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        quotes = list(csv.DictReader(fh))
    symbols = {row["symbol"] for row in quotes}
    for row in quotes:
        short = (row["shortName"] or "").lower()
        if row["quoteType"] != "EQUITY" or not row["longName"] or any(w in short for w in _SECOND_QUOTE):
            continue
        quote = ast.literal_eval(row["finance_info"]) if row["finance_info"].startswith("{") else {}
        name = tidy_name(row["longName"])
        # The name stands in for the SEC's registrant number: one row per company.
        spac = SPAC_NAME.search(name) is not None or any(row["symbol"] + u in symbols for u in UNIT_SUFFIXES)
        rows.append({"ticker": row["symbol"], "exchange": EXCHANGES.get(quote.get("exchange", "")), "name": name,
                     "cik": name.lower(), "spac": spac})  # fmt: skip
    # The shortest symbol first, so a company's common share is kept before its other quotes.
    return sorted(rows, key=lambda r: len(r["ticker"]))


def snapshot_companies(rows: list[dict[str, Any]], out: Path, read: str, shipped_as: str) -> None:
    """Write the snapshot's companies no earlier shipped list has, checked as make_companies_listed.py checks.

    `rows` as `read_snapshot` gives them. The S&P list and the lists before `shipped_as` (the
    file name the output ships under) in SHIPPED_EXTRA_LISTS are the shipped ones: a symbol or
    name they hold keeps naming their company.
    """
    earlier = list(SHIPPED_EXTRA_LISTS[: SHIPPED_EXTRA_LISTS.index(shipped_as)])
    shipped = load_companies(EntitySettings(extra_companies=earlier), former_names=False)  # made after the lists
    shipped_cores = {name_core(n) for c in shipped for n in company_names(c)}
    early: Counter[str] = Counter()
    kept = []
    for r in rows:
        if r["spac"]:
            early["a SPAC (its name, or units on sale)"] += 1
        elif name_core(r["name"]) in shipped_cores:
            early['already shipped (by name; "The", case and company form aside)'] += 1
        else:
            kept.append(r)
    # Name counts over the snapshot and every shipped company, so a first word two companies
    # share is caught whichever list holds them.
    first_words, name_words = name_counts([*(r["name"] for r in rows), *(c.name for c in shipped)])
    checks = Checks((n for c in shipped for n in company_names(c)), first_words, name_words)
    companies, why = listed_companies(kept, checks, set(shipped.tickers()))
    why.update(early)
    write_companies(out, companies, why, read)


def snapshot_cli(
    argv: list[str] | None,
    *,
    doc: str,
    source_help: str,
    read_rows: Callable[[Path], list[dict[str, Any]]],
    what: str,
    out: Path,
) -> int:
    """The command line both snapshot generators share: read the source, write `out` (or --out)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("source", type=Path, help=source_help)
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args(argv)
    rows = read_rows(args.source)
    snapshot_companies(rows, args.out, f"{len(rows)} {what}", out.name)
    return 0


def main(argv: list[str] | None = None) -> int:
    return snapshot_cli(argv, doc=__doc__, source_help="worldstock's us_yahoo_dataset.csv", read_rows=read_snapshot,
                        what="equities in the snapshot", out=OUT)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
