"""Write nlp/resources/companies_listed.csv: US-listed companies outside the other shipped lists.

For maintainers, not run by finsentry: neither package below is a dependency. The source is the
SEC's list of company tickers (public data of the U.S. Securities and Exchange Commission: CIK,
symbol, exchange, registrant name), as bundled in the PyPI package `edgartools` (MIT licence)
as `edgar/reference/data/company_tickers.parquet`. Run it again when a newer release is worth
taking, then read the diff and the report it prints:

    pip download edgartools==5.62.1 --no-deps -d /tmp/edgar
    pip install pyarrow            # to read the parquet file; in any venv of the same Python
    apt install wamerican-large    # the dictionary the name checks read
    PYTHONPATH=. python nlp/resources/make_companies_listed.py /tmp/edgar/edgartools-5.62.1-py3-none-any.whl
    PYTHONPATH=. python -m pytest -q tests/nlp/test_companies.py   # the risky-name guard

Thousands of small companies share words with everyday English, places and people, so this list
links more strictly than the hand-made ones (`nlp/resources/companies_listed.md`):
- every symbol is `quiet`: it links only as a cashtag, after an exchange prefix or in
  parentheses after the name, never bare;
- no short name is derived at run time: the names written in the `aliases` column are the only
  short forms, and each passed the checks below, made here once (`check_name`);
- a one-word name must not be a word (spaCy's vocabulary in lower case, the lower-case words of
  Debian's `wamerican-large` dictionary, the words the repository's tweets write in lower case),
  a common first name, a place, person or myth the dictionary capitalises ("Gemini", "Duluth";
  KEEP_PROPER_NAMES are brands first), shorter than four letters, the first word of another
  registrant's name or a word of three registrants' names; a name of several words must not be
  made only of words the tweets write in lower case; NOT_NAMES lists names read and found wrong.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from finsentry.settings import EntitySettings
from nlp.companies import Company, normalize_ticker
from nlp.company_words import company_words
from nlp.entities import company_names, short_name

OUT = Path(__file__).resolve().parent / "companies_listed.csv"
MEMBER = "edgar/reference/data/company_tickers.parquet"
TWEETS = Path(__file__).resolve().parent / "twitter_financial_news"
DICTIONARY = Path("/usr/share/dict/american-english-large")  # apt install wamerican-large
# "US": a quote the source places only in the US (make_companies_2020.py); the SEC never writes it.
EXCHANGES = ("Nasdaq", "NYSE", "CBOE", "OTC", "US")
# Registrants that are not operating companies news reports on as such: blank-cheque companies
# (SPACs), funds and trusts of securities, and shells.
NOT_COMPANIES = re.compile(
    r"\b(?:Acquisition|Merger|Spac|Blank Check)\s+(?:Corp|Co|Company|Inc|Ltd|Limited|Holdings|Group|I{1,3}|IV|V)\b|"
    r"\b(?:Fund|Funds|ETF|ETN|Portfolio|Municipal|Closed[- ]End|Income Securities|Opportunities Trust)\b",
    re.IGNORECASE,
)
# Closed-end funds of the fund families ("BlackRock Energy & Resources Trust", "Gabelli Utility
# Trust"), and other trusts that hold securities rather than run a business (real estate,
# royalty, mortgage and bank trusts are businesses and stay).
FUND_FAMILY = re.compile(
    r"^(?:BlackRock|Blackrock|Gabelli|Gamco|Royce|Eaton Vance|Nuveen|Invesco|MFS|Putnam|Western Asset|Calamos|"
    r"John Hancock|Franklin|Templeton|Aberdeen|abrdn|Cohen & Steers|PIMCO|Pimco|DWS|Virtus|Tortoise|Kayne|"
    r"Neuberger|Flaherty|Guggenheim|PGIM|Allspring|Saba|Clough|XAI|Angel Oak|Bexil|Sprott|Adams|Liberty All|"
    r"Tekla|Central Securities|General American|Nexpoint|Voya|Highland|Ellsworth|Bancroft|Source Capital)\b.*"
    r"\b(?:Trust|Fund|Income|Municipal|Portfolio|Opportunit\w*|Strateg\w*|Dividend|Equity|Premium|Yield|"
    r"Credit|Duration|Allocation|Term|Utility|Multimedia|Resources|Gold|Silver|Investors)\b"
)
BUSINESS_TRUST = re.compile(
    r"\b(?:Realty|Royalty|Propert\w*|Mortgage|Bancorp|Bancshares|Lodging|Healthcare|Finance|Real Estate|Storage|"
    r"Logistics|Industrial|Hospitality|Residential|Office|Medical|Financial|Bank|Hotels?|Mesabi)\b"
)


def securities_trust(name: str) -> bool:
    return re.search(r"\bTrust\b", name) is not None and BUSINESS_TRUST.search(name) is None


# Trading venues: "London Stock Exchange : Notice of Redemption" names where a notice was filed.
VENUE = re.compile(r"\b(?:Exchange|Bourse|Börse)\b")
# Words that start many registrants' names in other languages ("Companhia", "Grupo"), or that
# name an industry ("Bioscience"): caught by counting the names a word appears in.
GENERIC_AT = 3
# Company words of other languages, and short names read and found wrong (with why).
_NOT_NAME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "a word for company or group in another language",
        ("Companhia", "Compania", "Compañía", "Compagnie", "Grupo", "Gruppo", "Banco", "Banca", "Empresa",
         "Empresas", "Industrias", "Perusahaan", "Sociedad", "Societe", "Société", "Holding", "Cia"),
    ),
    ("Euronext Athens (HEXEY) is the Athens exchange, not Euronext N.V.", ("Euronext",)),
    # Read in the repository's tweets and found to name something else (companies_listed.md).
    (
        "a first name, a place, a region or a word of another language",
        ("Allison", "Bryn", "Copa", "Magyar", "Latam", "LATAM", "Piraeus", "Kincora"),
    ),
    (
        "also the name of another company news writes about (renamed, merged or not listed here)",
        ("Aduro", "Cabot", "Eldorado", "Greenlane", "Sensus"),
    ),
    # Read in the headlines companies_2022.csv (make_companies_2022.py) first linked.
    (
        "also another company's name: AstraZeneca written in two words, Astra Microwave (India), Aveo Group "
        "(Australia), Bluegreen Vacations Corp (BXG, listed apart from BVH until 2021), the Arconic Inc. that "
        "became Howmet Aerospace in 2020 (ARNC of 2022 is its spin-off)",
        ("Astra", "Aveo", "Bluegreen", "Arconic"),
    ),
    (
        "a generic phrase found inside longer names (CNB Community Bancorp, US Energy Information Administration)",
        ("Community Bancorp", "First Bancshares", "US Energy"),
    ),
    # Read in SEntFiN's Indian headlines (other companies and people of the same name).
    (
        "also the name of a company or person in other markets' news (Cosmo Films, HDFC Standard Life, Venu Nair)",
        ("Venu", "Cosmo", "Lightbridge", "Transglobal", "Great Eastern", "Axis Capital", "Standard Life"),
    ),
    # Read in the headlines companies_2020.csv (make_companies_2020.py) first linked.
    (
        "also another company's name: the parent Gazprom (Gazprom Neft is its oil arm), Romania's Societatea "
        "Energetica Electrica, Robinsons Land (Robinsons Retail's sister), Mahanagar Gas (India), two US banks "
        "called Sterling Bancorp in 2020 (New York's STL, Southfield's SBT)",
        ("Gazprom", "Energetica", "Robinsons", "Mahanagar", "Sterling Bancorp"),
    ),
)  # fmt: skip
# Dictionary proper names that news uses first of all for the company (the brand is the name).
KEEP_PROPER_NAMES = frozenset({"Valvoline", "Birkenstock", "Polaris"})
NOT_NAMES = {name: why for why, names in _NOT_NAME_GROUPS for name in names}
_SEC_NOTE = re.compile(r"\s*/[A-Z]{2,}/?\s*$")  # "APPLE INC /DE/", "XYZ CORP /NEW/"
_FORMS = {"INC": "Inc", "INC.": "Inc.", "CORP": "Corp", "CORP.": "Corp.", "CO": "Co", "CO.": "Co.",
          "LTD": "Ltd", "LTD.": "Ltd.", "PLC": "plc", "LLC": "LLC", "LP": "LP", "L.P.": "L.P.",
          "SA": "SA", "S.A.": "S.A.", "NV": "NV", "N.V.": "N.V.", "AG": "AG", "SE": "SE",
          "HOLDINGS": "Holdings", "GROUP": "Group", "COMPANY": "Company", "CORPORATION": "Corporation",
          "INCORPORATED": "Incorporated", "LIMITED": "Limited", "THE": "The", "AND": "and", "OF": "of"}  # fmt: skip
_WORD = re.compile(r"[A-Za-z]+")
# Company forms a legal name may end in: the linker's (nlp/entities.py), which want "Co." with
# its period, plus "Co", "Company", "LLC" and those of other countries as the SEC writes them.
_ENDS_IN_FORM = re.compile(
    r"\b(?:Inc|Corp|Corporation|Co|Ltd|Limited|plc|PLC|LLC|LP|L\.P|SA|S\.A|NV|N\.V|AG|SE|Company|Incorporated)\.?$"
)
# Company forms of other countries, which the linker's short names keep: "Siemens Energy AG".
_FOREIGN_FORM = re.compile(
    r"(?:,?\s+(?:AG|SE|SA|S\.A\.|NV|N\.V\.|LP|L\.P\.|LLC|ASA|AB|A/S|Oyj|SpA|S\.p\.A\.|PLC|plc))+\.?$"
)


def listed_short_name(name: str) -> str:
    """The linker's short name, after the company forms of other countries too: "Siemens Energy"."""
    return short_name(_FOREIGN_FORM.sub("", name))


