"""Write nlp/resources/company_former_names.csv: the names the shipped lists' companies had before.

For maintainers, not run by finsentry: the package below is not a dependency. The source is the
same August 2022 Yahoo Finance snapshot that make_companies_2022.py reads (PyPI package
`worldstock` 0.1.3, MIT, by Lee Gunyoung): for a quote whose company changed its name, Yahoo
gives the name before (`prevName`: "Lumber Liquidators Holdings, Inc." for LL Flooring,
"Mednax, Inc." for Pediatrix, "Quidel Corporation" for QuidelOrtho). News of 2019-2021 names the
company so. Run it again only with a later snapshot, then read the diff and the report:

    PYTHONPATH=. python nlp/resources/make_company_former_names.py /tmp/ws/worldstock-0.1.3/worldstock/dataset/us_yahoo_dataset.csv

A former name is written for a ticker only when:
- a shipped list has the ticker and the quote's name of 2022 is one of the names that list gives
  it, so a symbol another company has had since keeps its own company (AMTD: TD Ameritrade in
  companies_extra.csv, AMTD IDEA Group in the snapshot);
- the former name is not a blank-cheque company's (the SPAC a company merged into: news of the
  SPAC is of a shell, not of the business), and no shipped company has it;
- it passes make_companies_listed.py's checks (`Checks.check_name`), as a short name must: the
  legal name itself is kept when it ends in its company form ("Apache Corporation"), its short
  form only when not a word ("Apache" is left out).
"""

from __future__ import annotations

import argparse
import ast
import csv
import sys
from collections import Counter
from pathlib import Path

from finsentry.settings import EntitySettings
from nlp.companies import load_companies, normalize_ticker
from nlp.entities import company_names
from nlp.resources.make_companies_2022 import SPAC_NAME, name_core
from nlp.resources.make_companies_listed import (
    NOT_COMPANIES,
    Checks,
    ends_in_form,
    listed_short_name,
    name_counts,
    tidy_name,
)

OUT = Path(__file__).resolve().parent / "company_former_names.csv"


def read_renames(path: Path) -> list[tuple[str, str, str]]:
    """(symbol, name in 2022, name before) for every equity quote whose company changed its name."""
    csv.field_size_limit(10**8)  # one column holds a whole quote as text
    out = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if row["quoteType"] != "EQUITY" or "'prevName'" not in row["finance_info"]:
                continue
            prev = ast.literal_eval(row["finance_info"]).get("prevName")
            if prev and row["longName"]:
                out.append((normalize_ticker(row["symbol"]), tidy_name(row["longName"]), tidy_name(prev)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path, help="worldstock's us_yahoo_dataset.csv")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    shipped = load_companies(EntitySettings(), former_names=False)
    own = {c.ticker: {name_core(n) for n in company_names(c)} for c in shipped}
    taken = {name_core(n) for c in shipped for n in company_names(c)}
    first_words, name_words = name_counts(c.name for c in shipped)
    checks = Checks((n for c in shipped for n in company_names(c)), first_words, name_words)
    renames = read_renames(args.snapshot)
    why: Counter[str] = Counter()
    rows: dict[str, dict[str, str]] = {}
    for ticker, now, before in renames:
        if ticker not in own:
            why["a symbol no shipped list has"] += 1
        elif name_core(now) not in own[ticker]:
            why["a symbol a shipped list gives another company"] += 1
        elif SPAC_NAME.search(before) or NOT_COMPANIES.search(before):
            why["a blank-cheque company's or a fund's name"] += 1
        elif name_core(before) in taken:
            why["a name a shipped company has (its own or another's)"] += 1
        else:
            names = [before] if ends_in_form(before) else []
            names += [n for n in dict.fromkeys((before, listed_short_name(before))) if checks.check_name(n) is None]
            names = [n for n in dict.fromkeys(names) if name_core(n) not in taken]
            if not names:
                why["fails the name checks (a word, a symbol's letters, a generic phrase)"] += 1
                continue
            rows[ticker] = {"ticker": ticker, "aliases": ";".join(names), "note": f"{now}, formerly {before}"}
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ticker", "aliases", "note"])
        writer.writeheader()
        writer.writerows(sorted(rows.values(), key=lambda r: r["ticker"]))
    print(f"{len(renames)} renamed quotes in the snapshot -> {len(rows)} tickers in {args.out}", file=sys.stderr)
    for reason, n in why.most_common():
        print(f"  left out, {reason}: {n}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
