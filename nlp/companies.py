"""The company reference list: ticker -> name and sector, and the user's watchlist.

The shipped list is the S&P 500 (nlp/resources/sp500_constituents.csv, public domain) plus
the lists the setting `entities.extra_companies` names, loaded after it in order: by default
a hand-compiled list of well-known US-listed companies outside it (companies_extra.csv:
ADRs, former members, companies news names often) and the S&P 600 small caps and other index
members outside both (companies_smallcap.csv, made from the pytickersymbols package by
nlp/resources/make_companies_smallcap.py). A ticker keeps the row of the first list that has it.
A user's own CSV replaces them all (setting `entities.companies_csv`); it needs a ticker column
and a name column, and may carry a sector and an `aliases` column (`;`-separated short
names the entity ruler should also recognise). Column names are matched loosely, so both
the shipped layout (`Symbol,Security,GICS Sector`) and a plain `ticker,name,sector` work.

The short names and brands of the shipped companies live in one file, company_aliases.csv
(ticker, `;`-separated aliases, a note on why where it is not plain), for both shipped lists:
the S&P file stays an unchanged copy of its source, and one file means an alias cannot be
written twice. They attach by ticker to whichever list is loaded, a user's too, before that
list's own aliases.

The watchlist (setting `entities.watchlist`) is a text file of tickers, one per line or
comma-separated; `#` starts a comment. Watchlist tickers weigh more in the risk score.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from finsentry.settings import EntitySettings

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).parent / "resources"
SHIPPED_CSV = RESOURCES / "sp500_constituents.csv"
EXTRA_CSV = RESOURCES / "companies_extra.csv"
SMALLCAP_CSV = RESOURCES / "companies_smallcap.csv"
LISTED_CSV = RESOURCES / "companies_listed.csv"
LISTED_2022_CSV = RESOURCES / "companies_2022.csv"
LISTED_2020_CSV = RESOURCES / "companies_2020.csv"
ALIASES_CSV = RESOURCES / "company_aliases.csv"
# Former names of the shipped lists' companies, by ticker (made by make_company_former_names.py).
FORMER_NAMES_CSV = RESOURCES / "company_former_names.csv"
# Lists whose short names are all written out: no short name is derived from their legal names
# ("The Gap, Inc." must not make every "gap" a company). companies_extra.csv's are in
# company_aliases.csv; the generated companies_listed.csv, companies_2022.csv and companies_2020.csv carry their own,
# each checked by its generator against a dictionary (make_companies_listed.py). The other lists
# get the short names the linker derives (nlp/entities.py), less the ones company_words.yaml drops.
_ALIASES_SPELLED_OUT = frozenset({EXTRA_CSV, LISTED_CSV, LISTED_2022_CSV, LISTED_2020_CSV})

_TICKER_COLUMNS = ("ticker", "symbol")
_NAME_COLUMNS = ("name", "security", "company", "company name")
_SECTOR_COLUMNS = ("sector", "gics sector")
_ALIAS_COLUMNS = ("aliases", "alias")
_QUIET_COLUMNS = ("quiet",)
_TICKER_RE = re.compile(r"^[A-Z][A-Z0-9]{0,5}(?:[.\-][A-Z])?$")


@dataclass(frozen=True)
class Company:
    ticker: str
    name: str
    sector: str | None = None
    aliases: tuple[str, ...] = field(default=())
    # A symbol that is also a word or an abbreviation ("SAVE", "ING", "M"): linked only where it
    # is written as plainly as a cashtag (after an exchange prefix, in parentheses after the name).
    quiet: bool = False
    # Whether the name without its legal suffix is a name too ("Macy's, Inc." -> "Macy's"); off for
    # lists whose aliases say every short name ("The Gap, Inc." must not make every "gap" a company).
    derive_short_name: bool = True


def normalize_ticker(raw: str) -> str:
    """`brk-b`, `$BRK/B`, ` BRK.B ` -> `BRK.B`: one spelling for class suffixes."""
    t = raw.strip().lstrip("$").upper()
    return re.sub(r"[/\-]([A-Z])$", r".\1", t)


class CompanyDirectory:
    """Companies by ticker, plus the watchlist."""

    def __init__(self, companies: Iterable[Company], watchlist: Iterable[str] = ()) -> None:
        self._by_ticker: dict[str, Company] = {}
        for c in companies:
            self._by_ticker.setdefault(normalize_ticker(c.ticker), c)
        self._watchlist = frozenset(normalize_ticker(t) for t in watchlist)

    def get(self, ticker: str) -> Company | None:
        return self._by_ticker.get(normalize_ticker(ticker))

    def in_watchlist(self, ticker: str) -> bool:
        return normalize_ticker(ticker) in self._watchlist

    def tickers(self) -> list[str]:
        """Every ticker in the list, in file order."""
        return list(self._by_ticker)

    @property
    def watchlist(self) -> frozenset[str]:
        return self._watchlist

    def __contains__(self, ticker: object) -> bool:
        return isinstance(ticker, str) and normalize_ticker(ticker) in self._by_ticker

    def __iter__(self) -> Iterator[Company]:
        return iter(self._by_ticker.values())

    def __len__(self) -> int:
        return len(self._by_ticker)


def _pick(header: dict[str, str], candidates: tuple[str, ...]) -> str | None:
    for c in candidates:
        if c in header:
            return header[c]
    return None


def read_companies_csv(path: Path, *, short_names: bool = True) -> list[Company]:
    """Companies from a CSV with (loosely named) ticker, name, sector, aliases and quiet columns."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = {h.strip().lower(): h for h in reader.fieldnames or ()}
        ticker_col, name_col = _pick(header, _TICKER_COLUMNS), _pick(header, _NAME_COLUMNS)
        if ticker_col is None or name_col is None:
            raise ValueError(f"{path}: needs a ticker/symbol column and a name/security column, has {list(header)}")
        sector_col, alias_col = _pick(header, _SECTOR_COLUMNS), _pick(header, _ALIAS_COLUMNS)
        quiet_col = _pick(header, _QUIET_COLUMNS)
        companies = []
        for line, row in enumerate(reader, start=2):
            ticker, name = normalize_ticker(row.get(ticker_col) or ""), (row.get(name_col) or "").strip()
            if not ticker or not name:
                log.warning("%s:%d: skipped a row without ticker or name", path, line)
                continue
            sector = (row.get(sector_col) or "").strip() or None if sector_col else None
            aliases = _split_aliases(row.get(alias_col)) if alias_col else ()
            quiet = (row.get(quiet_col) or "").strip().lower() in ("1", "true", "yes") if quiet_col else False
            companies.append(
                Company(
                    ticker=ticker, name=name, sector=sector, aliases=aliases, quiet=quiet, derive_short_name=short_names
                )
            )
    return companies


