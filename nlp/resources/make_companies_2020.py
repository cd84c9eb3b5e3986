"""Write nlp/resources/companies_2020.csv: US-quoted companies of about 2020 that no other list has.

For maintainers, not run by finsentry: the package below is not a dependency. The source is the
table of stocks that the PyPI package `investpy` 1.0.8 (MIT, by Alvaro Bartolome) bundles as
`investpy/resources/stocks.csv`: Investing.com's quotes as that package collected them in
2019-2021 (country, name, full name, ISIN, currency, symbol). Only its "united states" rows are
read. They hold the companies news of 2019-2020 names that had gone (taken over, bankrupt,
delisted) before the 2022 snapshot of companies_2022.csv: "Intelsat", "Akoustis Technologies",
"Whiting Petroleum", "Zayo Group", "Perspecta", "Covanta". Run it again only if a later copy of the
table is worth taking, then read the diff and the report it prints:

    pip download investpy==1.0.8 --no-deps --no-binary :all: -d /tmp/ipy && tar xzf /tmp/ipy/*.tar.gz -C /tmp/ipy
    apt install wamerican-large    # the dictionary the name checks read
    PYTHONPATH=. python nlp/resources/make_companies_2020.py /tmp/ipy/investpy-1.0.8/investpy/resources/stocks.csv
    PYTHONPATH=. python -m pytest -q tests/nlp/test_companies.py   # the risky-name guard

The rules of make_companies_2022.py apply unchanged (the same function, `snapshot_companies`): a
symbol or name any earlier list has is left out, so a symbol reused since 2020 keeps naming
today's company and a company renamed since keeps only its later name (Lumber Liquidators, LL,
is LL Flooring of the 2022 list: the old name is not added, because from the table alone a rename
cannot be told from a symbol reused by another company, as AKTS, Akoustis then, Aktis Oncology
now). Two more, for this table:
- the quote's kind is cut off the name ("Rheinmetall AG ADR", "Liberty Global PLC Class C",
  "MS&AD Insurance Group Holdings PK"), so one company's quotes share one name and the shortest
  symbol is kept;
- preferred shares and symbols in the table's own class notation ("BRKb") are left out.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from typing import Any

from nlp.resources.make_companies_2022 import SPAC_NAME, snapshot_cli
from nlp.resources.make_companies_listed import tidy_name

OUT = Path(__file__).resolve().parent / "companies_2020.csv"
COUNTRY = "united states"
# The kind of quote the table appends to a company's name.
_QUOTE_KIND = re.compile(r"(?:\s+(?:ADR|ADS|Ads|PK|Class [A-Z]|Series [A-Z]|Units?|Ordinary Shares?))+$")
_PREFERRED = re.compile(r"\bPref(?:erred)?\b|%")
# The exchange listed_companies() wants: the table gives none, only that the quote is American.
EXCHANGE = "US"


def read_table(path: Path) -> list[dict[str, Any]]:
    """The table's American equities as make_companies_listed.py's rows: ticker, exchange, name, cik."""
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["country"] != COUNTRY or _PREFERRED.search(row["full_name"]):
                continue
            name = tidy_name(_QUOTE_KIND.sub("", row["full_name"]))
            # The name stands in for the SEC's registrant number: one row per company.
            rows.append({"ticker": row["symbol"], "exchange": EXCHANGE, "name": name, "cik": name.lower(),
                         "spac": SPAC_NAME.search(name) is not None})  # fmt: skip
    # The shortest symbol first, so a company's common share is kept before its other quotes.
    return sorted(rows, key=lambda r: len(r["ticker"]))


def main(argv: list[str] | None = None) -> int:
    return snapshot_cli(argv, doc=__doc__, source_help="investpy's resources/stocks.csv", read_rows=read_table,
                        what="American equities in the table", out=OUT)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
