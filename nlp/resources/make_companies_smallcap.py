"""Write nlp/resources/companies_smallcap.csv from the index lists of the `pytickersymbols` package.

For maintainers, not run by finsentry: the package is not a dependency. Run it again when the
package has a newer release, then read the diff (and nlp/resources/companies_smallcap.md):

    pip download pytickersymbols==1.17.10 --no-deps -d /tmp/ptk
    PYTHONPATH=. python nlp/resources/make_companies_smallcap.py /tmp/ptk/pytickersymbols-1.17.10-py3-none-any.whl
    PYTHONPATH=. python -m pytest -q tests/nlp/test_companies.py   # the risky-alias guard

The wheel is read in place (a wheel is a zip file Python can import from); an installed package
works too (give no path). Every US index the package bundles is read (S&P 600 first, then the
NASDAQ-100, S&P 500, S&P 100 and Dow Jones); a company is written when neither its ticker nor
its name is in the S&P 500 list or companies_extra.csv already (a company there under an older
ticker, such as Six Flags as SIX, keeps that row). The choices the package cannot make are
below as data: name corrections, the symbols that are words or abbreviations (`quiet`), and
the sector of free-text industries.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from finsentry.settings import EntitySettings
from nlp.companies import EXTRA_CSV, SHIPPED_CSV, load_companies, normalize_ticker
from nlp.company_words import company_words
from nlp.entities import company_names, short_name

OUT = Path(__file__).resolve().parent / "companies_smallcap.csv"
INDICES = ("S&P 600", "NASDAQ 100", "S&P 500", "S&P 100", "DOW JONES")

# The package's names come from Wikipedia article titles: some name a bank subsidiary, a former
# name or a brand. Corrected here to the listed company's legal name as of 2025, or to a form
# whose derived short name is not a word ("NOW Inc" would make every upper-case NOW the company).
# A former name news used goes to company_aliases.csv only where the ticker stayed the same
# (MetaBank, CASH): "CONSOL Energy" was CEIX and "Harsco" HSC, and linking their old names to the
# new symbols would name one company twice beside a cashtag of the old one.
NAMES = {
    "AMN": "AMN Healthcare Services, Inc.",
    "AUB": "Atlantic Union Bankshares Corporation",
    "BANR": "Banner Corporation",
    "BKE": "The Buckle, Inc.",
    "BL": "BlackLine, Inc.",
    "CASH": "Pathward Financial, Inc.",
    "CBU": "Community Financial System, Inc.",
    "CCEP": "Coca-Cola Europacific Partners PLC",
    "CFFN": "Capitol Federal Financial, Inc.",
    "CNR": "Core Natural Resources, Inc.",
    "CRI": "Carter's, Inc.",
    "CTRA": "Coterra Energy Inc.",
    "DCOM": "Dime Community Bancshares, Inc.",
    "DNOW": "DNOW Inc.",
    "DORM": "Dorman Products, Inc.",
    "EGBN": "Eagle Bancorp, Inc.",
    "ETD": "Ethan Allen Interiors Inc.",
    "FCF": "First Commonwealth Financial Corporation",
    "FER": "Ferrovial SE",
    "FHB": "First Hawaiian, Inc.",
    "FIZZ": "National Beverage Corp.",
    "GOGO": "Gogo Inc.",
    "GOLF": "Acushnet Holdings Corp.",
    "GTES": "Gates Industrial Corporation plc",
    "HAFC": "Hanmi Financial Corporation",
    "HOPE": "Hope Bancorp, Inc.",
    "INSM": "Insmed Incorporated",
    "JXN": "Jackson Financial Inc.",
    "KW": "Kennedy-Wilson Holdings, Inc.",
    "LXP": "LXP Industrial Trust",
    "MNRO": "Monro, Inc.",
    "NBTB": "NBT Bancorp Inc.",
    "NE": "Noble Corporation plc",
    "NHC": "National HealthCare Corporation",
    "NVRI": "Enviri Corporation",
    "NWBI": "Northwest Bancshares, Inc.",
    "PFS": "Provident Financial Services, Inc.",
    "PLUS": "ePlus Inc.",
    "PRDO": "Perdoceo Education Corporation",
    "PRK": "Park National Corporation",
    "RNST": "Renasant Corporation",
    "SFNC": "Simmons First National Corporation",
    "SHOO": "Steve Madden, Ltd.",
    "TRMK": "Trustmark Corporation",
    "TRST": "TrustCo Bank Corp NY",
    "TWI": "Titan International, Inc.",
    "UCB": "United Community Banks, Inc.",
    "VRE": "Veris Residential, Inc.",
    "VSAT": "Viasat, Inc.",
    "WABC": "Westamerica Bancorporation",
    "WAFD": "WaFd, Inc.",
    "WLY": "John Wiley & Sons, Inc.",
    "WOR": "Worthington Enterprises, Inc.",
    "WSFS": "WSFS Financial Corporation",
}

# Symbols that are English words or names read as words ("CAKE", "YOU", "JOE"): quiet.
WORD_SYMBOLS = """
    ACT ADAM AGO AIR ALEX AVA BOOT CAKE CALM CARS CASH CENT CHEF CON CURB DAN DORM EAT EYE FORM FUN GEO GOLF HOPE
    INN JOE MAN MIR NEO OUT PECO PENG PLAY PLUS PRIM RAMP REX ROCK SAFE SHEN SHOO SKY STEP TILE TWO UNIT WAY YOU
