"""Company recognition and ticker linking on top of spaCy NER.

Three sources of candidates, then one set of rules that accepts or rejects them:

1. A spaCy `span_ruler` (the successor of the entity ruler) built from the company list:
   legal names, names with their legal suffix dropped ("Apple Inc." -> "Apple"), and the
   companies' aliases ("J&J", "BofA", "Google", "Facebook", ...; resources/company_aliases.csv).
   It writes every match to `doc.spans["companies"]`, overlapping ones included, so the
   linker below sees all of them; it also holds the block patterns (phrases such as
   "price target" or "Amazon rainforest" that hide a company name inside them).
2. Cashtags (`$AAPL`, `$BRK.B`), found on the raw text: an explicit ticker, linked even
   when the company is not in the list (setting `link_unknown_cashtags`), as are symbols just
   as explicit: after an exchange prefix ("NASDAQ:HIHO") or in parentheses after a legal
   name ("Ladder Capital Corp (LADR)").
3. Bare ticker symbols (`XOM`), only where context makes them unambiguous: after an
   exchange prefix ("NYSE: IT") any listed symbol; inside parentheses a symbol that is not
   an English word; elsewhere an upper-case symbol of 3+ letters that is not a word or a
   common acronym (word-like), and never in a headline written in capitals. A
   company list can mark a symbol `quiet` ("SAVE", "ING"): it then links only in the
   explicit forms of point 2.

The rules: a candidate inside a BLOCK span is dropped ("Target" in "price target"); a
one-word name that ends a longer PERSON entity, or follows a common first name, is a
person ("Harrison Ford", "Michael Dell"); overlapping candidates keep the longest.
spaCy's own ORG entities that the rules did not link are tried once more against the
company names, case-insensitively ("NVIDIA", "Apple Inc"), with source "ner". The word
lists these rules read (first names, word-like symbols, block patterns, ...) are data, in
resources/company_words.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from finsentry.contracts import Entity
from nlp.companies import Company, CompanyDirectory, normalize_ticker
from nlp.company_words import company_words

SPANS_KEY = "companies"
RULER_NAME = "company_ruler"
COMPANY_LABEL = "COMPANY"
BLOCK_LABEL = "BLOCK"
NER_LABELS: frozenset[str] = frozenset({"ORG", "PERSON", "GPE", "MONEY", "PERCENT"})

# The word lists and block patterns are data (resources/company_words.yaml, each list with
# what it is for); company short names and brands are in resources/company_aliases.csv.
_WORDS = company_words()
DROP_SHORT_NAMES = _WORDS.drop_short_names
_ACRONYMS = _WORDS.acronyms
WORDLIKE_TICKERS = _WORDS.wordlike_tickers
FIRST_NAMES = _WORDS.first_names
BLOCK_PATTERNS = _WORDS.block_patterns
_CONTEXT_ONLY = _WORDS.context_only
_NAME_WORDS = _WORDS.name_words
_FUND_WORDS = _WORDS.fund_words
_EXCHANGES = _WORDS.exchanges
_LEGAL_NAME_ENDS = _WORDS.legal_name_ends
_INSTRUMENT_WORDS = _WORDS.instrument_words

# Company forms ("Inc.", "Ltd."), and with them the words a short name also drops.
_COMPANY_FORMS = r"Inc\.?|Incorporated|Corporation|Corp\.?|& Co\.?|Co\.|plc|Ltd\.?|Limited|L\.P\."
_LEGAL_SUFFIX = re.compile(rf"(?:,?\s+(?:{_COMPANY_FORMS}|Company|Holdings|Group|&))+$")
# Only the company forms: "Canada Goose Holdings Inc." is also written "Canada Goose Holdings",
# where the short name would stop at "Canada Goose".
_COMPANY_FORM = re.compile(rf"(?:,?\s+(?:{_COMPANY_FORMS}))+$")
_PAREN_NOTE = re.compile(r"\s*\((?:The|Class [A-Z])\)")
# $ followed by a symbol; not part of a longer word and not a dollar amount.
CASHTAG_RE = re.compile(r"(?<![\w$])\$([A-Za-z][A-Za-z0-9]{0,5}(?:[.\-/][A-Za-z]{1,2})?)(?![\w])")
_RIC_ENDINGS = (".O", ".N", ".OQ", ".K", ".A", ".P")
_RIC_SUFFIX = re.compile(r"\.(?:O|N|OQ|K|A|P)$")
_PRICE_MOVE = re.compile(r"^[+\-−]\d")
# @handles of companies in social media text ("@Tesla").
HANDLE_RE = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_]{1,30})")


def short_name(legal_name: str) -> str:
    """'Caterpillar Inc.' -> 'Caterpillar', 'Home Depot (The)' -> 'Home Depot'."""
    return _LEGAL_SUFFIX.sub("", _PAREN_NOTE.sub("", legal_name)).strip(" ,")


def company_names(company: Company) -> list[str]:
    """Every surface form the ruler should link to this company."""
    legal = _PAREN_NOTE.sub("", company.name).strip()
    names = [legal]
    formless = _COMPANY_FORM.sub("", legal)
    if formless != legal and " " in formless:
        names.append(formless)
    short = short_name(company.name) if company.derive_short_name else ""
    if short and short not in DROP_SHORT_NAMES:
        names.append(short)
    # Short names and brands: resources/company_aliases.csv (attached by load_companies), or
    # the aliases column of a user's own list.
    names += company.aliases
    return list(dict.fromkeys(n for n in names if n))


def _variants(name: str) -> set[str]:
    """The name as written, Title Cased ("Bank Of America") and in capitals (multi-word)."""
    out = {name}
    # Typographic and straight apostrophes are both common ("McDonald’s", "McDonald's").
    if "'" in name:
        out.add(name.replace("'", "’"))
    if "’" in name:
        out.add(name.replace("’", "'"))
    # So are an en dash and a hyphen: the S&P list writes "Brown–Forman", the wires "Brown-Forman".
    if "–" in name:
        out.add(name.replace("–", "-"))
    words = name.split(" ")
    if len(words) > 1:
        out.add(" ".join(w[:1].upper() + w[1:] for w in words))
        out.add(name.upper())
        # "VF Corp." as often as "VF Corp": the tokenizer keeps the period on the abbreviation.
        if words[-1] in ("Corp", "Inc", "Co", "Ltd"):
            out.add(name + ".")
    elif len(name) >= 5 and not name.isupper():
        out.add(name.upper())
    if name[:1].islower() and any(c.isupper() for c in name):
        out.add(name.capitalize())  # "eBay" starting a headline is written "Ebay"
    elif (
        " " not in name
        and len(name) >= 5
        and name[:1].isupper()
        and any(c.isupper() for c in name[1:])
        and not name.startswith(("Mc", "Mac"))  # "Mckesson" is a surname
    ):
        out.add(name[0] + name[1:].lower())  # "Doordash", "Mercadolibre", "Paypal"
    return out


def ruler_patterns(directory: CompanyDirectory) -> list[dict[str, object]]:
    """span_ruler patterns: one phrase per company surface form (id = ticker), plus blocks.

    A surface form shared by several companies (two share classes) goes to the first.
    """
    seen: set[str] = set()
    patterns: list[dict[str, object]] = []
    for company in directory:
        for name in company_names(company):
            for variant in _variants(name):
                if variant in seen:
                    continue
                seen.add(variant)
                patterns.append({"label": COMPANY_LABEL, "pattern": variant, "id": company.ticker})
    patterns += [{"label": BLOCK_LABEL, "pattern": p} for p in BLOCK_PATTERNS]
    return patterns


def add_company_ruler(nlp: Language, directory: CompanyDirectory) -> None:
    """Add the company span_ruler to `nlp` (after NER; it writes spans, not entities)."""
    ruler = nlp.add_pipe(
        "span_ruler",
        name=RULER_NAME,
        last=True,
        config={"spans_key": SPANS_KEY, "annotate_ents": False, "overwrite": True, "validate": False},
    )
    # The ruler matches on the text of the tokens (ORTH), so its phrases need only the
    # tokenizer; spaCy's add_patterns would run every earlier pipe (tagger, parser, NER) over
    # each of the ~30,000 phrases, most of the annotator's load time.
    with nlp.select_pipes(enable=[RULER_NAME]):
        ruler.add_patterns(ruler_patterns(directory))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Candidate:
    start: int  # character offsets in doc.text
    end: int
    ticker: str
    source: str  # "ruler" or "ner"
    span: Span | None  # token span, when the candidate sits on token boundaries


def _is_shouting(doc: Doc) -> bool:
    letters = [t for t in doc if t.is_alpha and len(t) > 1]
    return len(letters) >= 4 and sum(t.is_upper for t in letters) / len(letters) > 0.6


def _person_surname(span: Span, persons: list[Span]) -> bool:
    """A one-word name that ends a longer PERSON entity or follows a first name."""
    if len(span) != 1:
        return False
    if span.start > 0:
        prev = span.doc[span.start - 1]
        if prev.text in FIRST_NAMES:
            return True
    if span.start == 0:
        return False
    prev = span.doc[span.start - 1]
    # Only a name-like word before it makes it a surname: "Harrison Ford", not "+ BofAML",
    # nor a Title Cased verb the NER took for a first name ("Why I'm Cutting Netflix").
    return (
        prev.is_title
        and prev.is_alpha
        and not prev.lower_.endswith("ing")
        and any(p.start == span.start - 1 and p.end >= span.end for p in persons)
    )


def _part_of_longer_name(span: Span) -> bool:
    """'Target Hospitality', 'Apollo Tactical Income Fund': the name starts another company's."""
    doc = span.doc
    if span.end >= len(doc):
        return False
    nxt = doc[span.end]
    if nxt.text in _NAME_WORDS or (nxt.is_upper and nxt.text.capitalize() in _NAME_WORDS):
        return True
    # A fund named after its sponsor: "Goldman Sachs MLP and Energy Renaissance Fund" (not
    # looked for in a Title Cased headline, where every word is capitalised).
    words = [t for t in doc if t.is_alpha and len(t) > 3]
    if words and sum(t.is_title for t in words) / len(words) > 0.8:
        return False
    for tok in doc[span.end : span.end + 6]:
        if tok.text in _FUND_WORDS:
            return True
        if not (tok.is_title or tok.is_upper or tok.text in ("and", "&", "of")):
            return False
    return False