def _split_aliases(cell: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (cell or "").split(";") if a.strip())


def read_aliases(path: Path = ALIASES_CSV) -> dict[str, tuple[str, ...]]:
    """Ticker -> aliases, from a CSV with `ticker` and `aliases` columns (the shipped file)."""
    with path.open(newline="", encoding="utf-8") as f:
        return {normalize_ticker(row["ticker"]): _split_aliases(row["aliases"]) for row in csv.DictReader(f)}


def with_aliases(companies: Iterable[Company], aliases: Mapping[str, tuple[str, ...]]) -> list[Company]:
    """The companies with their aliases from `aliases` put before the ones they carry."""
    return [replace(c, aliases=(*aliases[c.ticker], *c.aliases)) if c.ticker in aliases else c for c in companies]


def read_watchlist(path: Path) -> list[str]:
    """Tickers from a text file: one per line or comma/space separated, `#` comments."""
    tickers = []
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.split("#", 1)[0]
        for token in re.split(r"[,\s;]+", line):
            if not token:
                continue
            t = normalize_ticker(token)
            if t.lower() in ("ticker", "symbol"):
                continue
            if not _TICKER_RE.match(t):
                log.warning("%s: %r does not look like a ticker; kept anyway", path, token)
            tickers.append(t)
    return tickers


def extra_list_path(name: str) -> Path:
    """A list named in `entities.extra_companies`: a file name alone is a shipped list in nlp/resources."""
    path = Path(name)
    return RESOURCES / path if path.name == name else path


def load_companies(settings: EntitySettings, *, former_names: bool = True) -> CompanyDirectory:
    """The directory the settings name: the user's CSV, or the shipped lists; plus the watchlist.

    `former_names=False` leaves the shipped former names off (their generator reads the lists
    without them).
    """
    path = settings.companies_csv or SHIPPED_CSV
    companies = read_companies_csv(path)
    names = [path.name]
    if settings.companies_csv is None:
        # After the S&P 500 and in order, so a ticker in two lists keeps the first list's row.
        for extra in map(extra_list_path, settings.extra_companies):
            companies += read_companies_csv(extra, short_names=extra not in _ALIASES_SPELLED_OUT)
            names.append(extra.name)
        # Only with the shipped lists: each former name was checked to belong to the company the
        # shipped lists give its ticker, which a user's list may give to another.
        if former_names:
            companies = with_aliases(companies, read_aliases(FORMER_NAMES_CSV))
    companies = with_aliases(companies, read_aliases())
    watchlist = read_watchlist(settings.watchlist) if settings.watchlist else []
    log.info("company list %s: %d companies, watchlist of %d", " + ".join(names), len(companies), len(watchlist))
    return CompanyDirectory(companies, watchlist)
