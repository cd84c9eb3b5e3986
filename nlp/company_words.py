"""The word lists and token patterns the company linker reads (resources/company_words.yaml).

They are data, kept out of nlp/entities.py so that a trap found in a headline ("Amazon
rainforest", "oil Wells") is one line in a file beside the headlines that show it. What each
list is for is written in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

WORDS_FILE = Path(__file__).resolve().parent / "resources" / "company_words.yaml"


@dataclass(frozen=True)
class CompanyWords:
    drop_short_names: frozenset[str]
    acronyms: frozenset[str]
    # The acronyms and the listed word-like symbols together.
    wordlike_tickers: frozenset[str]
    first_names: frozenset[str]
    block_patterns: list[list[dict[str, Any]]]
    context_only: dict[str, frozenset[str]]
    name_words: frozenset[str]
    fund_words: frozenset[str]
    exchanges: frozenset[str]
    legal_name_ends: frozenset[str]
    instrument_words: frozenset[str]
    # First words of company names too common to stand for one company on their own.
    generic_first_words: frozenset[str]
    # Headlines that show the lists: {"text", "linked": [...], "not_linked": [...]}.
    examples: tuple[dict[str, Any], ...]


def _strings(values: list[Any]) -> frozenset[str]:
    # Every entry is a string, even one YAML would read as a number.
    return frozenset(str(v) for v in values)


@cache
def company_words(path: Path = WORDS_FILE) -> CompanyWords:
    data: dict[str, Any] = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    acronyms = _strings(data["acronyms"]["words"])
    return CompanyWords(
        drop_short_names=_strings(data["drop_short_names"]["names"]),
        acronyms=acronyms,
        wordlike_tickers=acronyms | _strings(data["wordlike_tickers"]["words"]),
        first_names=_strings(data["first_names"]["words"]),
        block_patterns=data["block_patterns"]["patterns"],
        context_only={name: _strings(words) for name, words in data["context_only"]["names"].items()},
        name_words=_strings(data["name_words"]["words"]),
        fund_words=_strings(data["fund_words"]["words"]),
        exchanges=_strings(data["exchanges"]["words"]),
        legal_name_ends=_strings(data["legal_name_ends"]["words"]),
        instrument_words=_strings(data["instrument_words"]["words"]),
        generic_first_words=_strings(data["generic_first_words"]["words"]),
        examples=tuple(ex for section in data.values() for ex in section.get("examples", ())),
    )