def _context_ok(span: Span) -> bool:
    # The upper-case variants ("NASDAQ", "SNAP", "INDEPENDENT BANK") and the typographic
    # apostrophe ("Carter’s") are held to the same context.
    text = span.text.replace("’", "'")
    allowed = next((_CONTEXT_ONLY[k] for k in (text, text.capitalize(), text.title()) if k in _CONTEXT_ONLY), None)
    if allowed is None:
        return True
    doc = span.doc
    nxt = doc[span.end].lower_ if span.end < len(doc) else ""
    prev = doc[span.start - 1].lower_ if span.start > 0 else ""
    return nxt in allowed or prev in {"by", "from", "at"}


def _bare_symbols(doc: Doc, directory: CompanyDirectory, shouting: bool) -> Iterable[_Candidate]:
    for tok in doc:
        text = tok.text
        ric = _RIC_SUFFIX.sub("", text) if text.endswith(_RIC_ENDINGS) else text
        if ric != text and ric in directory and doc[tok.i - 1 : tok.i].text == "(":
            # Reuters instrument codes: "Apple Inc (AAPL.O)".
            yield _Candidate(tok.idx, tok.idx + len(text), ric, "ruler", doc[tok.i : tok.i + 1])
            continue
        if not (text.isupper() and text.replace(".", "").isalpha()):
            continue
        i = tok.i
        prev = doc[i - 1].text if i > 0 else ""
        prev2 = doc[i - 2].text if i > 1 else ""
        nxt = doc[i + 1].text if i + 1 < len(doc) else ""
        if nxt == ":" and i + 2 < len(doc) and doc[i + 2].text.isupper():
            continue  # an exchange's code before a symbol ("ETR:KSC"), not a company
        if nxt == "-" and not tok.whitespace_ and i + 2 < len(doc) and doc[i + 2].is_alpha:
            continue  # a word of a compound ("AMT-Free", "FDA-approved"), not a symbol
        after_exchange = prev == ":" and prev2 in _EXCHANGES
        if prev == ":" and prev2.isupper() and not after_exchange:
            continue  # a symbol on a foreign exchange ("CVE:CZR" is not Caesars)
        listed = directory.get(text)
        if listed is None or listed.quiet:
            # A company outside the list (or with a symbol that is also a word), named with its
            # symbol as plainly as a cashtag does: "(NASDAQ:HIHO)", "Ladder Capital Corp (LADR)".
            in_parens_after_name = (
                prev == "("
                and nxt.startswith(")")
                and (_after_legal_name(doc, i - 1) or _name_spells(doc, i - 1, text))
            )
            if len(text) <= _MAX_SYMBOL and (after_exchange or (in_parens_after_name and text not in _ACRONYMS)):
                yield _Candidate(tok.idx, tok.idx + len(text), text, "ruler", doc[i : i + 1])
            continue
        wordlike = text in WORDLIKE_TICKERS or len(text) <= 2
        if after_exchange or (len(text) >= 2 and _PRICE_MOVE.match(nxt)):
            ok = True  # NYSE: IT, (NASDAQ:AAPL), "HUM +2%" in a list of movers
        elif prev == "(" and nxt.startswith(")"):
            # Alphabet (GOOGL); a word-like symbol only right after a legal name: "News Corporation (NWS)"
            ok = not wordlike or _after_legal_name(doc, i - 1)
        else:
            ok = not wordlike and not shouting and prev != "$"
        # "SWK Holdings" names another company, "BNY Mellon High Yield Strategies Fund" a fund.
        if ok and not _part_of_longer_name(doc[i : i + 1]):
            yield _Candidate(tok.idx, tok.idx + len(text), text, "ruler", doc[i : i + 1])