""".split()
# Symbols that are abbreviations common in news ("FCF" free cash flow, "DEA", "LPG", "KMT" the
# Kuomintang, "PRA" the UK regulator, "HNI" high-net-worth individual in Indian news): quiet.
ABBREVIATION_SYMBOLS = """
    ABG ABM ACA AMR ARR BCC BHE BMI BRC CCS CNS CPF CRC CSR DEA DEI ECG EPC ETD FCF FDP HCC HNI KGS KMT LPG MBC MRP
    MTH NHC NPK NPO PRA RES RNG SKT STC TDS TMP TWI UCB WWW
""".split()

# Free-text industries of the package (or GICS sub-industries) -> GICS sector, where the package
# names no sector itself. Anything else leaves the sector empty.
INDUSTRY_SECTORS = {
    "banking": "Financials",
    "finance": "Financials",
    "financial services": "Financials",
    "insurance": "Financials",
    "investment management": "Financials",
    "asset management": "Financials",
    "real estate investment trust": "Real Estate",
    "real estate": "Real Estate",
    "healthcare": "Health Care",
    "biotechnology": "Health Care",
    "pharmaceutical": "Health Care",
    "pharmaceutical industry": "Health Care",
    "medical devices": "Health Care",
    "semiconductor": "Information Technology",
    "semiconductors": "Information Technology",
    "software": "Information Technology",
    "petroleum industry": "Energy",
    "oil and gas": "Energy",
    "telecommunications": "Communication Services",
    "restaurant": "Consumer Discretionary",
    "restaurants": "Consumer Discretionary",
    "education": "Consumer Discretionary",
    "automotive": "Consumer Discretionary",
    "soft drinks": "Consumer Staples",
}

_WIKI_NOTE = re.compile(r"\s*\((?!Class [A-Z]\))[^)]*\)")


def _load_package(wheel: str | None) -> Any:
    if wheel:
        sys.path.insert(0, wheel)
    from pytickersymbols import PyTickerSymbols

    return PyTickerSymbols()


def _sectors() -> tuple[set[str], dict[str, str]]:
    """The GICS sectors and sub-industry -> sector, as the S&P file spells them."""
    with SHIPPED_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {r["GICS Sector"] for r in rows}, {r["GICS Sub-Industry"].lower(): r["GICS Sector"] for r in rows}


def sector_of(industries: Iterable[str], sectors: set[str], sub_industries: dict[str, str]) -> str:
    industries = [i.strip() for i in industries]
    for table in ({s.lower(): s for s in sectors}, sub_industries, INDUSTRY_SECTORS):
        for industry in industries:
            if industry.lower() in table:
                return table[industry.lower()]
    return ""


def is_quiet(symbol: str) -> bool:
    """The rule of companies_extra.md: the bare symbol is a word, a common abbreviation or short."""
    bare = symbol.split(".")[0]
    words = company_words()
    return (
        len(bare) <= 2
        or bare in WORD_SYMBOLS
        or bare in ABBREVIATION_SYMBOLS
        or bare in words.wordlike_tickers
        or bare in words.acronyms
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", help="path of the pytickersymbols wheel (default: the installed package)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    package = _load_package(args.wheel)
    sectors, sub_industries = _sectors()
    # The S&P 500 and companies_extra.csv as finsentry loads them (aliases attached): a company
    # already there by ticker or by any name it is linked by is not written again.
    listed = load_companies(EntitySettings(extra_companies=[EXTRA_CSV.name]))
    listed_names = {n.lower(): c.ticker for c in listed for n in company_names(c)}

    rows: dict[str, dict[str, str]] = {}
    skipped: set[str] = set()
    for index in INDICES:
        for stock in package.get_stocks_by_index(index):
            ticker = normalize_ticker(stock["symbol"])
            if ticker in listed or ticker in rows or ticker in skipped:
                continue
            name = NAMES.get(ticker) or _WIKI_NOTE.sub("", stock["name"]).strip()
            same = listed_names.get(name.lower()) or listed_names.get(short_name(name).lower())
            if same is not None:
                print(f"skipped {ticker} {name!r}: listed as {same}", file=sys.stderr)
                skipped.add(ticker)
                continue
            sector = sector_of(stock.get("industries", ()), sectors, sub_industries)
            if not sector:
                print(f"no sector for {ticker} {name!r}: {stock.get('industries')}", file=sys.stderr)
            rows[ticker] = {"ticker": ticker, "name": name, "sector": sector, "quiet": str(int(is_quiet(ticker)))}

    with args.out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["ticker", "name", "sector", "quiet"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[t] for t in sorted(rows))
    quiet = sum(r["quiet"] == "1" for r in rows.values())
    print(f"wrote {len(rows)} companies ({quiet} quiet) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