def ends_in_form(name: str) -> bool:
    """Whether the legal name ends in its company form ("Cabot Corp"): it then names the company plainly."""
    return _ENDS_IN_FORM.search(name) is not None


def read_sec_rows(wheel: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq  # a maintainer's tool: see the module docstring

    with zipfile.ZipFile(wheel) as z:
        table = pq.read_table(io.BytesIO(z.read(MEMBER)))
    return list(table.to_pylist())


def tidy_name(raw: str) -> str:
    """The SEC's registrant name as news would write it: "VARONIS SYSTEMS INC" -> "Varonis Systems Inc"."""
    name = _SEC_NOTE.sub("", raw.strip()).strip(" ,")
    # Words in capitals are a registrant's habit, not the name's spelling ("BROOKFIELD Corp",
    # "Imperial OIL Ltd"), unless they are acronyms or symbols: "AMC", "AT&T", "3D".
    words = []
    for w in name.split():
        if w in _FORMS:
            words.append(_FORMS[w])
        elif w.isupper() and len(core := w.rstrip(",.")) > 3 and core.replace("-", "").isalpha():
            words.append("-".join(part.capitalize() for part in core.split("-")) + w[len(core) :])
        else:
            words.append(w)
    return " ".join(words)


class Checks:
    """The word lists a name is checked against (module docstring)."""

    def __init__(self, shipped_names: Iterable[str], first_words: Counter[str], name_words: Counter[str]) -> None:
        import spacy

        # Words as English writes them, in lower case: spaCy's vocabulary keeps the case it saw,
        # so "hitachi" is not in it while "gap" is (MiniLM's word pieces are lower-cased names
        # and words alike, so they cannot tell Hitachi from a word). The dictionary, when
        # present, adds its lower-case words; its capitalised entries are places, people, stars
        # and myths ("Gemini", "Duluth", "Megan"), which a one-word name must not be unless it is
        # first of all the company's brand (KEEP_PROPER_NAMES).
        self.vocab = {s for s in spacy.load(EntitySettings().spacy_model).vocab.strings if s.islower()}
        self.proper: set[str] = set()
        if DICTIONARY.exists():
            entries = DICTIONARY.read_text(encoding="utf-8").split()
            self.vocab |= {w.removesuffix("'s") for w in entries if w.islower()}
            self.proper = {w for w in entries if w[:1].isupper() and w not in KEEP_PROPER_NAMES}
        tweets = [row["text"] for f in ("train.csv", "valid.csv") for row in csv.DictReader((TWEETS / f).open())]
        lower = Counter(w for t in tweets for w in _WORD.findall(t) if w.islower())
        self.tweet_words = set(lower)
        self.common = {w for w, n in lower.items() if n >= 3}
        words = company_words()
        self.first_names = {n.lower() for n in words.first_names}
        self.dropped = set(words.drop_short_names) | set(words.context_only)
        self.shipped = {n.lower() for n in shipped_names}
        self.first_words = first_words
        self.name_words = name_words

    def check_name(self, name: str) -> str | None:
        """Why `name` must not be linked on its own, or None when it may."""
        bare = name.replace("’", "'").removesuffix("'s")
        if name.lower() in self.shipped or name in self.dropped:
            return "a name of another shipped company or a dropped name"
        if name in NOT_NAMES:
            return NOT_NAMES[name]
        if VENUE.search(name):
            return "a trading venue's name"
        if " " not in name:
            low = bare.lower()
            if len(bare) < 4 or not bare.replace("-", "").isalpha():
                return "short or not a word of letters"
            if bare.isupper() and len(bare) <= 5:
                return "written like a symbol"
            if low in self.vocab or low in self.tweet_words or low in self.first_names:
                return "a word or a first name"
            if bare in self.proper:
                return "a place, person or myth in the dictionary"
            if self.first_words[low] > 1:
                return "the first word of several registrants"
            if self.name_words[low] >= GENERIC_AT:
                return "a word of several registrants' names"
            return None
        words = _WORD.findall(name)
        if all(len(w) <= 2 or w.lower() in self.common for w in words):
            return "a phrase of words news writes in lower case"
        return None


def listed_companies(
    rows: list[dict[str, Any]], checks: Checks, taken: set[str]
) -> tuple[list[dict[str, str]], Counter[str]]:
    out: list[dict[str, str]] = []
    why: Counter[str] = Counter()
    seen_cik: set[str] = set()
    for row in rows:
        ticker, exchange, cik = normalize_ticker(row["ticker"] or ""), row["exchange"], row["cik"]
        if exchange not in EXCHANGES or not re.fullmatch(r"[A-Z][A-Z0-9]{0,4}(?:\.[A-Z])?", ticker):
            why["not a listed common share (exchange or symbol form)"] += 1
            continue
        if cik in seen_cik:
            why["a second symbol of one registrant"] += 1
            continue
        seen_cik.add(cik)
        name = row["name"]
        if ticker in taken or listed_short_name(name).lower() in checks.shipped:
            why["already shipped (by symbol or name)"] += 1
            continue
        if NOT_COMPANIES.search(name) or FUND_FAMILY.search(name) or securities_trust(name):
            why["a SPAC, fund or trust of securities"] += 1
            continue
        # The names the linker makes of the legal name itself (as written, and without its
        # company form: "US Energy Corp" -> "US Energy") are checked like short names; a
        # registrant whose own name is a word or a generic phrase is left out.
        own = company_names(Company(ticker=ticker, name=name, derive_short_name=False))
        if any(checks.check_name(n) is not None for n in own if n != name or not ends_in_form(n)):
            why["a registrant whose own name is a word or a generic phrase"] += 1
            continue
        aliases = []
        short = listed_short_name(name)
        first = short.split()[0] if short else ""
        for alias in dict.fromkeys((short, first)):
            if alias and alias != name and checks.check_name(alias) is None:
                aliases.append(alias)
        out.append({"ticker": ticker, "name": name, "sector": "", "quiet": "1", "aliases": ";".join(aliases)})
    # A short name two registrants reduce to ("Blue Owl Capital" of OWL and of OBDC) names neither.
    shared = Counter(a.lower() for c in out for a in c["aliases"].split(";") if a)
    for c in out:
        names = [a for a in c["aliases"].split(";") if a]
        kept = [a for a in names if shared[a.lower()] == 1]
        why["a short name two registrants share"] += len(names) - len(kept)
        c["aliases"] = ";".join(kept)
    return out, why


def name_counts(names: Iterable[str]) -> tuple[Counter[str], Counter[str]]:
    """How many names start with each word, and how many hold each longer word (Checks' counts)."""
    names = [n for n in names if n]
    first_words = Counter(short.split()[0].lower() for n in names if (short := listed_short_name(n)))
    name_words = Counter(w.lower() for n in names for w in set(_WORD.findall(n)) if len(w) > 3)
    return first_words, name_words


def write_companies(out: Path, companies: list[dict[str, str]], why: Counter[str], read: str) -> None:
    """The list as the linker reads it, and a report of what was left out and why."""
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["ticker", "name", "sector", "quiet", "aliases"])
        writer.writeheader()
        writer.writerows(companies)
    print(f"{read} -> {len(companies)} companies in {out}", file=sys.stderr)
    for reason, n in why.most_common():
        print(f"  left out, {reason}: {n}", file=sys.stderr)
    with_alias = sum(1 for c in companies if c["aliases"])
    print(f"  {with_alias} with a short name that passed the checks", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the edgartools wheel (read in place)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from nlp.companies import load_companies

    shipped = load_companies(
        EntitySettings(extra_companies=["companies_extra.csv", "companies_smallcap.csv"])
    )  # not itself
    rows = read_sec_rows(args.wheel)
    for r in rows:  # tidied once: every count and check below reads the name as news writes it
        r["name"] = tidy_name(r["name"] or "")
    first_words, name_words = name_counts(r["name"] for r in rows)
    checks = Checks((n for c in shipped for n in company_names(c)), first_words, name_words)
    companies, why = listed_companies(rows, checks, set(shipped.tickers()))
    write_companies(args.out, companies, why, f"{len(rows)} SEC rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