_MAX_SYMBOL = 5


def _after_legal_name(doc: Doc, paren: int) -> bool:
    """Whether the token before doc[paren] ends a legal name ("Corp", "Inc.", "Group, Inc.")."""
    before = paren - 1
    if before >= 0 and doc[before].text == ".":
        before -= 1
    return before >= 0 and doc[before].lower_.rstrip(".") in _LEGAL_NAME_ENDS


def _name_spells(doc: Doc, paren: int, symbol: str) -> bool:
    """'Prospect Capital (PSEC)', 'Immunomedics (IMMU)': a capitalised name whose word starts
    like the symbol. The initials of the words before it ('Food and Drug Administration
    (FDA)', 'Consumer Price Index (CPI)') make an acronym, not a symbol.
    """
    caps: list[Token] = []
    i = paren - 1
    while i >= 0 and len(caps) < 6 and (doc[i].is_title or (caps and doc[i].lower_ in ("and", "of", "&"))):
        if doc[i].is_title:
            caps.append(doc[i])
        i -= 1
    if len(symbol) < 2 or not caps or any(t.lower_ in _INSTRUMENT_WORDS for t in caps):
        return False
    if len(symbol) == 5 and symbol.endswith("X"):
        return False  # a mutual fund's symbol ("Fidelity International Discovery (FIGRX)")
    caps.reverse()
    initials = "".join(t.text[0] for t in caps)
    if initials.endswith(symbol):
        return False
    return any(t.text[0] == symbol[0] for t in caps[-3:])


def _cashtags(doc: Doc) -> Iterable[_Candidate]:
    for m in CASHTAG_RE.finditer(doc.text):
        ticker = normalize_ticker(m.group(1))
        span = doc.char_span(m.start(1), m.end(1), alignment_mode="expand")
        yield _Candidate(m.start(), m.end(), ticker, "ruler", span)


_NER_NORMALIZE = re.compile(r"(?:'s|’s)$")


class CompanyLinker:
    """Turns a processed Doc into linked company entities plus spaCy's own entities."""

    def __init__(
        self,
        directory: CompanyDirectory,
        *,
        link_unknown_cashtags: bool = True,
        ner_labels: Iterable[str] = NER_LABELS,
    ) -> None:
        self.directory = directory
        self.link_unknown_cashtags = link_unknown_cashtags
        self.ner_labels = frozenset(ner_labels)
        # Case-insensitive names for a second look at NER ORGs the ruler did not link.
        self._by_lower: dict[str, str] = {}
        for company in directory:
            for name in company_names(company):
                if name not in _CONTEXT_ONLY:
                    self._by_lower.setdefault(name.lower(), company.ticker)
                    # Handles drop the spaces: "@CMEGroup".
                    self._by_lower.setdefault(name.lower().replace(" ", ""), company.ticker)

    def _ruler_candidates(self, doc: Doc) -> list[_Candidate]:
        spans = doc.spans.get(SPANS_KEY, [])
        blocks = [s for s in spans if s.label_ == BLOCK_LABEL]
        persons = [e for e in doc.ents if e.label_ == "PERSON"]
        out = []
        for s in spans:
            if s.label_ != COMPANY_LABEL:
                continue
            if any(b.start < s.end and s.start < b.end for b in blocks):
                continue
            if _person_surname(s, persons) or not _context_ok(s) or _part_of_longer_name(s):
                continue
            out.append(_Candidate(s.start_char, s.end_char, s.id_, "ruler", s))
        return out

    def _handles(self, doc: Doc) -> list[_Candidate]:
        out = []
        for m in HANDLE_RE.finditer(doc.text):
            ticker = self._by_lower.get(m.group(1).lower())
            if ticker is not None:
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                out.append(_Candidate(m.start(), m.end(), ticker, "ruler", span))
        return out

    def _ner_candidates(self, doc: Doc, taken: list[_Candidate]) -> list[_Candidate]:
        out = []
        # A name the ruler saw (and perhaps rejected: "Amazon river") is not linked again here.
        seen = [(s.start_char, s.end_char) for s in doc.spans[SPANS_KEY]] if SPANS_KEY in doc.spans else []
        seen += [(c.start, c.end) for c in taken]
        for ent in doc.ents:
            if ent.label_ != "ORG" or any(a < ent.end_char and ent.start_char < b for a, b in seen):
                continue
            key = _LEGAL_SUFFIX.sub("", _NER_NORMALIZE.sub("", ent.text)).strip(" ,").lower()
            ticker = self._by_lower.get(key)
            if ticker is not None:
                out.append(_Candidate(ent.start_char, ent.end_char, ticker, "ner", ent))
        return out

    def link(self, doc: Doc) -> list[Entity]:
        """Linked companies first (in text order), then spaCy's entities that were not linked."""
        shouting = _is_shouting(doc)
        candidates = (
            self._ruler_candidates(doc)
            + list(_cashtags(doc))
            + list(_bare_symbols(doc, self.directory, shouting))
            + self._handles(doc)
        )
        # Longest first, then earliest: overlapping candidates keep the longest.
        candidates.sort(key=lambda c: (-(c.end - c.start), c.start))
        kept: list[_Candidate] = []
        for c in candidates:
            if not any(k.start < c.end and c.start < k.end for k in kept):
                kept.append(c)
        kept += self._ner_candidates(doc, kept)
        kept.sort(key=lambda c: c.start)

        entities: list[Entity] = []
        org_spans: list[Span] = []
        for c in kept:
            company = self.directory.get(c.ticker)
            if company is None and not self.link_unknown_cashtags:
                continue
            entities.append(
                Entity(
                    text=doc.text[c.start : c.end],
                    type="ORG",
                    ticker=company.ticker if company else c.ticker,
                    name=company.name if company else None,
                    sector=company.sector if company else None,
                    start=c.start,
                    end=c.end,
                    source="ruler" if c.source == "ruler" else "ner",
                )
            )
            if c.span is not None:
                org_spans.append(Span(doc, c.span.start, c.span.end, label="ORG", kb_id=c.ticker))
        for ent in doc.ents:
            if ent.label_ in self.ner_labels and not any(
                k.start < ent.end_char and ent.start_char < k.end for k in kept
            ):
                entities.append(
                    Entity(text=ent.text, type=ent.label_, start=ent.start_char, end=ent.end_char, source="ner")
                )
        # Linked companies become ORG entities on the Doc, so event rules can refer to them. They
        # win over the NER's own spans: in a Title Cased headline the NER often takes several words
        # as one ORG ("UBS Upgrades Hasbro As Stock Price"), which would hide both companies.
        linked = filter_spans(org_spans)
        doc.ents = [*linked, *(e for e in doc.ents if not any(e.start < k.end and k.start < e.end for k in linked))]
        return entities
