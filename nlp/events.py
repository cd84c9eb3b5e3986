"""Rule-based event classification: spaCy Matcher patterns over word forms.

Each event type has positive patterns, and may have veto patterns (a near-miss phrase
that contains a trigger: "fraud detection", "credit default swap", "follow suit"). A
pattern is a short phrase with small gaps ("cuts full-year profit forecast" matches
cut ... forecast); a match records the words that matched, minus the gap, as the
trigger the risk score shows. Overlapping matches of two related types are settled by
`_PRECEDENCE` ("Moody's downgrades" is a credit downgrade, not an analyst downgrade).

Why word forms and not spaCy lemmas: the small English pipeline tags a Title Cased
headline word as a proper noun and then leaves its lemma alone ("Downgrades" stays
"Downgrades"), so lemma patterns miss a large share of real headlines. Each rule is
therefore written with lemmas (`_v("cut")`) and expanded to every inflected form here,
matched on the lower-cased text. This also spares the tagger and lemmatizer, so only
NER runs in the pipeline.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

from finsentry.contracts import Event
from nlp.magnitude import price_drops, read_magnitude
from nlp.taxonomy import EVENT_TYPES

Tok = dict[str, object]
Pattern = list[Tok]

_IRREGULAR: dict[str, tuple[str, ...]] = {
    "cut": ("cut", "cuts", "cutting"),
    "sue": ("sue", "sues", "sued", "suing"),
    "lay": ("lay", "lays", "laid", "laying"),
    "quit": ("quit", "quits", "quitting"),
    "leave": ("leave", "leaves", "left", "leaving"),
    "buy": ("buy", "buys", "bought", "buying"),
    "take": ("take", "takes", "took", "taken", "taking"),
    "fall": ("fall", "falls", "fell", "fallen", "falling"),
    "sink": ("sink", "sinks", "sank", "sunk", "sinking"),
    "slide": ("slide", "slides", "slid", "sliding"),
    "swing": ("swing", "swings", "swung", "swinging"),
    "beat": ("beat", "beats", "beating", "beaten"),
    "hit": ("hit", "hits", "hitting"),
    "shed": ("shed", "sheds", "shedding"),
    "step": ("step", "steps", "stepped", "stepping"),
    "top": ("top", "tops", "topped", "topping"),
    "trim": ("trim", "trims", "trimmed", "trimming"),
    "drop": ("drop", "drops", "dropped", "dropping"),
    "slip": ("slip", "slips", "slipped", "slipping"),
    "dip": ("dip", "dips", "dipped", "dipping"),
    "ban": ("ban", "bans", "banned", "banning"),
    "bar": ("bar", "bars", "barred", "barring"),
    "spin": ("spin", "spins", "spun", "spinning"),
    "split": ("split", "splits", "splitting"),
    "rise": ("rise", "rises", "rose", "risen", "rising"),
    "grow": ("grow", "grows", "grew", "grown", "growing"),
    "up": ("up", "ups", "upped", "upping"),
    "stop": ("stop", "stops", "stopped", "stopping"),
    "scrap": ("scrap", "scraps", "scrapped", "scrapping"),
    "slump": ("slump", "slumps", "slumped", "slumping"),
    "shut": ("shut", "shuts", "shutting"),
    "see": ("see", "sees", "saw", "seen", "seeing"),
    "set": ("set", "sets", "setting"),
    "put": ("put", "puts", "putting"),
    "steal": ("steal", "steals", "stole", "stolen", "stealing"),
    "find": ("find", "finds", "found", "finding"),
    "mislead": ("mislead", "misleads", "misled", "misleading"),
    "break": ("break", "breaks", "broke", "broken", "breaking"),
    "pay": ("pay", "pays", "paid", "paying"),
    "go": ("go", "goes", "went", "gone", "going"),
    "plan": ("plan", "plans", "planned", "planning"),
    "ax": ("ax", "axes", "axed", "axing"),
    "bid": ("bid", "bids", "bidding"),
    "slash": ("slash", "slashes", "slashed", "slashing"),
    "rocket": ("rocket", "rockets", "rocketed", "rocketing"),
    "double": ("double", "doubles", "doubled", "doubling"),
    "halve": ("halve", "halves", "halved", "halving"),
    "oust": ("oust", "ousts", "ousted", "ousting"),
    "fire": ("fire", "fires", "fired", "firing"),
    "quadruple": ("quadruple", "quadruples", "quadrupled"),
    "omit": ("omit", "omits", "omitted", "omitting"),
    "defer": ("defer", "defers", "deferred", "deferring"),
    "incur": ("incur", "incurs", "incurred", "incurring"),
    "cancel": ("cancel", "cancels", "canceled", "cancelled", "canceling", "cancelling"),
    "get": ("get", "gets", "got", "gotten", "getting"),
    "lose": ("lose", "loses", "lost", "losing"),
    "reel": ("reel", "reels", "reeled", "reeling"),
    "sell": ("sell", "sells", "sold", "selling"),
}


_VOWELS = "aeiou"


def _doubles_final_consonant(w: str) -> bool:
    """One-syllable verbs ending consonant-vowel-consonant double it: skip -> skipped, flag -> flagging."""
    groups = [c in _VOWELS for c in w]
    syllables = sum(1 for k, v in enumerate(groups) if v and (k == 0 or not groups[k - 1]))
    return syllables == 1 and len(w) >= 3 and w[-1] not in _VOWELS + "wxy" and w[-2] in _VOWELS and w[-3] not in _VOWELS


def inflect(lemma: str) -> tuple[str, ...]:
    """Every form of a verb or noun lemma: base, -s, -ed, -ing (regular rules + exceptions)."""
    if lemma in _IRREGULAR:
        return _IRREGULAR[lemma]
    w = lemma
    if _doubles_final_consonant(w):
        return (w, w + "s", w + w[-1] + "ed", w + w[-1] + "ing")
    if w.endswith("e"):
        return (w, w + "s", w + "d", w[:-1] + "ing")
    if w.endswith(("s", "sh", "ch", "x", "z")):
        return (w, w + "es", w + "ed", w + "ing")
    if w.endswith("y") and len(w) > 1 and w[-2] not in "aeiou":
        return (w, w[:-1] + "ies", w[:-1] + "ied", w + "ing")
    return (w, w + "s", w + "ed", w + "ing")


def _w(*words: str) -> Tok:
    """Any of these words (lower-cased)."""
    return {"LOWER": {"IN": sorted({w.lower() for w in words})}}


def _v(*lemmas: str) -> Tok:
    """Any form of these lemmas."""
    return _w(*(f for lemma in lemmas for f in inflect(lemma)))


_BOUNDARIES = [",", ";", ":", ".", "!", "?", "|", "—", "–", "(", ")"]


def _gap(n: int, *, conjunctions: bool = True, parens: bool = False) -> Tok:
    """Up to n words that do not cross a clause boundary (nor "and"/"or", if asked).

    parens=True lets the gap cross a parenthesis, for a symbol after a name:
    "upgrades Snap Inc (SNAP) to Buy".
    """
    stop = _BOUNDARIES if conjunctions else [*_BOUNDARIES, "and", "or", "&", "but"]
    if parens:
        stop = [b for b in stop if b not in ("(", ")")]
    return {"ORTH": {"NOT_IN": stop}, "OP": f"{{0,{n}}}"}


_HYPHEN: Tok = {"ORTH": "-", "OP": "?"}
# A token of a company the linker linked (its ticker is the entity's kb_id).
_LINKED: Tok = {"ENT_KB_ID": {"REGEX": "."}}
# The last token of the text: a clause end that patterns cannot spell as a token.
_ENDS_TEXT = "finsentry_ends_text"
if not Token.has_extension(_ENDS_TEXT):
    Token.set_extension(_ENDS_TEXT, getter=lambda t: t.i == len(t.doc) - 1)


def _ph(text: str) -> Pattern:
    """A fixed phrase; its hyphens are optional ("class-action" = "class action")."""
    out: Pattern = []
    for word in text.replace("-", " - ").split():
        out.append(dict(_HYPHEN) if word == "-" else {"LOWER": word.lower()})
    return out


def _cat(*parts: Tok | Pattern) -> Pattern:
    out: Pattern = []
    for p in parts:
        out.extend(p if isinstance(p, list) else [p])
    return out


def _alt(
    prefix: Iterable[Tok | Pattern], options: Iterable[str], suffix: Iterable[Tok | Pattern] = ()
) -> list[Pattern]:
    """One pattern per option phrase, between a fixed prefix and suffix."""
    return [_cat(*prefix, _ph(o), *suffix) for o in options]


def _rating(phrases: Sequence[str]) -> list[Pattern]:
    """Rating names as at most three patterns: one-word names, and first/second word sets.

    Crossing the word sets of two-word names admits a few non-ratings ("market buy"), a
    price worth paying for 3 patterns instead of one per name: the Matcher's cost grows
    with the number of patterns.
    """
    words = [p.replace("-", " ").split() for p in phrases]
    single = {w[0] for w in words if len(w) == 1}
    pairs = [w for w in words if len(w) == 2]
    out: list[Pattern] = [[_w(*single)]] if single else []
    if pairs:
        out.append([_w(*(w[0] for w in pairs)), _HYPHEN, _w(*(w[1] for w in pairs))])
    return out


def _to_from(to: Sequence[str], frm: Sequence[str]) -> list[Pattern]:
    """'to <rating> from <rating>' for every pair of rating patterns."""
    return [_cat(_w("to"), a, _w("from"), b) for a in _rating(to) for b in _rating(frm)]


# --- shared vocabularies -----------------------------------------------------------------
_DOWN_RATINGS = ("sell", "underperform", "underweight", "reduce", "strong sell", "negative", "market underperform",
                 "sector underperform", "mkt underperform")  # fmt: skip
_MID_RATINGS = ("neutral", "hold", "equal weight", "equal-weight", "equalweight", "market perform", "sector perform",
                "peer perform", "in line", "in-line", "inline", "market weight", "sector weight", "mixed", "perform",
                "mkt perform", "sector performer")  # fmt: skip
_UP_RATINGS = ("buy", "outperform", "overweight", "strong buy", "accumulate", "add", "sector outperform",
               "market outperform", "positive", "top pick", "conviction buy", "mkt outperform", "outperformer")  # fmt: skip
_ESTIMATE_WORDS = ("estimate", "estimates", "expectations", "expectation", "forecast", "forecasts", "view", "views",
                   "consensus", "street", "projections", "expected")  # fmt: skip
_ESTIMATES = _w(*_ESTIMATE_WORDS)
_RESULTS = _w("results", "earnings", "profit", "profits", "revenue", "revenues", "sales", "quarter", "quarterly",
              "eps", "income", "q1", "q2", "q3", "q4", "margins", "margin", "revs", "fq1", "fq2", "fq3", "fq4", "1q", "2q", "3q",
              "4q")  # fmt: skip
# The words of a reported figure, and the figures themselves ("EPS $1.04", "78 cents", "$5.2 bln").
_FIGURE_NOUNS = ("eps", "revenue", "revenues", "sales", "earnings", "profit", "profits", "income", "margin", "margins",
                 "ebitda", "comps", "top-line", "bottom-line")  # fmt: skip
_NUMBERS: Tok = {
    "LOWER": {"REGEX": r"^([-−($€£\d.,%)+]+|cents?|c|mln|bln|million|billion|bn|[mbk]|adj\.?|gaap|non-gaap|of)$"},
    "OP": "{0,5}",
}
# The figure itself, at least one token: "$1.04", "78 cents", "$5.2 bln".
_AMOUNT: Tok = {"LOWER": {"REGEX": r"^([-−($€£\d.)+]+|cents?|c|mln|bln|million|billion|bn|[mbk])$"}, "OP": "{1,4}"}
_GUIDE = _w("guidance", "outlook", "outlooks", "forecast", "forecasts", "view", "projection", "projections",
            "guide", "target", "targets")  # fmt: skip
_GUIDE_STRICT = _w("guidance", "outlook", "outlooks", "forecast", "forecasts", "projection", "projections")
_CUT_VERBS = ("cut", "lower", "reduce", "slash", "trim", "pare", "downgrade", "withdraw", "pull", "suspend",
              "scrap", "drop", "abandon", "rescind", "ditch", "revise", "chop", "axe", "ax", "halve", "hack")  # fmt: skip
_RAISE_VERBS = ("raise", "lift", "boost", "hike", "increase", "bump", "upgrade", "improve", "elevate", "bolster")
_EXEC = _w("ceo", "cfo", "coo", "cto", "cio", "chairman", "chairwoman", "chair", "president", "founder", "executive",
           "executives", "chief", "head", "boss", "director", "directors", "co-founder", "cofounder", "treasurer")  # fmt: skip
_LEAVE_WORDS = ("resign", "resigns", "resigned", "resigning", "resignation", "quits", "quit", "quitting", "departs",
            "depart", "departed", "departing", "departure", "leaves", "leave", "leaving", "exits", "exit", "exiting",
            "exited", "retires", "retire", "retiring", "retirement", "ousted", "ousts", "oust", "ouster", "fired",
            "sacked", "axed", "dismissed", "terminated", "replaced", "departures", "resignations", "termination")  # fmt: skip
_LEAVE = _w(*_LEAVE_WORDS)
_REGULATORS = _w("sec", "ftc", "doj", "fda", "epa", "cfpb", "fcc", "faa", "nhtsa", "occ", "fed", "finra", "cftc", "ecb",
                 "fca", "cma", "regulator", "regulators", "watchdog", "watchdogs", "eu", "ec", "brussels", "ofac",
                 "commission", "department", "authorities", "authority", "government", "ministry", "prosecutors",
                 "treasury", "beijing", "washington", "china", "nrc", "ferc", "osha", "irs",
                 "antitrust", "competition", "bafin", "finma", "sebi", "samr")  # fmt: skip
_RATING_AGENCY = _w("moody", "moodys", "fitch", "dbrs", "s&p", "kbra", "standard", "agency", "agencies")
# What is bought or sold that is not a business: "buys 2K call option contracts for $450K",
# "Sells Rights to Kill Elephants", "buys back shares for $1 billion".
_NOT_A_BUSINESS = ("back", "stake", "stakes", "shares", "stock", "bonds", "notes", "call", "calls", "put", "puts",
                   "option", "options", "contracts", "rights", "licenses", "licences", "tickets", "power",
                   "electricity", "gas", "oil", "debt", "votes")  # fmt: skip
# A gap that may cross the commas of a list ("higher operating profit, dividend than expected").
# Words that end a clause but not a list: a gap over them may cross commas.
_CLAUSE_ENDS = [";", ".", "|", "!", "?", ":"]


def _list_gap(n: int) -> Tok:
    """Up to n tokens inside one clause, commas included."""
    return {"ORTH": {"NOT_IN": _CLAUSE_ENDS}, "OP": f"{{0,{n}}}"}


_STAFF = _w("job", "jobs", "worker", "workers", "employee", "employees", "staff", "staffers", "position",
            "positions", "role", "roles", "workforce", "headcount", "people", "personnel")  # fmt: skip
_MONEY_WORDS = _w("million", "billion", "mln", "bln", "bn", "m", "record", "hefty", "antitrust", "regulatory",
                  "civil", "criminal", "$", "€", "£", "big", "huge", "massive", "steep", "eu")  # fmt: skip


# Economic data "falls short of expectations" too; that is not a company's results.
_MACRO_VETO: list[Pattern] = [
    [{"ENT_KB_ID": "", **_w("retail", "home", "housing", "gdp", "payrolls", "jobs", "cpi", "inflation", "pmi", "factory", "durable",
        "consumer", "economy", "economic", "industrial", "manufacturing", "services", "wage", "wages", "employment",
        "jobless", "trade", "import", "export", "exports", "imports", "openings", "jolts", "claims")},
     {"LOWER": {"NOT_IN": ["corporation", "corp", "inc", "inc.", "co", "company", "earnings", "eps", "profit", "revenue",
                           "results", *_BOUNDARIES]}, "OP": "{0,2}"},
     _w("falls", "fall", "fell", "come", "comes", "came", "miss", "misses", "missed", "beat", "beats", "top", "tops",
        "blow", "blows", "blew", "sail", "sails", "crush", "crushes", "smash", "smashes", "short", "below", "above", "exceed", "exceeds", "trails", "lags")],
    # "U.S. retail sales rise 0.2% in November, below forecast": no company named on the way.
    [{"ENT_KB_ID": "", **_w("retail", "housing", "gdp", "payrolls", "cpi", "inflation", "pmi", "factory", "durable",
        "consumer", "industrial", "manufacturing", "jobless", "employment", "wage", "wages", "trade", "deficit", "job",
        "surplus", "exports", "imports")},
     {"ENT_KB_ID": "", "ORTH": {"NOT_IN": _CLAUSE_ENDS}, "OP": "{0,10}"},
     _w("below", "above", "short", "ahead", "beating", "missing"), {"LOWER": "of", "OP": "?"},
     _w("forecast", "forecasts", "expectations", "estimates", "consensus")],
]  # fmt: skip


def _rules() -> dict[str, list[Pattern]]:
    r: dict[str, list[Pattern]] = defaultdict(list)
    cutv = _v(*_CUT_VERBS)
    # "ups" the verb, never "UPS" the company: matched on the text as written.
    ups: Tok = {"ORTH": {"IN": ["up", "ups", "upped", "upping", "Ups", "Upped"]}}
    raisev: Tok = _v(*_RAISE_VERBS)
    # "Compass Point ups to Neutral", never "pay up to $2 billion to buy".
    ups_verb: Tok = {"ORTH": {"IN": ["ups", "upped", "upping", "Ups", "Upped"]}}
    # Traders and markets turning bearish is sentiment, not a broker's rating.
    crowd_turns: Pattern = [_w("traders", "investors", "funds", "markets", "market", "speculators", "bulls", "bears",
                               "retail", "sentiment", "options", "option", "hedge"), _gap(1),
                            _v("turn", "swing", "go", "flip", "get", "grow", "become", "sour")]  # fmt: skip
    bull_ratings = _w("buy", "outperform", "overweight", "bullish", "positive", "accumulate")

    # Analyst rating changes.
    r["downgrade"] += [
        # "Credit Suisse lowers Tesla rating" (a credit rating cut wins by _PRECEDENCE)
        [_v("lower", "cut", "reduce", "slash", "trim"), _gap(3), _w("rating", "recommendation")],
        [_v("downgrade")],
        *[_cat(_v("cut", "lower", "move", "drop", "reduce", "take", "slash", "knock"), _gap(5, parens=True), _w("to"), a)
          for a in _rating(_DOWN_RATINGS + _MID_RATINGS)],
        *_to_from(_DOWN_RATINGS + _MID_RATINGS, _UP_RATINGS),
        *_to_from(_DOWN_RATINGS, _MID_RATINGS),
        [_v("turn"), _w("bearish", "cautious"), _w("on")],
        [_w("bear", "bearish"), _w("call", "calls", "coverage", "note", "initiation")],
        *[_cat(_w("cut", "cuts", "removed", "removes", "dropped", "drops", "pulled", "pulls"), _w("from"), a)
          for a in _rating(_UP_RATINGS)],
        [_w("cut", "lowered", "downgraded", "trimmed"), _w("at"), {"IS_TITLE": True}],
        [_v("cool"), _w("on")],
        # Broker slang: "turns bearish", "loses a bull", "new bear steps out", "moves to the sidelines".
        [_v("turn", "swing", "go", "flip", "get", "grow", "become"), {"LOWER": {"IN": ["more", "to"]}, "OP": "?"},
         _w("bearish")],
        [_v("lose"), _w("a", "an", "its", "one", "another"), _w("bull", "bulls")],
        [_v("gain", "get", "add", "attract", "draw", "win"), _w("a", "another", "new"), _w("bear")],
        # "sours on Apple", "loses buy rating", "pulls buy rating", "stripped of buy rating", "goes to sell on"
        [_v("sour"), _w("on")],
        [_v("lose", "drop", "pull", "strip", "ditch", "remove", "yank", "cut", "scrap", "abandon"), _gap(2), bull_ratings,
         _w("rating", "call", "stance", "recommendation", "view")],
        [_w("stripped"), _w("of"), _gap(1), bull_ratings, _w("rating", "call")],
        *[_cat(_v("go", "move", "switch", "flip", "shift", "turn"), _w("to"), a, _w("on")) for a in _rating(_DOWN_RATINGS)],
        [_v("go", "turn", "move"), _w("underweight", "underperform", "bearish"), _w("on")],
        [_w("bear", "bears"), _v("step"), _w("out", "in", "up", "forward")],
        [_v("join", "return", "move", "switch", "go"), _gap(3), _w("bear"), _w("camp")],
        [_v("move", "go", "step", "hit", "head", "retreat", "shift", "send", "push"), _gap(3), _w("sidelines")],
        [_v("move", "go", "step"), _w("to"), {"LOWER": "the", "OP": "?"}, _w("side", "sidelines"), _w("on")],
    ]  # fmt: skip
    # An economy's growth forecast is not a stock's rating ("IMF to downgrade India's growth forecast").
    r["downgrade!"] += [[_v("downgrade"), _gap(3), _w("growth", "gdp", "economic", "economy", "inflation")],
                        [_w("imf", "oecd", "economists", "economist", "ecb", "fed"), _gap(3), _v("downgrade")]]  # fmt: skip
    r["downgrade!"] += [
        crowd_turns,
        [_w("hurricane", "storm", "typhoon", "cyclone", "tropical"), _gap(3), _v("downgrade")],
        [_v("downgrade"), _gap(3), _w("tropical", "storm", "hurricane", "category")],
    ]
    rating = _UP_RATINGS + _MID_RATINGS + _DOWN_RATINGS
    r["upgrade!"] += [[_w("rating", "ratings"), _w("agency", "agencies", "firm", "firms", "company", "companies")]]
    r["downgrade!"] += [[_w("rating", "ratings"), _w("agency", "agencies", "firm", "firms", "company", "companies")]]
    r["upgrade!"] += [
        [_w("been", "are", "were", "is", "getting", "grow", "grew", "growing"), _w("more"), _w("bullish")]
    ]
    r["upgrade!"] += [crowd_turns, [_w("bull"), _w("market", "markets", "run", "case", "trend", "cycle", "phase", "flag",
                                                 "thesis", "trap", "camp's")]]  # fmt: skip
    r["upgrade"] += [
        *[_cat(_v("upgrade"), _gap(6, parens=True), _w("to", "from"), a) for a in _rating(rating)],
        *[_cat(ups_verb, _gap(4), _w("to"), a) for a in _rating(_UP_RATINGS + _MID_RATINGS)],
        [_v("turn", "swing", "go", "flip", "get", "grow", "become"), {"LOWER": "more", "OP": "?"}, _w("bullish")],
        [_w("bull", "bulls"), _v("step"), _w("in", "up", "forward")],
        [_v("join", "return", "move", "switch", "go"), _gap(3), _w("bull"), _w("camp")],
        [_w("upgraded", "upgrades"), _w("at", "by", "on", "in", "with")],
        # "Zscaler +2.6% on new bull", "gets an upgrade", "added to Goldman's conviction list", "Top Upgrades, Downgrades"
        [_w("new", "another", "fresh"), _w("bull")],
        # "as Needham leaves sidelines", "comes off the sidelines"
        [_v("leave", "exit", "come", "step"), {"LOWER": {"IN": ["the", "off", "out"]}, "OP": "{0,2}"}, _w("sidelines")],
        # "warms to Uber", "flips to buy on Boeing", "raises Ford rating", "more bullish on Apple"
        [_LINKED, _v("warm"), _w("to", "up")],
        *[_cat(_v("go", "move", "switch", "flip", "shift", "turn"), _w("to"), a, _w("on")) for a in _rating(_UP_RATINGS)],
        [_v("raise", "lift", "boost", "hike"), _gap(3), _w("rating", "recommendation")],
        [_w("more"), _w("bullish", "positive"), _w("on")],
        [_v("get", "receive", "earn", "win", "land", "score", "garner"), _w("a", "an", "another", "its"), _gap(1),
         _w("upgrade", "upgrades")],
        # "Huntsman named Conviction Buy at Goldman"
        [_v("name", "make"), {"LOWER": {"IN": ["a", "as", "the"]}, "OP": "?"}, _w("conviction", "top"),
         _w("buy", "pick")],
        [_w("added", "adds", "add", "adding"), _gap(2), _w("to"), _gap(3),
         _w("conviction", "focus", "top", "best", "buy", "pick", "picks"), _w("list", "lists", "picks")],
        # "adds Amazon to its list of favorite stocks"
        [_w("added", "adds", "add", "adding"), _gap(2), _w("to"), _gap(2), _w("list", "lists"), _w("of"),
         _w("favorite", "favourite", "top", "best", "preferred"), _w("stocks", "picks", "ideas", "names")],
        [_w("upgrades"), {"ORTH": {"IN": [",", "&", "and", ":", "/"]}, "OP": "?"}, _w("downgrades")],
        [_w("top", "analyst", "stock", "notable", "biggest"), _w("upgrades")],
        [_w("on", "after", "gets", "get", "got", "receives", "earns", "wins", "double", "analyst", "rating",
            "broker", "sees", "rare", "surprise"), _w("upgrade", "upgrades")],
        [{"ENT_TYPE": "ORG"}, _w("upgrades", "upgraded"), _LINKED],
        # "Piper Sandler downgrades Palo Alto Networks, upgrades CrowdStrike"
        [_w(",", ";", "and", "&"), _w("upgrades"), _LINKED],
        # "Morgan Stanley Says In Upgrade"
        [_w("says", "said"), _w("in"), {"LOWER": {"IN": ["an", "its"]}, "OP": "?"}, _w("upgrade")],
        # "pullback turns Raymond James bullish", "Upgrades 4/7: $AMT $BHP ..."
        [_v("turn"), {**_LINKED, "OP": "+"}, _w("bullish", "positive", "constructive")],
        [_w("upgrades"), {"TEXT": {"REGEX": r"^\d{1,2}/\d{1,2}$"}}],
        # "Goldman ups view on Henry Schein", "New Zscaler bull sees 'sustainable' growth"
        [ups_verb, {"LOWER": {"IN": ["its", "the"]}, "OP": "?"}, _w("view", "views", "stance", "outlook"), _w("on")],
        [_w("new", "another", "fresh"), _LINKED, _w("bull")],
        # "UBS Upgrades Hasbro As ...", "BofA Upgrades WestRock After ..."
        [_LINKED, _w("upgrades"), _LINKED],
        # "Citi raises Alphabet on margin potential": a broker raising a company, not its prices
        [_LINKED, _w("raises", "lifts", "ups"), _LINKED, _w("on", "to")],
        [_w("raised", "lifted", "boosted", "upgraded"), _w("at"), {"IS_TITLE": True}],
        [_w("upgrades", "upgraded"), {"ORTH": "$"}],
        *[_cat(_v("raise", "lift", "boost", "move", "take", "bump", "hike", "elevate"), _gap(4), _w("to"), a)
          for a in _rating(_UP_RATINGS)],
        *_to_from(_UP_RATINGS + _MID_RATINGS, _DOWN_RATINGS),
        *_to_from(_UP_RATINGS, _MID_RATINGS),
        [_v("turn"), _w("bullish", "positive", "constructive"), _w("on")],
        [_v("gain", "get", "add", "attract", "draw", "win"), _w("a", "another", "new"), _w("bull")],
        # "WestRock +2% after BAML bump": a broker's lift of the rating.
        [_w("after", "on", "following"), {"ENT_TYPE": "ORG", "OP": "+"}, _w("bump", "lift", "boost", "upgrade")],
        [_w("analyst", "analysts", "broker", "brokers", "brokerage", "wall"), {"LOWER": "street", "OP": "?"},
         _w("upgrade", "upgrades")],
    ]  # fmt: skip

    # Results against expectations.
    r["earnings_miss"] += [
        [_v("miss", "trail", "lag"), _gap(4), _ESTIMATES],
        [_v("miss"), _w("by")],
        [_v("miss"), _w("on"), _gap(2), _RESULTS],
        [_w("q1", "q2", "q3", "q4", "quarter", "results", "earnings", "profit", "revenue", "sales", "eps"),
         _v("disappoint", "underwhelm")],
        [_v("miss"), _w("on", "in"), {"LOWER": "the", "OP": "?"}, _w("top", "bottom"), _w("line", "-line")],
        # "Lyft loses $1 billion in quarter"
        [_v("lose"), _gap(4), _w("in", "during", "for"), {"LOWER": "the", "OP": "?"},
         _w("quarter", "q1", "q2", "q3", "q4", "first-quarter", "second-quarter", "third-quarter", "fourth-quarter",
            "fiscal", "period", "half")],
        [_v("fall", "come"), _w("short")],
        # "Why Did Altria Take A Hit Of $4.5 Billion On Its Bottom Line?"
        [_w("hit", "hits", "charge", "writedown", "write-down"), _gap(7), _w("bottom"), _HYPHEN, _w("line")],
        [_v("come"), _w("up"), _w("short")],
        [_w("earnings", "profit", "profits", "results", "eps", "revenue", "sales"), _v("take"), _w("a"), _gap(1),
         _w("hit", "beating", "dive", "tumble", "knock")],
        [_w("subscriber", "subscribers", "user", "users", "traffic", "deliveries", "bookings", "orders", "membership"),
         _gap(1), _w("miss", "misses", "missed", "disappoint", "disappoints", "disappointed")],
        [_w("below", "under", "shy", "short"), _gap(1), _ESTIMATES],
        *_alt([], ("worse-than-expected", "weaker-than-expected", "lower-than-expected", "softer-than-expected",
                   "wider-than-expected", "bigger-than-expected", "larger-than-expected", "disappointing",
                   "dismal", "weak", "poor", "lackluster", "underwhelming", "grim", "bleak", "rough", "tough",
                   "ugly", "terrible", "soft", "sluggish", "disappointing"), [_gap(1), _RESULTS]),
        *_alt([], ("worse-than-expected", "weaker-than-expected", "lower-than-expected", "softer-than-expected"),
              [_gap(3), _RESULTS]),
        [_v("stumble", "falter", "stall", "slip", "trip"), _w("on", "in", "with"), _gap(1), _RESULTS],
        *_alt([], ("wider-than-expected", "bigger-than-expected", "larger-than-expected", "surprise", "unexpected"),
              [_gap(1), _w("loss", "losses")]),
        [_v("post", "report", "swing", "sink", "slip", "plunge", "turn", "book", "flag", "log"), _gap(4),
         _w("loss", "losses", "deficit")],
        [_w("loss", "losses"), _v("widen", "deepen", "mount", "grow", "balloon", "pile", "swell")],
        # Revenue against expectations is a result; revenue moving against the year before is not.
        [_w("revenue", "revenues"), _gap(2), _v("miss", "disappoint", "trail", "lag")],
        [_w("profit", "profits", "earnings", "eps", "income"), _gap(2),
         _v("fall", "drop", "decline", "plunge", "slump", "tumble", "sink", "slide", "shrink", "dip", "slip", "halve",
            "miss", "disappoint", "crater", "collapse", "sag")],
        # "surprise drop in earnings", "Pizza Hut's turnaround weighs on Yum Brands results"
        [_w("drop", "fall", "decline", "slump", "plunge", "slide", "dip", "drops", "falls", "declines"), _w("in"),
         _gap(1), _w("earnings", "profit", "profits", "income", "eps")],
        [_v("weigh", "hurt", "drag", "dent"), {"LOWER": "on", "OP": "?"}, _gap(3),
         _w("results", "earnings", "profit", "profits")],
        [_w("lower", "weaker", "falling", "declining", "shrinking", "reduced"), _gap(1),
         _w("profit", "profits", "earnings", "income")],
        # "shares slip on lower operating profit than expected"
        [_w("lower", "weaker", "smaller"), _gap(2), _w("profit", "profits", "earnings", "income", "eps"), _list_gap(3),
         _w("than"), _w("expected", "forecast", "estimated", "anticipated")],
    ]  # fmt: skip
    # "loss of a contract / of jobs" is not a result, "loss of $5 million" is.
    not_money: Tok = {"LIKE_NUM": False, "ORTH": {"NOT_IN": ["$", "€", "£", "US$", "C$", "A$", "about", "nearly",
                                                           "almost", "more", "over", "around", "roughly"]}}  # fmt: skip
    # "Weak Second Quarter for Britain's Economy"
    r["earnings_miss!"] += [[_w("quarter", "results", "year"), _w("for"), _gap(2),
                             _w("economy", "economies", "britain", "country", "nation", "gdp", "markets")]]  # fmt: skip
    r["earnings_miss!"] += [[_w("weight", "job", "jobs", "customer", "customers", "subscriber", "subscribers",
                               "hearing", "memory", "market", "share"), _HYPHEN, _w("loss", "losses")], [_w("loss"), _w("of"), not_money], *_MACRO_VETO,
                            [_w("vs", "vs.", "versus", "from"), _gap(2), _w("loss", "losses")]]  # fmt: skip
    # "Record Fourth Quarter Sales of $1.33 Billion": sales against the past, like "revenue up 36%".
    r["earnings_beat!"] += [*_MACRO_VETO, [_w("other"), _w("income")],
                            [_w("record"), _gap(2), _w("sales", "revenue", "revenues", "deliveries", "shipments")]]  # fmt: skip
    # A sector's or the market's results, and price moves on earnings news, are no company's result:
    # "Dow down after disappointing retail results", "Stocks close mostly lower on earnings concerns".
    _sector_results: list[Pattern] = [
        [{"ENT_KB_ID": "", **_w("retail", "sector", "industry", "bank", "banks", "tech", "oil", "airline", "chip")},
         _w("results", "earnings")],
        [_w("stocks", "markets", "indexes", "indices", "nasdaq", "dow", "futures", "wall"), _gap(4),
         _w("lower", "higher"), _w("on", "after", "as", "amid"), _gap(2), _w("earnings", "results")],
    ]  # fmt: skip
    r["earnings_miss!"] += _sector_results
    r["earnings_beat!"] += _sector_results
    # A forecast of a loss or of shrinking revenue is guidance, not a result: "wider-than-expected loss forecast".
    r["earnings_miss!"] += [[_w("loss", "losses"), _w("forecast", "forecasts", "outlook", "guidance", "projection")],
                            [_w("guidance", "outlook", "forecast"), _gap(2), _w("revenue", "revenues", "sales", "profit"),
                             _w("shrinks", "falls", "declines", "drops", "shrink", "fall", "decline", "drop")]]  # fmt: skip
    r["earnings_miss"] += [
        [_w("results", "earnings", "eps", "revenue", "revenues", "sales", "profit", "quarter", "quarterly", "q1", "q2",
            "q3", "q4", "fq1", "fq2", "fq3", "fq4", "1q", "2q", "3q", "4q", "annual", "full-year"),
         _w("miss", "misses", "shortfall", "disappointment", "letdown")],
        [_v("come"), _w("in"), _gap(3), _w("light", "soft", "weak", "short", "below")],
        # "missed EPS by 14%", "misses same-store sales, profit estimates", "Q4 EPS $1.04 misses".
        [_v("miss"), _gap(3), _w(*_FIGURE_NOUNS, "q1", "q2", "q3", "q4", "quarter", "results")],
        [_w(*_FIGURE_NOUNS), _NUMBERS, _w("miss", "misses", "missed", "trails", "trailed", "lags", "lagged")],
        [_w(*_FIGURE_NOUNS, "line"), _w("miss", "misses", "shortfall", "disappointment")],
        [_w(*_FIGURE_NOUNS, "line", "results"), _gap(2), _w("shy", "short", "below"), {"LOWER": "of", "OP": "?"},
         _w("guidance", "outlook", "forecast", "target", "targets")],
        [_w("results"), _v("slide", "fall", "drop", "decline", "disappoint", "slump", "sink", "tumble", "sag", "slip")],
        [_w("results", "quarter", "earnings"), _w("were", "was", "are", "is"), {"LOWER": {"IN": ["quite", "very", "so", "pretty"]}, "OP": "?"},
         _w("challenging", "disappointing", "weak", "poor", "soft", "tough", "rough", "ugly", "dismal")],
        [_w("eps", "profit", "profits", "earnings", "income"), _w("down"), {"LIKE_NUM": True}],
        # "Philip Morris Q4 $1.04, down 15.4%"
        [_w("q1", "q2", "q3", "q4", "fq1", "fq2", "fq3", "fq4", "1q", "2q", "3q", "4q"), _AMOUNT,
         {"ORTH": ",", "OP": "?"}, _w("down"), {"LIKE_NUM": True}],
        [_w("eps", "profit", "profits", "earnings", "income"), _AMOUNT, {"ORTH": ",", "OP": "?"}, _w("down")],
        [_w("loss", "losses"), _w("per"), _w("share")],
        [_w("net", "quarterly", "operating", "pretax", "pre-tax", "q1", "q2", "q3", "q4", "annual", "full-year",
            "first-quarter", "second-quarter", "third-quarter", "fourth-quarter"), _w("loss", "losses")],
    ]  # fmt: skip
    # A reported loss ("EPS of -$0.80") is a miss unless the text says it beat.
    r["earnings_miss~"] += [
        [_w("eps", "income"), {"LOWER": "of", "OP": "?"}, {"TEXT": {"REGEX": r"^[-−(]\$?\d"}}],
        [
            _w("eps", "income"),
            {"LOWER": "of", "OP": "?"},
            _w("-", "−", "("),
            {"ORTH": "$", "OP": "?"},
            {"LIKE_NUM": True},
        ],
    ]
    # "Delta sees 2020 revenue up 4% to 6%" is a forecast, not a result.
    r["earnings_beat!"] += [[_w("see", "sees", "seeing", "expects", "expecting", "forecasts", "forecasting", "projects",
                                "projecting", "guides", "guiding", "targets", "targeting"),
                             {"ORTH": {"NOT_IN": [b for b in _BOUNDARIES if b != "."]}, "OP": "{0,6}"}, _RESULTS]]  # fmt: skip
    r["earnings_beat!"] += [
        [
            _w("first", "surprise", "unexpected"),
            _gap(2),
            _w("profit", "profits"),
            _w("decline", "drop", "fall", "falls", "slump", "warning", "warnings", "miss", "dip", "decrease"),
        ],
        [_v("beat", "top"), _w("the"), _w("trend", "market", "odds", "index", "heat", "clock", "rush")],
    ]
    # Paired results: "JPMorgan beats; Wells Fargo misses", "$ABNB beats, $EXPE misses", "Micron
    # beats on AI demand": a bare result verb right after a linked company, then a clause end
    # ("Apple beats Samsung in shipments" has an object and stays out).
    paired_end: Tok = {"ORTH": {"IN": [";", ",", ".", "|", ":", "-", "—", "on", "as", "while", "but", "and", "after",
                                       "amid", "with", "thanks", "despite", "again", "yet"]}}  # fmt: skip
    for event_type, verbs in (
        ("earnings_beat", ("beats", "beat", "tops", "top")),
        ("earnings_miss", ("misses", "miss", "lags", "disappoints")),
    ):
        # "Morgan Stanley (NYSE:MS) beat on trading": the symbol's bracket may sit between.
        after_name: Tok = {"ORTH": ")", "OP": "?"}
        r[event_type] += [
            [_LINKED, after_name, _w(*verbs), paired_end],
            [_LINKED, after_name, {**_w(*verbs), "_": {_ENDS_TEXT: True}}],
        ]
    r["earnings_beat"] += [
        # "AbbVie Wows Again With Q4 Results", "results impress"
        [_v("wow", "impress", "dazzle"), _gap(3), _RESULTS],
        [_w("results", "earnings", "quarter"), _w("impress", "impressed", "dazzle", "dazzled", "wow", "wowed")],
        [_v("beat", "top", "exceed", "surpass", "crush", "smash", "trounce", "outpace", "eclipse"), _gap(4), _ESTIMATES],
        [_v("beat"), _w("by")],
        [_v("beat"), _w("on"), _gap(2), _RESULTS],
        [_w("above", "ahead"), _gap(1), _ESTIMATES],
        # "tops user, sales expectations": a list of figures before the estimates.
        [_v("top", "beat", "exceed", "surpass"), _w(*_FIGURE_NOUNS, "user", "users", "subscriber", "subscribers"),
         {"ORTH": {"IN": [",", "and", "&"]}}, _gap(2), _ESTIMATES],
        # "Netflix blows past estimates", "Shopify swings to profit", "posts first quarterly profit"
        [_v("blow", "sail", "breeze", "race", "speed", "plow", "plough", "cruise", "zoom"), _w("past", "through", "by", "away"),
         _gap(2), _ESTIMATES],
        # "another blow out report", "upside third quarter press"
        [_w("blow"), _w("out"), _w("report", "quarter", "results", "earnings", "print")],
        [_w("upside"), {"LOWER": {"IN": ["first", "second", "third", "fourth", "fiscal", "q1", "q2", "q3", "q4"]}, "OP": "?"},
         _w("quarter", "results", "earnings", "report")],
        [_v("swing", "flip"), _w("to"), {"LOWER": "a", "OP": "?"}, _gap(1), _w("profit", "profits")],
        [_w("surprise", "unexpected"), _gap(1), _w("profit", "profits")],
        [_w("first"), _w("quarterly", "annual", "ever", "yearly", "full-year"), _w("profit", "profits")],
        *_alt([], ("better-than-expected", "stronger-than-expected", "higher-than-expected", "forecast-beating",
                   "estimate-beating", "blowout", "stellar", "bumper"), [_gap(1), _RESULTS]),
        # "Delivers Exceptional Fiscal 2020 Second Quarter Results" (not "Trial Shows Outstanding Results")
        *_alt([], ("exceptional", "excellent", "impressive", "outstanding"),
              [_gap(4), _w("quarter", "quarterly", "q1", "q2", "q3", "q4", "earnings", "profit", "profits", "sales",
                           "revenue")]),
        # "58.com +3.5% after upside Q3"
        [_w("upside"), _w("q1", "q2", "q3", "q4", "quarter", "results", "report")],
        # "Estimate-Beating Fourth-Quarter Earnings Results": a longer gap after the compound adjectives
        *_alt([], ("better-than-expected", "stronger-than-expected", "forecast-beating", "estimate-beating",
                   "expectation-beating"), [_gap(3), _RESULTS]),
        # against a benchmark, not a milestone ("revenue tops $1B for first time")
        [_w("revenue", "revenues"), _gap(2), _v("beat", "top", "exceed", "surpass", "outpace"), _gap(2),
         _w(*_ESTIMATE_WORDS, "guidance", "outlook")],
        [_w("profit", "profits", "earnings", "eps", "income"), _gap(2),
         _v("jump", "soar", "surge", "rise", "climb", "rocket", "double", "leap", "grow", "rebound", "beat", "top", "gain",
            "quadruple", "balloon")],
        [_w("record"), _gap(1), _w("profit", "profits", "earnings", "revenue", "revenues", "quarter", "results", "sales")],
        # "after reporting strong third-quarter sales"
        [_w("strong", "solid", "robust", "stellar", "blowout", "bumper"), _w("first", "second", "third", "fourth"),
         {"ORTH": "-", "OP": "?"}, _w("quarter"), _w("sales", "revenue", "results", "earnings", "profit")],
        # "Pinterest reveals sales and users grew faster than expected"
        [_RESULTS, _gap(3), _v("grow", "rise", "increase", "climb"), _w("faster", "more"), _w("than"),
         _w("expected", "forecast", "estimated", "anticipated")],
        # "Why Pinterest Earnings Were So Inspiring"
        [_w("results", "quarter", "earnings"), _w("were", "was"), {"LOWER": {"IN": ["quite", "very", "so", "pretty"]}, "OP": "?"},
         _w("inspiring", "encouraging", "impressive", "stellar", "excellent", "outstanding")],
        # "eked out a rise in profit last quarter"
        [_w("rise", "jump", "increase", "surge", "rebound", "gain"), _w("in"), _gap(3),
         _w("earnings", "profit", "profits", "income", "eps", "ebitda")],
        # "shares surge on higher operating profit, dividend than expected"
        [_w("higher", "stronger", "bigger", "better", "larger"), _gap(2), _w("profit", "profits", "earnings", "income", "eps"),
         _list_gap(3), _w("than"), _w("expected", "forecast", "estimated", "anticipated")],
        [_w("q1", "q2", "q3", "q4", "fq1", "fq2", "fq3", "fq4", "1q", "2q", "3q", "4q"), _AMOUNT,
         {"ORTH": ",", "OP": "?"}, _w("up"), {"LIKE_NUM": True}],
        [_w("eps", "profit", "profits", "earnings", "income"), _AMOUNT, {"ORTH": ",", "OP": "?"}, _w("up"),
         {"LIKE_NUM": True}],
        # "profit up 27%", "non-GAAP EBITDA up 169%"
        [_w("profit", "profits", "earnings", "eps", "income", "ebitda"), _w("up"),
         {"LOWER": {"IN": ["big", "sharply", "strongly", "solidly", "more", "nearly", "almost"]}, "LIKE_NUM": False, "OP": "?"},
         {"LOWER": {"REGEX": r"^(big|sharply|strongly|solidly|\d[\d.,]*%?)$"}}],
        # "strong sales" of a product is not a result; a strong quarter or profit is.
        [_w("strong", "solid", "robust", "stellar", "blowout", "bumper", "upbeat", "blockbuster", "encouraging",
            "inspiring"),
         _w("results", "earnings", "quarter", "quarterly", "eps", "profit", "profits", "q1", "q2", "q3", "q4", "fq1",
            "fq2", "fq3", "fq4", "1q", "2q", "3q", "4q")],
        [_RESULTS, _w("upside", "beat", "beats", "outperformance", "topper")],
        [_w("beats", "beat", "beating", "crushes", "crushed", "smashes", "smashed", "trounces"),
         _w(*_FIGURE_NOUNS, "q1", "q2", "q3", "q4")],
        [_w("tops", "topped"), _w("eps", "earnings", "profit", "q1", "q2", "q3", "q4")],
        [_w(*_FIGURE_NOUNS), _NUMBERS, _w("beats", "beat", "exceeds", "exceeded", "surpasses", "surpassed")],
    ]  # fmt: skip

    # Company guidance.
    # "Varonis -6% on wider-than-expected loss forecast", "after year guidance revenue shrinks",
    # "Kohl's Plunges Most in Almost Three Years on Profit Forecast"
    r["guidance_cut"] += [
        # A company warning on its own business is a profit warning: "Deere warns on 2026 demand",
        # "Airbnb warns on summer bookings" (a warning about a market or the economy is not).
        [_LINKED, _w("warns", "warned", "warning"), _w("on", "of", "about", "over"), _gap(2),
         _w("demand", "sales", "bookings", "revenue", "revenues", "profit", "profits", "earnings", "margins",
            "margin", "orders", "spending", "traffic", "growth", "results")],
        *_alt([], ("wider-than-expected", "bigger-than-expected", "larger-than-expected", "wider", "bigger"),
              [_w("loss", "losses"), _w("forecast", "forecasts", "outlook", "guidance")]),
        [_w("guidance", "outlook", "forecast"), _gap(2), _w("revenue", "revenues", "sales", "profit"),
         _w("shrinks", "falls", "declines", "drops")],
        [_w("plunges", "plunge", "sinks", "tumbles", "slumps", "craters", "plummets", "dives"), _gap(5),
         _w("on", "after"), _w("profit", "earnings", "sales", "revenue"), _w("forecast", "outlook", "guidance", "view")],
    ]  # fmt: skip
    # "Labor Troubles Put Long-Term Targets in Jeopardy"
    r["guidance_cut"] += [[_w("targets", "target", "goals", "goal", "guidance", "forecast", "outlook"),
                           _w("in", "into"), _w("jeopardy", "doubt", "question")]]  # fmt: skip
    r["guidance_cut"] += [
        [_GUIDE_STRICT, _w("light", "soft", "weak", "disappoints", "underwhelms", "disappointing", "lackluster", "weaker")],
        [_v("withdraw", "pull", "suspend", "scrap"), _gap(2), _w("view", "views")],
        [_w("not", "n't", "unlikely", "fail"), {"LOWER": "to", "OP": "?"}, _w("meet", "reach", "hit", "achieve"), _gap(3),
         _w("guidance", "outlook", "forecast", "forecasts", "target", "targets", "goal", "goals", "projections")],
        # "says it will miss revenue guidance", "warns it will miss expectations"
        [_w("will", "to", "would", "may", "could", "set"), {"LOWER": "to", "OP": "?"}, _v("miss"), _gap(3),
         _w("guidance", "outlook", "forecast", "forecasts", "target", "targets", "estimates", "expectations", "goal",
            "goals", "projections")],
        # "lowers fiscal 2019 sales and earnings guidance"; "as", "after" start another clause.
        [cutv, {"ORTH": {"NOT_IN": [*_BOUNDARIES, "as", "after", "while", "amid", "despite", "because", "since", "but",
                                    "on", "'", "‘", "’", '"']}, "OP": "{0,6}"}, _GUIDE_STRICT],
        [_GUIDE_STRICT, _gap(3), _w("cut", "cuts", "lowered", "reduced", "slashed", "trimmed", "withdrawn", "pulled",
                                   "suspended", "scrapped", "downgraded")],
        [_w("weak", "weaker", "soft", "softer", "disappointing", "downbeat", "gloomy", "bleak", "dim", "cautious",
            "lower", "reduced", "below-consensus", "tepid", "muted", "lackluster", "grim", "dour", "sluggish",
            "gloomier", "lowered", "conservative", "light", "downside", "cautious"), _gap(2, conjunctions=False),
         _w("guidance", "outlook", "outlooks", "forecast", "forecasts", "view", "views", "projection", "projections")],
        [_GUIDE_STRICT, _gap(2), _v("come"), _w("in"), _gap(3), _w("light", "soft", "weak", "short", "below", "low")],
        [_w("profit", "earnings", "sales", "revenue"), _w("warning", "warnings", "downgrade", "downgrades")],
        [_v("warn"), _gap(3), _w("profit", "profits", "earnings", "sales", "revenue", "revenues", "lower", "weaker",
                                 "slowdown", "slowing", "weak", "headwinds", "loss", "losses", "hit", "decline")],
        [_v("guide"), _gap(2), _w("lower", "below", "down", "weaker", "light")],
        [_GUIDE_STRICT, _gap(2), _w("below", "short", "shy", "under"), _gap(1), _ESTIMATES],
        [_GUIDE_STRICT, _gap(2),
         _w("misses", "missed", "trails", "trailed", "lags", "lagged", "disappoints", "disappointed", "undershoots")],
        [cutv, _w("profit", "earnings", "sales", "revenue", "margin"), {"ORTH": {"IN": [",", "and", "&"]}}, _gap(2),
         _GUIDE_STRICT],
        [_v("see", "expect", "forecast", "project", "predict"), {"LOWER": {"IN": ["a", "an", "the"]}, "OP": "?"},
         _w("lower", "weaker", "reduced", "falling", "declining", "drop", "decline", "fall", "decrease", "slump",
            "slowdown")],
        [_w("q1", "q2", "q3", "q4", "quarterly", "profit", "earnings", "sales", "revenue"), _w("warning", "warnings")],
        [_w("will", "to", "could", "may", "would", "expected"),
         _v("hamper", "hurt", "hit", "dent", "weigh", "crimp", "squeeze", "drag", "curb", "damp", "dampen"), _gap(2),
         _w("sales", "revenue", "revenues", "profit", "profits", "earnings", "margins", "results", "demand")],
        [_v("expect", "see", "warn", "flag", "forecast"), _gap(4), _w("hit", "headwind", "headwinds", "drag")],
    ]  # fmt: skip
    # Forecasts of the economy, not of a company ("IMF cuts global growth forecast").
    # Analysts' and economists' forecasts are not the company's guidance.
    _forecasters: list[Pattern] = [
        [_w("analyst", "analysts", "brokers", "economists", "economist", "strategists", "imf", "oecd", "fed", "ecb",
            "forecasters", "opec", "iea", "eia"), _gap(4), _v(*_CUT_VERBS, *_RAISE_VERBS)],
    ]  # fmt: skip
    _forecasters.append(
        [_w("analyst", "analysts", "economists", "economist", "strategists", "imf", "oecd", "fed", "fed's", "ecb",
            "forecasters", "central"), {"ORTH": {"NOT_IN": [";", ":", ".", "|", "!", "?"]}, "OP": "{0,6}"},
         _GUIDE_STRICT]
    )  # fmt: skip
    r["guidance_cut!"] += _forecasters
    # A rating agency "revises outlook to stable" is not a company's guidance.
    r["guidance_cut!"] += [[_v("revise"), _gap(3), _w("to"), _w("stable", "positive", "upward", "higher")]]
    # "Expect A Weaker Dollar": a market call, not a company's outlook.
    # A broker's reason, not the company's guidance: "cut at Credit Suisse on weak building outlook",
    # "price targets cut at Barclays on weaker ad outlook".
    r["guidance_cut!"] += [[_w("cut", "cuts", "downgraded", "lowered", "trimmed", "lowers", "trims", "downgrades",
                               "upgraded", "upgrades", "raised", "raises", "lifted", "lifts"),
                            _gap(5), _w("on", "over", "amid"), _gap(3), _w("outlook", "outlooks")]]  # fmt: skip
    r["guidance_cut!"] += [[_w("weaker", "lower", "falling", "declining", "slower", "weak"),
                            _w("dollar", "euro", "yen", "pound", "sterling", "currency", "currencies", "economy", "gdp",
                               "inflation", "rates", "yields", "oil", "gold", "prices", "market", "markets", "stocks",
                               "volatility", "rupee", "yuan", "loonie")]]  # fmt: skip
    r["guidance_cut!"] += [[_w("gdp", "economic", "inflation", "weather", "rate", "rates", "oil", "global", "imf",
                               "world", "economy", "macro", "eurozone", "china's", "u.s.", "trade"), _gap(1), _GUIDE_STRICT]]  # fmt: skip
    # "Exxon cuts full-year capex forecast by 30%": spending plans are not results guidance.
    r["guidance_cut!"] += [[_w("capex", "capital", "spending", "investment", "expenditure", "expenditures", "budget"),
                            _GUIDE_STRICT]]  # fmt: skip
    # "ArcelorMittal Surges as Steel Outlook Brightens": an industry's outlook, not the company's guidance.
    r["guidance_cut!"] += [[{"ENT_KB_ID": "", **_w("steel", "industry", "sector", "commodity", "commodities", "copper",
                                                    "metals", "housing", "demand", "market", "markets", "chip", "semiconductor",
                                                    "freight", "shipping", "retail", "auto", "airline", "travel")},
                            _GUIDE_STRICT]]  # fmt: skip
    # "Australia Cuts Forecasts for Wage Increases, Economic Growth": an economy's forecasts.
    # "IHS Markit sees lower risk of global recession"
    r["guidance_cut!"] += [[_w("lower", "higher", "reduced"), _w("risk", "risks", "chance", "odds", "probability")]]
    r["guidance_cut!"] += [[_GUIDE_STRICT, _w("for"), _gap(2), _w("wage", "wages", "growth", "gdp", "inflation", "economic",
                                                               "economy", "budget", "unemployment", "jobs")]]  # fmt: skip
    r["guidance_cut"] += [
        [_GUIDE_STRICT, _gap(2), _v("fail"), _w("to"), _w("impress", "satisfy", "excite", "reassure")]
    ]
    r["earnings_miss"] += [[_RESULTS, _gap(2), _v("fail"), _w("to"), _w("impress", "satisfy", "excite", "reassure")]]
    # "Philip Morris Forecasts Higher Profit", "forecasts lower profit for 2020"
    for event_type, direction in (
        ("guidance_raise", ("higher", "stronger", "bigger", "record")),
        ("guidance_cut", ("lower", "weaker", "smaller")),
    ):
        r[event_type] += [
            [
                _v("forecast", "see", "expect", "project"),
                _w(*direction),
                _w("profit", "profits", "earnings", "eps", "sales", "revenue"),
            ]
        ]
    r["guidance_raise"] += [
        # "raising adjusted operating margin and earnings outlook"
        [raisev, _gap(5), _GUIDE_STRICT],
        [ups, _gap(4), _GUIDE_STRICT],
        [_GUIDE_STRICT, _gap(2), _w("raised", "lifted", "boosted", "hiked", "increased", "upgraded")],
        [_w("view", "outlook", "guidance", "forecast", "forecasts", "outlooks"), _v("improve", "brighten")],
        [_w("upbeat", "strong", "stronger", "bullish", "rosy", "robust", "higher", "raised", "solid", "optimistic", "upside",
            "better-than-expected", "above-consensus", "sunny", "bright", "brighter", "rosier"), _gap(2), _GUIDE_STRICT],
        [_v("guide"), _w("higher", "above", "up", "ahead")],
        # "will reach a key profitability goal sooner than expected"
        [_v("reach", "hit", "achieve", "meet"), _gap(4), _w("sooner", "earlier", "ahead"), _w("than", "of"),
         _w("expected", "planned", "forecast", "schedule", "targeted", "promised")],
        # "Nvidia sees Q4 revenue above estimates"
        [_v("see", "expect", "forecast", "project", "guide"), {"ORTH": {"NOT_IN": _BOUNDARIES}, "OP": "{0,4}"},
         _RESULTS, _gap(2), _w("above", "ahead", "topping", "exceeding")],
        [_GUIDE_STRICT, _gap(2), _w("above", "tops", "beats", "exceeds", "ahead")],
        # "Qiwi +4.1% after Q3 beat-and-raise" (the "beat" stays the results' word)
        [{"ORTH": "-"}, _w("and"), {"ORTH": "-"}, _w("raise")],
        # "+4% on guidance beat", "on Q4 and guidance beat"
        [_w("on", "after", "and", "&"), _GUIDE_STRICT, _w("beat", "upside")],
    ]  # fmt: skip
    r["guidance_raise!"] = r["guidance_cut!"]
    # A gap that may cross the full stop of an abbreviation ("sees 2020 adj. EPS down 3%").
    dotted: Tok = {"ORTH": {"NOT_IN": [b for b in _BOUNDARIES if b != "."]}, "OP": "{0,6}"}
    company_goal = _w("profit", "profits", "sales", "revenue", "revenues", "earnings", "margin", "margins", "eps",
                      "ebitda", "earnings-per-share", "return", "returns")  # fmt: skip
    r["guidance_cut"] += [
        [{"ENT_TYPE": "ORG"}, _w("'s", "’s"), _w("warning", "warnings")],
        [_w("'s", "’s"), {"LOWER": {"IN": ["profit", "sales", "earnings", "revenue"]}, "OP": "?"}, _w("warning", "warnings"),
         _v("send", "hit", "drag", "weigh", "knock", "spook", "sink")],
        # "estimates 2020 negative impact of $200 mln from the outbreak"
        [_v("estimate", "expect", "see", "flag", "forecast", "warn", "project", "report"), _gap(3),
         _w("negative", "adverse"), _w("impact", "hit", "effect")],
        [_v("see", "expect", "forecast", "project", "guide"), dotted, _RESULTS, _gap(2),
         _w("down", "below", "lower", "decline", "declines", "falling", "declining", "dropping", "shrinking",
            "slowing")],
        # "cuts key profit target", "cuts sales goal", "profit view slashed".
        [cutv, _gap(3), company_goal, _w("target", "targets", "goal", "goals", "view", "views")],
        [company_goal, _w("view", "views", "target", "targets", "goal", "goals", "forecast", "forecasts", "outlook",
                          "guidance"), _gap(2),
         _w("cut", "cuts", "slashed", "lowered", "reduced", "trimmed", "withdrawn", "pulled", "suspended", "scrapped",
            "downgraded", "axed", "chopped", "halved")],
        [_v("see", "expect", "warn", "flag", "forecast", "predict"), _gap(2),
         _w("weak", "weaker", "soft", "softer", "slowing", "lower", "declining", "falling", "slower"),
         _w("demand", "sales", "orders", "revenue", "revenues", "margins", "profit", "profits", "earnings")],
        # "Canada Goose shares slump on warning over virus impact"
        [_w("shares", "stock"), _gap(1), _v("slump", "fall", "drop", "tumble", "sink", "plunge", "slide", "slip", "dip",
                                            "sag", "crater", "retreat"),
         _w("on", "after"), {"LOWER": {"IN": ["a", "profit", "sales", "earnings", "revenue", "guidance"]}, "OP": "?"},
         _w("warning", "warnings")],
    ]  # fmt: skip

    # Legal and regulatory.
    r["lawsuit"] += [
        [_w("patent"), _gap(1), _w("award", "verdict", "ruling", "infringement", "case", "dispute", "lawsuit", "suit", "challenge",
                                  "resolution")],
        [_w("award", "verdict", "ruling", "judgment", "judgement"), _w("vacated", "overturned", "upheld", "reversed")],
        # "GM wins key legal victory", "ExxonMobil wins climate change court fight with New York"
        [_v("win", "score", "lose", "suffer"), _gap(3), _w("legal", "court", "courtroom"),
         _w("victory", "win", "battle", "fight", "defeat", "setback", "challenge")],
        # "Enterprise Wins Favorable Ruling From Texas Supreme Court"
        [_v("win", "lose"), _gap(2), _w("ruling", "verdict", "judgment", "judgement", "appeal")],
        # "Judge will not force Uber to convert drivers to employees"
        [_w("judge", "judges", "court"), _gap(2), _v("force", "block", "halt", "dismiss", "deny", "throw")],
        [_v("settle", "win", "lose", "file", "launch"), _gap(1), _w("arbitration")],
        [_w("court", "courts", "appeals", "judge", "jury", "judges"),
         _w("ruling", "rules", "ruled", "verdict", "decision", "orders", "ordered", "sides", "rejects", "dismisses")],
        [_v("settle"), _w("with")],
        # "Exxon was found not guilty in New York climate change case" (a company's verdict, not a person's)
        [_LINKED, _gap(3), _w("found", "held"), {"LOWER": "not", "OP": "?"}, _w("guilty", "liable")],
        [_w("settlement", "settlements"), _w("with", "over")],
        _ph("legal settlement"),
        [_v("agree", "reach", "strike", "announce", "approve", "finalize", "finalise"), _gap(4),
         _w("settlement", "settlements")],
        [_w("ordered", "order", "orders"), _w("to"), _w("pay"), _gap(4), _w("damages", "compensation", "royalties")],
        [_w("ordered"), _w("to"), _w("pay"), _gap(5), _w("case", "lawsuit", "suit", "trial", "verdict", "judgment")],
        [_w("settlement", "settlements"), _w("talks", "deal", "agreement", "offer", "payment", "payout")],
        [_v("sue")],
        [_v("countersue")],
        [_w("lawsuit", "lawsuits", "litigation", "litigations", "verdict", "suit", "suits")],
        _ph("class-action"),
        _ph("class action"),
        # Tweets cut at 140 characters: "announces that a securities class acti…"
        _ph("securities class"),
        _ph("legal action"),
        _ph("legal actions"),
        _ph("breach of contract"),
        [_v("lose", "win"), _gap(2), _w("trial", "case", "appeal", "lawsuit", "suit", "verdict", "arbitration")],
        [_v("settle"), _gap(3), _w("lawsuit", "lawsuits", "suit", "suits", "litigation", "claims", "case", "cases",
                                  "allegations", "breach", "dispute", "disputes", "class")],
        [_w("jury", "juries"), _gap(2), _v("order", "award", "find", "rule")],
        [_v("take"), _gap(3), _w("to"), _w("court", "trial", "arbitration")],
        [_v("file"), _gap(2), _w("complaint", "complaints")],
    ]  # fmt: skip
    r["lawsuit!"] += [
        [_w("wto"), _w("lawsuit", "case", "complaint", "dispute", "suit")],
        [_v("settle"), _w("with"), _w("dissident", "activist", "activists", "shareholder", "shareholders")],
        [_w("trade", "border", "territorial"), _w("disputes", "dispute", "war", "wars")],
        [_v("follow"), _w("suit")],
        [_w("space", "swim", "pressure", "birthday", "wet"), _w("suit", "suits")],
    ]
    # "Diodes, Lite-On deal facing Chinese scrutiny"
    r["investigation"] += [[_v("face", "draw", "attract"), _gap(2), _w("scrutiny")]]
    r["investigation"] += [
        _ph("under the microscope"),
        [_w("investigation", "investigations", "probe", "probes", "inquiry", "inquiries", "enquiry", "subpoena",
            "subpoenas", "subpoenaed", "probed", "probing")],
        [_v("investigate")],
        [_w("sec", "ftc", "doj", "fda", "epa", "cfpb", "fcc", "faa", "nhtsa", "finra", "cftc", "fca", "cma", "ofac",
            "regulator", "regulators", "watchdog", "watchdogs", "prosecutors", "authorities", "attorney", "ag", "ags",
            "antitrust", "enforcers"), _gap(1), _v("look", "examine", "scrutinize", "scrutinise", "review", "query", "question"),
         {"LOWER": "into", "OP": "?"}],
        [_w("antitrust", "regulatory", "federal", "congressional"), _w("scrutiny")],
        [_REGULATORS, _w("scrutiny", "review", "inquiry")],
        [_w("raid", "raided", "raids"), _w("by", "offices", "headquarters", "office")],
    ]  # fmt: skip
    # An investor's research, not a probe: "Should You Investigate STERIS plc At US$149?"
    r["investigation!"] += [[_w("you", "we", "investors"), _w("investigate")], [_w("worth"), _w("investigating")]]
    r["investigation!"] += [
        [_w("llp", "pllc", "p.c.", "firm", "attorneys", "lawyers"), _gap(1), _w("investigates", "investigating")],
        [_w("shareholder", "stockholder", "investor"), _w("investigation", "investigations")],[_w("space", "nasa", "lunar", "mars", "solar", "planetary"), _w("probe", "probes")],
                            [_w("impeachment"), _w("inquiry", "probe", "investigation", "investigations")]]  # fmt: skip
    # "HSBC to pay $192M under deferred prosecution agreement"
    r["fine"] += [[_w("deferred", "non"), _HYPHEN, _w("prosecution"), _w("agreement")]]
    r["fine"] += [
        [_w("fined", "fines", "penalized", "penalised")],
        [_w("'s", "’s", "'"), _w("fine", "penalty"), _w("for", "over", "in")],
        # "pays $282 million to settle bribery probe"
        [_v("pay", "agree"), _gap(5), _w("to"), _v("settle", "resolve", "end"), _gap(3),
         _w("probe", "probes", "investigation", "investigations", "charges", "inquiry")],
        [_MONEY_WORDS, _gap(1), _w("fine", "penalty", "penalties")],
        [_w("fine"), _w("of"), _w("$", "€", "£", "us$", "about", "up", "nearly", "almost", "more")],
        [_v("pay", "face", "impose", "slap", "hit", "levy", "receive", "incur", "get"), _gap(3),
         _w("fine", "penalty", "penalties")],
        [_w("civil", "monetary", "regulatory"), _w("penalty", "penalties")],
    ]  # fmt: skip
    r["fine!"] += [
        [_w("fine"), _w("print", "tuning", "tune", "tuned", "wine", "wines", "art", "arts", "dining", "line", "china",
                         "jewelry", "jewellery", "-")],
        [_w("penalty"), _w("kick", "kicks", "shootout", "box", "area", "spot")],
        [_w("fines"), _w("wine", "wines", "art")],
    ]  # fmt: skip
    r["recall"] += [[_w("recall", "recalls", "recalled", "recalling")]]
    r["recall!"] += [
        # A person who recalls something: two-word names only ("Tim Cook recalls"), as the
        # small NER also takes one-word brands for people ("Cruise recalls robotaxis").
        [{"ENT_TYPE": "PERSON"}, {"ENT_TYPE": "PERSON"}, _w("recall", "recalls", "recalled")],
        [_w("recall", "recalls", "recalled", "recalling"),
         _w("how", "that", "when", "what", "why", "where", "his", "her", "their", "my", "our", "being", "seeing",
            "growing", "working", "meeting", "early", "days", "fondly", "vividly")],
        [_w("recall"), _w("election", "elections", "vote", "votes", "petition", "campaign", "effort")],
        [_w("total", "perfect", "photographic"), _w("recall")],
        [_w("i", "you", "we", "they", "he", "she", "cannot", "can't", "don't", "didn't"), _w("recall")],
        [_w("hard", "difficult", "easy", "fail", "fails", "failed", "unable", "struggle"), _w("to"), _w("recall")],
    ]  # fmt: skip
    r["regulatory_action"] += [
        [_v("ban")],
        [_w("blacklist", "blacklists", "blacklisted", "blacklisting", "prohibits", "prohibited", "outlaws", "outlawed")],
        # "lose the right to operate in London", "not fit and proper"
        [_v("lose"), _gap(2), _w("right", "license", "licence", "permit"), _w("to"), _w("operate", "trade", "sell")],
        [_w("not", "n't"), _gap(1), _w("fit"), _w("and"), _w("proper")],
        _ph("entity list"),
        [_w("barred"), _w("from")],
        [_w("sanction", "sanctions", "sanctioned", "sanctioning")],
        _ph("warning letter"),
        _ph("cease-and-desist"),
        _ph("cease and desist"),
        _ph("consent decree"),
        _ph("consent order"),
        _ph("complete response letter"),
        [_w("observations", "observation"), _w("from", "by"), _gap(2), _REGULATORS],
        [_w("fda"), _gap(1), _w("observations", "483")],
        _ph("clinical hold"),
        _ph("regulatory action"),
        [_w("grounds", "grounded", "grounding"), _gap(3),
         _w("jets", "jet", "planes", "plane", "fleet", "aircraft", "max", "flights", "737", "airplanes")],
        # "737 MAX grounding benefits no one"
        [_w("jets", "jet", "planes", "plane", "fleet", "aircraft", "max", "737", "airplanes"), _w("grounding", "groundings")],
        [_w("block", "blocks", "blocked", "blocking"), _gap(3),
         _w("deal", "merger", "acquisition", "takeover", "purchase", "sale", "bid", "buyout", "combination")],
        [_REGULATORS, _gap(3),
         _v("reject", "order", "charge", "halt", "suspend", "revoke", "restrict", "bar", "deny", "refuse", "force",
            "cap", "block", "sanction", "raid", "ground", "sue", "crack", "shut", "prohibit")],
        [_REGULATORS, _gap(3), _v("decline", "refuse", "fail"), _w("to"),
         _w("approve", "clear", "renew", "extend", "allow", "permit", "grant", "license", "authorize", "back")],
        [_REGULATORS, _gap(2), _w("charges", "order", "orders", "crackdown", "ruling", "rejection")],
        [_REGULATORS, _gap(3), _w("legal"), _w("action")],
        [_w("antitrust", "regulatory"), _w("charges", "crackdown", "complaint", "action", "order", "ruling")],
        [_w("license", "licence", "licenses", "licences"),
         _w("revoked", "suspended", "pulled", "withdrawn", "loss", "revocation", "suspension", "stripped", "denied")],
        [_v("lose", "revoke", "strip", "pull", "suspend"), _gap(2), _w("license", "licence", "licenses", "licences")],
        [_w("not", "won't", "refuses", "refused", "declines", "declined"), _w("to", "extend", "renew"), _gap(3),
         _w("license", "licence", "licenses", "licences", "permit", "permits")],
    ]  # fmt: skip
    r["regulatory_action"] += [
        # "proposal to allow fundraising in direct listings rejected by SEC"
        [_w("rejected", "blocked", "denied", "halted", "suspended"), _w("by"), {"LOWER": "the", "OP": "?"}, _REGULATORS],
        # "supermarkets told to drop exclusivity clauses"
        [_w("told", "ordered"), _w("to"), _v("drop", "stop", "end", "scrap", "remove", "halt", "cease", "divest")],
        [_w("stripped"), _w("of"), _gap(2), _w("license", "licence", "licenses", "licences", "permit", "permits")],
        [_w("license", "licence", "licenses", "licences", "permit", "permits"), _gap(3), _w("not"),
         {"LOWER": "be", "OP": "?"}, _w("renewed", "extended")],
        [_REGULATORS, _gap(3), _w("thumbs"), _w("down")],
        [_w("panel", "committee", "advisers", "advisors", "adcom"), _gap(2), _v("vote"), _w("against")],
        [_REGULATORS, _gap(2), _v("put", "place", "impose"), _gap(2), _w("hold")],
    ]  # fmt: skip
    # Lifting tariffs is not an action against a company.
    # "walks away from vaping ban", "backs off sanctions"
    r["regulatory_action!"] += [[_v("walk", "back", "retreat", "row", "climb"), _w("away", "off", "down", "back"),
                                 _w("from", "on"), _gap(2), _w("ban", "bans", "sanctions", "tariffs")]]  # fmt: skip
    # "China Risk Caps Upside": a cap on a stock's gains, not a regulator's cap.
    r["regulatory_action!"] += [[_w("caps", "capped", "cap", "capping"), _w("upside", "gains", "rally", "returns")]]
    # Lifted tariffs, sanctions and bans ("Russia Seeks to Lift Ban on 'Blood Diamonds'").
    r["regulatory_action!"] += [[_v("suspend", "cut", "halt", "lift", "remove", "waive", "scrap", "ease", "lower", "end"),
                                 _gap(2), _w("tariffs", "tariff", "duties", "levies", "sanctions", "ban", "bans")]]  # fmt: skip
    r["regulatory_action!"] += [[_w("of", "the", "its", "their", "a", "sales", "deliveries", "idle"), _w("grounded")]]
    # Contract language and lobbying, not a regulator acting: "invokes force majeure", "doctors call for ban".
    r["regulatory_action!"] += [
        [_w("sanction", "sanctions"), _w("dropped", "lifted", "removed", "eased", "ended", "waived")]
    ]
    r["regulatory_action!"] += [[_w("force"), _w("majeure")],
                                # "Sanctions-hit refiner": the sanctions are the background, not the news.
                                [_w("sanctions", "sanction"), _HYPHEN, _w("hit", "struck", "ravaged", "battered")],
                                [_v("call", "push", "lobby", "campaign", "petition"), _w("for"), _gap(2),
                                 _w("ban", "bans", "sanctions")]]  # fmt: skip
    r["regulatory_action!"] += [[_w("on", "the"), _w("grounds")], [_w("fed"), _gap(1), _v("cut", "raise", "hold")],
                                [_w("ground", "grounds"), _w("to"), {"LOWER": "a", "OP": "?"}, _w("halt", "standstill")]]  # fmt: skip
    r["fraud_allegation"] += [
        [_w("fraud", "frauds", "fraudulent", "fraudulently", "defraud", "defrauded", "defrauding", "ponzi",
            "embezzlement", "embezzled", "embezzling", "fabricated", "fabricating", "fabrication", "bribery", "bribes", "bribe", "kickbacks", "corruption", "rigging", "misstated",
            "misstatement", "misstatements", "falsified", "falsifying", "irregularities", "manipulation",
            "swindle", "swindled", "scam", "spoofing", "deceived", "deceiving", "deceptive")],
        [_v("mislead"), _gap(2), _w("investors", "shareholders", "regulators", "customers", "auditors", "public")],
        _ph("short seller"),
        _ph("short report"),
        [_w("alleging", "alleges", "alleged", "allegations", "allegation", "accusations", "accused"), _gap(2),
         _w("accounting", "fraud", "misconduct", "manipulation", "irregularities", "misreporting", "inflated")],
        _ph("short-seller"),
        _ph("insider trading"),
        _ph("money laundering"),
        _ph("money-laundering"),
        _ph("cooked the books"),
        _ph("cook the books"),
        [_v("accuse", "allege"), _gap(4),
         _w("inflating", "misleading", "falsifying", "cooking", "manipulating", "hiding", "concealing", "overstating",
            "defrauding", "deceiving", "lying", "fraud", "misrepresenting", "inflated", "overstated")],
    ]  # fmt: skip
    r["fraud_allegation!"] += [
        [_w("fraud"), _w("detection", "prevention", "protection", "tool", "tools", "team", "alerts", "monitoring",
                          "controls", "screening", "losses")],
        [_w("anti"), _HYPHEN, _w("fraud", "bribery", "money")],
        [_w("scam"), _w("calls", "texts", "emails")],
    ]  # fmt: skip

    # Credit.
    # Macro counts of failures, not a company's: "Consumer Insolvencies Approach Record".
    r["bankruptcy!"] += [[_w("consumers", "households", "individuals", "people", "americans", "canadians", "britons"),
                          _gap(6), _w("insolvencies", "bankruptcies")]]  # fmt: skip
    # "pre-bankruptcy liability"
    r["bankruptcy!"] += [[_w("pre", "post"), _HYPHEN, _w("bankruptcy")]]
    # "Cancer sends many patients into bankruptcy"
    r["bankruptcy!"] += [[_w("patients", "families", "households", "consumers", "people", "americans", "individuals",
                             "farmers", "students", "borrowers", "retirees"), _w("into", "to"),
                          _w("bankruptcy", "insolvency", "bankruptcies")]]  # fmt: skip
    r["bankruptcy!"] += [[_w("consumer", "personal", "corporate", "business", "household", "farm", "company"),
                          _w("insolvencies", "bankruptcies", "bankruptcy", "insolvency"), _w("filings", "rate", "rates",
                                                                                             "approach", "rise", "rose",
                                                                                             "hit", "jump", "climb",
                                                                                             "fall", "fell", "record",
                                                                                             "data", "surge"),
                          ]]  # fmt: skip
    r["bankruptcy"] += [
        [_w("bankruptcy", "bankruptcies", "bankrupt", "bankrupted", "insolvency", "insolvent", "insolvencies",
            "receivership")],
        [_w("into", "enter", "enters", "entered", "file", "files", "filed", "forced", "seek", "seeks", "voluntary"),
         _gap(1), _w("liquidation", "administration", "receivership")],
        [_w("chapter"), _w("11", "7", "15", "eleven")],
        # "refiner handed administrator by court", "calls in administrators"
        [_v("hand", "call", "place", "put"), _gap(3),
         _w("administrator", "administrators", "liquidator", "liquidators", "receiver", "receivers")],
        # Not "hospital appoints new administrator": one administrator is a job title.
        [_v("appoint"), _gap(2), _w("administrators", "liquidator", "liquidators", "receiver", "receivers")],
        [_w("creditor"), _w("protection")],
        [_w("protection"), _w("from"), _w("creditors")],
        [_v("go"), _w("bust")],
        # "goes hooves-up", "goes belly up", "trucking companies failing"
        [_v("go"), _w("hooves", "belly", "tits", "toes"), _HYPHEN, _w("up")],
        [_w("companies", "firms", "businesses", "carriers", "retailers", "restaurants", "lenders", "startups",
            "truckers"), _w("failing", "folding", "collapsing")],
        [_v("near", "face", "risk", "approach", "head", "edge"), {"LOWER": "toward", "OP": "?"},
         _w("liquidation", "insolvency")],
        [_w("liquidation", "winding-up", "winding"), _w("order", "petition", "up", "threat", "risk", "fears", "looms")],
        [_w("ordered", "forced", "forces", "orders"), _w("to"), _v("liquidate")],
        [_w("to", "will", "plans", "must", "may"), _v("liquidate")],
    ]  # fmt: skip
    r["bankruptcy!"] += [[_w("morally", "intellectually", "spiritually", "creatively"), _w("bankrupt")]]
    r["default"] += [
        [_v("default"), _w("on")],
        [_w("defaulted", "defaulting", "defaults")],
        [_w("debt", "bond", "sovereign", "loan", "payment", "technical", "in", "cross", "selective", "corporate",
            "mortgage", "first", "toward", "towards", "into", "near", "brink", "of", "imminent", "possible",
            "developer", "company", "firm", "lender", "issuer", "builder", "bank", "country", "government", "state",
            "corporate", "massive", "record", "biggest", "largest"),
         _w("default", "defaults")],
        [_v("miss", "skip", "delay", "suspend", "halt"), _gap(5),
         _w("payment", "payments", "coupon", "coupons", "installment", "repayment", "repayments")],
        [_w("nonpayment", "non-payment")],
        [_v("fail"), _w("to"), _w("pay", "repay"), _gap(2),
         _w("bondholders", "creditors", "lenders", "noteholders", "bonds", "notes")],
        [_v("fail"), _w("to"), _w("make", "pay", "repay", "meet"), _gap(2),
         _w("payment", "payments", "interest", "coupon", "coupons", "debt", "loan", "loans", "obligations")],
        [_v("stop", "cease", "quit"), _w("making", "paying"), _gap(2), _w("payment", "payments")],
    ]  # fmt: skip
    r["default"] += [
        [_v("fall"), _w("behind"), _w("on", "with"), _gap(2),
         _w("rent", "payments", "payment", "loans", "loan", "mortgage", "mortgages", "debt", "bills")],
    ]  # fmt: skip
    r["default!"] += [
        [_w("potential", "possible", "expected", "coming", "looming"), _gap(1), _w("defaults", "default")],
        [_w("default", "defaults"), _w("wave", "waves", "cycle", "rate", "rates")],
        _ph("credit default swap"),
        _ph("credit default swaps"),
        [_w("default"), _w("swaps", "swap")],
        [_w("by"), _w("default")],
        [_w("default"), _w("settings", "setting", "search", "browser", "app", "apps", "option", "options", "engine",
                            "mode", "password", "choice", "value", "values", "payment", "wallet", "assistant")],
        [_w("defaults"), _w("to")],
    ]  # fmt: skip
    # The S&P 500 index "opens lower" every day; that is not the agency.
    # Agencies that are not rating agencies ("bank agencies will lower the leverage ratio").
    r["credit_downgrade!"] += [[_w("bank", "banking", "federal", "government", "u.s.", "us", "regulatory", "state",
                                   "energy", "travel", "employment", "news", "ad", "advertising", "intelligence", "aid",
                                   "statistics", "environmental", "health", "tax"), _w("agency", "agencies")]]  # fmt: skip
    # "S&P cuts growth forecast": an economy's growth, not a company's rating or guidance.
    # ("Home Depot's Lower Sales Growth Forecast" is the company's.)
    not_results: Tok = {
        "LOWER": {"NOT_IN": ["sales", "revenue", "revenues", "earnings", "profit", "eps", *_BOUNDARIES]},
        "OP": "{0,2}",
    }
    growth_forecast: Pattern = [_v(*_CUT_VERBS, *_RAISE_VERBS), not_results, _w("growth", "gdp", "inflation", "economic"),
                                _w("forecast", "forecasts", "outlook", "projection", "estimate", "estimates")]  # fmt: skip
    r["credit_downgrade!"] += [growth_forecast]
    r["guidance_cut!"] += [growth_forecast]
    r["credit_downgrade!"] += [[_w("s&p"), _w("500", "futures", "index", "100", "400", "600", "composite", "sectors",
                                            "sector", "e-mini", "tsx", "asx")]]  # fmt: skip
    r["credit_downgrade"] += [
        [_RATING_AGENCY, _gap(4), _v("downgrade", "cut", "lower", "slash", "reduce", "strip")],
        # "may have its ratings cut by one level at S&P Global Ratings"
        [_w("rating", "ratings"), _gap(1), _w("cut", "lowered", "downgraded", "slashed", "reduced"), _gap(5),
         _RATING_AGENCY],
        [_v("downgrade", "cut", "lower", "slash", "reduce", "drop"), _gap(4), _w("credit", "debt", "bond", "sovereign",
                                                                                  "issuer", "long-term"),
         _w("rating", "ratings", "grade")],
        [_w("credit", "debt", "bond", "sovereign"), _w("rating", "ratings"), _gap(2),
         _w("cut", "cuts", "lowered", "downgraded", "slashed", "reduced")],
        [_w("to", "into"), _w("junk")],
        # "loses investment-grade rating", "stripped of AAA"
        [_v("lose", "strip"), _gap(2), _w("investment"), _HYPHEN, _w("grade")],
        [_v("lose", "strip"), _gap(2), _w("aaa", "aa", "triple-a", "top-notch")],
        [_w("junk"), _w("status", "territory", "rating")],
        [_w("outlook"), _gap(3), _w("to"), _w("negative")],
        [_w("negative"), _w("watch", "outlook")],
        [_w("creditwatch"), _w("negative")],
        [_w("watch"), _w("negative")],
        [_w("review"), _w("for"), _w("downgrade", "possible")],
        [_RATING_AGENCY, _gap(2), _v("turn"), _w("negative")],
        [_w("moody", "moodys", "fitch", "dbrs", "s&p", "kbra"), _gap(1), _v("warn")],
    ]  # fmt: skip

    # Corporate actions.
    # "Bank Of Baroda To Exit Trinidad And Tobago": leaving a market
    r["restructuring"] += [[_w("exit", "exits", "exiting", "quit", "quits", "quitting"), {"ENT_TYPE": "GPE"}]]
    # "Lyft pulls electric scooters from major cities"
    r["restructuring"] += [[_v("pull"), _gap(3), _w("from"), _gap(2), _w("cities", "markets", "countries", "states")]]
    r["restructuring"] += [
        [_w("restructuring", "restructure", "restructures", "restructured", "reorganization", "reorganisation",
            "reorganize", "reorganizes", "reorganise", "overhaul", "overhauls", "overhauled", "overhauling",
            "spinoff", "spinoffs", "spin-off", "breakup", "break-up", "downsizing", "downsize", "downsizes")],
        _ph("strategic review"),
        _ph("strategic alternatives"),
        _ph("strategic options"),
        [_v("split"), _gap(1), _w("into", "up")],
        [_w("separation", "demerger", "demerge", "demerges"), _w("of", "into")],
        [_v("spin"), _w("off")],
        [_v("break"), _w("up")],
        _ph("cost-cutting"),
        _ph("cost cuts"),
        [_w("spending", "cost", "costs", "expense"), _w("cuts", "reductions", "cutbacks")],
        _ph("cost reduction"),
        _ph("cost savings plan"),
        [_v("close", "shut", "shutter", "idle"), _gap(3),
         _w("plant", "plants", "factory", "factories", "store", "stores", "mill", "mills", "facility", "facilities",
            "office", "offices", "location", "locations", "branch", "branches", "mine", "mines", "refinery",
            "refineries", "restaurant", "restaurants", "site", "sites", "outlets", "warehouses")],
        [_w("closure", "closures", "closing"), _w("of"), _gap(2),
         _w("plant", "plants", "factory", "factories", "stores", "store", "mills", "facilities", "branches")],
        [_w("plant", "store", "factory", "branch"), _w("closures", "closings")],
        # "pulls the plug on Jet.com", "slash spending", "may cut costs more"
        [_v("pull"), {"LOWER": "the", "OP": "?"}, _w("plug"), _w("on")],
        [_v("cut", "slash", "trim", "reduce", "curb", "halve", "pare", "chop", "axe", "ax"), _gap(2),
         _w("costs", "spending", "expenses", "opex", "overheads")],
        # "is ending its fresh-food delivery business", "winds down its lending arm"
        [_v("end", "exit", "discontinue", "shutter"), _gap(5),
         _w("business", "unit", "division", "operations", "segment", "arm")],
        [_v("wind"), _w("down"), _gap(3), _w("business", "unit", "division", "operations", "segment", "arm", "fund",
                                             "funds", "brand", "stores", "lending", "portfolio")],
    ]  # fmt: skip
    # Capital spending is investment, not the cost base ("cuts capital spending to $1M").
    # Public policy overhauls are not a company's restructuring.
    r["restructuring!"] += [[_v("call", "push", "press", "urge"), _w("for"), _gap(3),
                             _w("overhaul", "restructuring", "breakup", "break-up", "shake-up", "shakeup")]]  # fmt: skip
    r["restructuring!"] += [[_w("tax", "service", "policy", "immigration", "pension", "healthcare", "health", "welfare",
                               "education", "regulatory", "system", "visa", "electoral", "planning", "rail", "bus",
                               "transport", "transit", "police", "court", "courts", "asylum", "benefits"),
                            _w("overhaul", "overhauls")]]  # fmt: skip
    # Closures for a virus, a holiday or a storm are temporary, not a restructuring.
    r["restructuring!"] += [[_v("close", "shut", "idle", "shutter", "suspend"), _gap(6),
                             _w("coronavirus", "virus", "outbreak", "covid-19", "covid", "pandemic", "lockdown",
                                "holiday", "holidays", "storm", "hurricane", "strike", "weather", "snow", "protests")]]  # fmt: skip
    r["restructuring!"] += [[_w("capital", "capex", "investment", "military", "defense", "government", "federal",
                               "public"), _w("spending")]]  # fmt: skip
    r["layoffs"] += [
        # "up to 400 jobs may go", "1,000 roles to go"
        [{"LIKE_NUM": True}, _w("jobs", "roles", "posts", "positions"), _w("may", "could", "will", "to", "set"),
         {"LOWER": "to", "OP": "?"}, _w("go")],
        [_v("cost", "threaten", "wipe", "destroy", "erase", "shed"), _gap(3), _w("jobs", "positions", "workers")],
        [_w("layoff", "layoffs", "redundancies", "furlough", "furloughs", "furloughed", "furloughing")],
        _ph("lay-off"),
        _ph("lay-offs"),
        [_v("lay"), _w("off")],
        [_w("job", "jobs", "staff", "workforce", "headcount"), _w("cut", "cuts", "reduction", "reductions", "losses")],
        [_w("loss", "losses"), _w("of"), _gap(1), _STAFF],
        [_v("cut", "slash", "eliminate", "shed", "axe", "ax", "trim", "reduce", "furlough", "drop", "shrink"), _gap(6),
         _STAFF],
        _ph("reduction in force"),
        _ph("workforce reduction"),
        # "could leave thousands without jobs", "put 500,000 out of work"
        [_v("put", "leave", "throw"), _gap(3), _w("out", "without"), {"LOWER": "of", "OP": "?"}, _w("work", "jobs")],
    ]  # fmt: skip
    r["layoffs!"] += [[_w("jobs"), _w("report", "data", "numbers", "market", "growth", "added")]]
    r["executive_departure"] += [
        # "Houston to leave board", "to leave Thyssenkrupp supervisory board"
        [_w("leave", "leaves", "leaving", "quit", "quits", "exit", "exits", "exiting"), _gap(3), _w("board")],
        [_w("change", "changes", "shakeup", "shake-up", "exodus"), _w("of", "in", "at"), _gap(1), _EXEC],
        [_EXEC, _w("change", "shakeup", "shake-up", "exodus", "transition", "succession", "vacancy", "turnover")],
        # "Thiam gets the boot at Credit Suisse"
        [_v("get", "be"), {"LOWER": "the"}, _w("boot", "axe", "ax", "sack", "chop")],
        # "after executive shake-up", "outgoing CEO John Legere"
        [_EXEC, _w("shake"), {"ORTH": "-", "OP": "?"}, _w("up")],
        [_w("outgoing", "departing", "exiting"), _w("ceo", "cfo", "coo", "chairman", "chairwoman", "president", "chief")],
        [_w("leadership", "management", "boardroom"), _w("turnover", "exodus", "shakeup", "shake-up")],
        # "announces changes to leadership team"
        [_w("change", "changes", "shakeup", "shake-up", "overhaul"), _w("to", "in", "of", "at"), {"LOWER": {"IN": ["the", "its", "their"]}, "OP": "?"},
         _w("leadership", "management"), _w("team", "teams", "ranks", "structure")],
        [
            _w("board", "bod"),
            _w("member", "members"),
            _gap(2),
            _w("renunciation", "resignation", "resigns", "resigned", "quits", "departure", "exit", "leaves"),
        ],
        [_v("shake"), _w("up"), _gap(2), _w("management", "leadership", "board", "executives", "c-suite", "top")],
        [_EXEC, _gap(5), _LEAVE],
        [
            _EXEC,
            _gap(5),
            _v("hand", "pass"),
            _w("over", "on"),
            {"LOWER": {"IN": ["the", "his", "her", "its"]}, "OP": "?"},
            _w("role", "reins", "baton", "job", "post", "duties", "position", "title", "helm", "leadership"),
        ],
        [_LEAVE, _gap(3), _EXEC],
        # "CEO is out", "Neumann out as CEO"; not "calls out CEO"
        [_EXEC, {"LOWER": {"IN": ["is", "was", "now"]}, "OP": "?"}, _w("out")],
        [_w("out"), _w("as"), _EXEC],
        [_v("fire", "oust", "replace", "sack", "dismiss", "remove", "axe", "ax", "terminate"), _gap(2), _EXEC],
        [_w("resigns", "resigned", "resignation", "resigning")],
        [_v("step"), _w("down", "aside")],
        # "Tesla Loses Its Third General Counsel in a Year", "loses another top executive"
        [_v("lose"), {"LOWER": {"IN": ["its", "their", "a", "the", "another", "one", "second", "third", "fourth",
                                        "top", "longtime", "long-time", "general"]}, "OP": "{0,3}"},
         _w("ceo", "cfo", "coo", "cto", "cio", "chairman", "chairwoman", "president", "counsel", "executive",
            "executives", "founder", "co-founder", "treasurer")],
    ]  # fmt: skip
    r["executive_departure!"] += [
        [_w("retire", "retires", "retiring"), _w("debt", "notes", "bonds", "shares", "stock")],
        [_w("on"), _gap(1), _w("leave")],
        [_w("out"), _w("of")],
        [_w("head", "assistant"), _w("coach", "coaches", "chef")],
        [_w("executive"), _w("order", "orders", "privilege", "branch", "session", "committee", "summary", "pay")],
        # "resigns as CDU leader", "to step down as leader of the Christian Democratic Union": politics
        [
            _w(*_LEAVE_WORDS, "down", "aside"),
            _w("as"),
            _gap(3),
            _w(
                "leader",
                "minister",
                "lawmaker",
                "senator",
                "governor",
                "mayor",
                "speaker",
                "chancellor",
                "premier",
                "mp",
            ),
        ],
    ]
    deal_name: Tok = {"IS_TITLE": True, "LOWER": {"NOT_IN": ["one", "two", "trade", "phase", "china", "brexit", "tax",
                                                              "budget", "stimulus", "debt", "funding", "ceasefire",
                                                              "peace", "contract", "supply", "licensing", "sponsorship",
                                                              "lease", "new", "big", "the", "nuclear", "iran", "opec",
                                                              "oil", "gas", "arms", "cloud", "pentagon", "usmca",
                                                              "nafta", "jedi", "defense", "no", "any", "this", "that"]}}  # fmt: skip
    # A name in a "Google-Looker deal"; not "Dairy-Free" nor "Post-Grounding".
    org_name: Tok = {"ENT_TYPE": {"IN": ["ORG", "PRODUCT"]}, "IS_LOWER": False,
                     "LOWER": {"NOT_IN": ["free", "right", "left", "post", "pre", "anti", "non", "grounding", "brexit",
                                          "trade", "phase", "pro", "cross", "mid", "end", "year"]}}  # fmt: skip
    r["merger_acquisition"] += [
        # "HP down 5% after Xerox bid rejection"
        [_w("bid", "offer", "takeover", "merger"), _w("rejection", "rebuff", "rebuffed")],
        [_w("acquire", "acquires", "acquired", "acquiring", "acquisition", "acquisitions", "merger", "mergers",
            "merge", "merges", "merged", "merging", "takeover", "takeovers", "buyout", "buyouts", "acquirer")],
        _ph("tender offer"),
        [_w("takeout", "all-cash", "cash"), _w("offer", "bid", "proposal", "deal")],
        [_w("'s", "’s"), {"IS_TITLE": True, "OP": "+"}, _w("purchase", "takeover", "buyout", "acquisition")],
        [_v("buy", "acquire", "take", "purchase"), _gap(1), _w("majority", "controlling"),
         _w("interest", "stake", "holding", "share")],
        [_v("take", "go"), _w("private")],
        [_v("take"), {"ORTH": {"NOT_IN": _BOUNDARIES}, "OP": "{1,3}"}, _w("private")],
        [_w("bidding"), _w("war", "wars", "contest", "battle")],
        [_v("agree", "plan", "offer", "move", "bid", "seek", "deal", "talks", "set", "poised"), _gap(1), _w("to"),
         _w("take"), _w("over")],
        _ph("take-private"),
        # "offer for Tiffany", "higher offer for LogMeIn"
        [_w("bid", "bids", "offer"), _w("for"), {"TEXT": {"REGEX": r"^[A-Z][a-z]"}}],
        # "up 26% premarket on rumored Novartis interest", "EBay +6% after selling StubHub"
        [_w("rumored", "rumoured", "reported", "takeover", "buyout"), _gap(2), _w("interest")],
        # "after report of potential Novartis offer"
        [_w("potential", "possible", "rumored", "rumoured", "reported"), _gap(1),
         _w("offer", "bid", "approach", "takeover", "buyout")],
        [_w("after", "on"), _w("selling", "divesting", "acquiring"), {"TEXT": {"REGEX": r"^[A-Z][a-z]"}}],
        # "buys healthcare packaging thermoformer for $187M", "Ebay sells StubHub to ticket marketplace Viagogo"
        [_v("buy", "acquire", "purchase"),
         {"LOWER": {"NOT_IN": [*_NOT_A_BUSINESS, *_BOUNDARIES]}, "OP": "{1,6}"},
         _w("for"), {"ORTH": {"IN": ["$", "€", "£", "US$", "C$"]}}],
        [_v("sell", "divest", "offload"),
         {"TEXT": {"REGEX": r"^[A-Z]"}, "LOWER": {"NOT_IN": [*_NOT_A_BUSINESS, "assets"]}},
         _w("to")],
        # "Assertio To Sell Opioid Pain Drug", "to divest its payments business"
        [_v("sell", "divest", "offload"), {"LOWER": {"NOT_IN": [*_NOT_A_BUSINESS, *_BOUNDARIES]}, "OP": "{0,3}"},
         _w("business", "businesses", "unit", "units", "division", "divisions", "drug", "brand", "brands", "operations",
            "arm", "subsidiary", "plant", "plants", "mine", "mines")],
        # "nears deal to sell StubHub", "picked Harmony as the buyer for its South African operations"
        [_w("deal", "agreement", "pact"), _w("to"), _v("sell", "divest", "offload")],
        [_w("buyer", "buyers", "acquirer"), _w("for")],
        # "Schwab aims for more than survival with $26bn Ameritrade deal"
        [{"LOWER": {"REGEX": r"^\d[\d.,]*(bn|b|billion|m|mln|million)$"}}, _LINKED,
         _w("deal", "takeover", "acquisition", "buyout", "merger", "purchase")],
        # "in Advanced Discussions to Sell Continental Insurance"
        [_w("talks", "discussions", "negotiations"), _w("to"), _v("sell", "buy", "acquire", "merge", "combine")],
        [_w("bid", "bids", "offer", "approach"), _w("for"), _LINKED],
        [_w("bid", "offer", "approach", "overture", "bids", "offers", "buyout", "takeover"),
         _w("rejected", "spurned", "rebuffed", "snubbed", "refused")],
        [_v("complete", "close", "finalize", "finalise", "clinch", "seal", "terminate", "abandon", "scrap"),
         {"ORTH": {"NOT_IN": [*_BOUNDARIES, "to", "after", "as", "on"]}, "OP": "{0,4}"},
         {"IS_TITLE": True, "LOWER": {"NOT_IN": ["one", "two", "trade", "phase", "china", "brexit", "tax", "budget",
                                                 "stimulus", "debt", "funding", "ceasefire", "peace", "contract",
                                                 "supply", "licensing", "sponsorship", "lease", "new", "big", "the"]}},
         _w("deal", "merger", "acquisition", "takeover", "buyout", "purchase", "combination")],
        [_v("walk", "back", "pull"), _w("away", "out"), _w("from", "of"), _gap(2),
         _w("deal", "merger", "acquisition", "takeover", "buyout")],
        [_v("explore", "consider", "weigh", "mull", "eye", "seek", "plan", "pursue"), _gap(1),
         _w("sale", "divestiture", "divestment", "sell-off", "disposal"), _w("of")],
        [_v("combine"), _gap(2), _w("units", "businesses", "operations", "divisions", "unit", "business")],
        [_v("agree", "plan", "offer", "move", "seek", "look", "want", "aim", "bid", "deal", "talks", "poised", "set",
            "nears", "near", "weigh", "explore", "consider"), _gap(1), _w("to"), _v("buy", "purchase")],
        [_LINKED, _w("to"), _v("buy", "purchase")],
        [_w("to"), _v("buy", "purchase"), {"IS_TITLE": True}],
        # "to buy FGL Holdings": a capitalised symbol-like word that starts a name.
        [_w("to"), _v("buy", "purchase"), {"IS_UPPER": True, "LENGTH": {">=": 3}}, {"IS_TITLE": True}],
        [_w("to"), _v("buy", "purchase", "acquire"), _LINKED],
        [_v("agree", "consent"), _w("to"), {"LOWER": {"IN": ["a", "its", "the"]}, "OP": "?"},
         _w("sale", "merger", "takeover", "buyout", "acquisition")],
        [_v("buy", "purchase", "acquire"), _gap(3),
         _w("competitor", "competitors", "rival", "rivals", "peer", "company", "firm", "maker", "startup", "business",
            "unit", "chain", "operator", "retailer", "insurer", "bank", "lender", "developer", "producer", "brand",
            "division", "subsidiary")],
        [_w("bid", "bids", "offer", "approach", "overture", "proposal"), _w("from"), {"IS_TITLE": True}],
        [_w("buys", "bought", "purchases", "purchased"), {"IS_TITLE": True}],
        [_w("buys", "bought", "purchases", "purchased"), {"ENT_TYPE": "ORG"}],
        [_w("purchase", "sale"), _w("of"), {"IS_TITLE": True}],
        [_w("deal"), _w("for"), {"IS_TITLE": True}],
        [_w("deal"), _w("for"), {"ENT_TYPE": "ORG"}],
        # "Google-Looker deal": a linked company hyphenated with another name.
        # (ORG, not a linked span: the NER may take "Google-Looker" as one entity.)
        [org_name, _w("-", "/"), org_name, _w("deal", "merger", "tie-up", "combination", "takeover")],
        # (a linked company wins its span from the NER, so "Google" is linked and "Looker" is a name)
        [_LINKED, _w("-", "/"), {"TEXT": {"REGEX": r"^[A-Z]"}}, _w("deal", "merger", "tie-up", "combination", "takeover")],
        [{"TEXT": {"REGEX": r"^[A-Z]"}}, _w("-", "/"), _LINKED, _w("deal", "merger", "tie-up", "combination", "takeover")],
        # "lawsuit over Amedisys deal", "stick with Takeaway deal"
        [_w("over", "with", "against", "challenging", "blocking", "block", "approves", "approve", "clears", "clear"),
         deal_name, _w("deal", "merger", "takeover", "buyout", "tie-up")],
        [_v("combine"), _w("with")],
        # "to pay $12.50 for each FGL share, a 2.9% premium to Thursday's closing price"
        [{"LIKE_NUM": True}, {"ORTH": "%", "OP": "?"}, _w("premium"), _w("to", "over"), _gap(3),
         _w("close", "closing", "price", "share", "shares")],
        _ph("all-stock deal"),
        [_w("new"), _w("owner", "owners", "parent")],
        [_v("snap", "scoop", "gobble", "swallow"), _w("up"), {"LOWER": "the", "OP": "?"}, {"IS_TITLE": True}],
        # "Barrick gearing for more asset sales"
        [_w("asset", "assets"), _w("sale", "sales", "disposal", "disposals", "divestment", "divestments")],
        [_v("accept", "reject", "spurn", "rebuff", "weigh", "welcome", "sweeten", "raise"), _gap(3),
         _w("offer", "bid", "approach", "buyout", "takeover")],
        [_v("find", "seek", "attract", "draw", "line"), _gap(1), _w("buyer", "buyers", "suitor", "suitors")],
        [_w("suitor", "suitors", "divestiture", "divestitures", "divest", "divests", "divested", "divesting",
            "divestment", "divestments")],
        [_w("unit", "division", "segment", "subsidiary", "business", "asset", "assets"), _w("sale")],
        # "sale on Genworth MI Canada closes"; "ahead of Caesars combination"
        [_w("sale", "acquisition", "purchase", "merger", "takeover", "divestiture"), _gap(5),
         _w("closes", "closed", "completes", "completed")],
        [org_name, _w("combination", "tie-up")],
        [_v("sell", "offload", "unload"), _gap(5),
         _w("unit", "units", "segment", "segments", "division", "divisions", "business", "businesses", "subsidiary",
            "subsidiaries", "arm", "operations")],
        _ph("all-cash deal"),
        [_v("call"), _w("off"), _gap(3), _w("interest", "bid", "pursuit", "takeover", "merger", "offer", "approach")],
    ]  # fmt: skip
    # "The Best CEFs To Buy For 10% Yields", "Stocks To Buy Now": an investment tip.
    # "Top Insider Buys Highlight for the Week": insiders buying shares; interest income; a stake is
    # not the company ("Acquire Stake in AmEx Corporate Travel Unit"); "$3B To Buy Oil".
    r["merger_acquisition!"] += [
        [_w("insider", "insiders", "director", "directors"), _w("buys", "buying", "purchases")],
        [_w("interest"), _w("income", "rate", "rates", "expense", "expenses", "payment", "payments", "margin")],
        # "acquiring exclusive license", "Navios Maritime Acquisition reports Q4 results"
        [_v("acquire"), {"LOWER": {"IN": ["an", "a", "the", "exclusive", "global", "worldwide"]}, "OP": "{0,2}"},
         _w("license", "licence", "licenses", "rights", "patent", "patents")],
        [_w("acquisition"), _w("corp", "corporation", "inc", "reports", "announces", "declares", "co", "ltd")],
        # A buyback or a royalty bought out: "Modified Dutch Auction Tender Offer", "royalty buyout agreement"
        [_w("dutch"), _w("auction"), _w("tender"), _w("offer", "offers")],
        [_w("tender"), _w("offer", "offers"), _w("to"), _w("repurchase")],
        [_w("royalty", "royalties", "lease", "debt", "loan"), _w("buyout", "buyouts")],
        [_v("acquire", "buy", "take", "purchase"), {"LOWER": {"IN": ["a", "an"]}, "OP": "?"},
         {"LOWER": {"IN": ["small", "minority", "new", "further"]}, "OP": "?"}, _w("stake", "stakes")],
        [_v("buy"), _w("oil", "crude", "gold", "bonds", "stocks", "shares", "treasuries", "time", "votes", "more",
                       "now", "homes", "land", "gas", "food", "insurance", "dips")],
    ]  # fmt: skip
    r["merger_acquisition!"] += [
        # Buybacks, hindsight and market colour: "ADSs Purchased Under Share Repurchase Program",
        # "If You Had Bought Manhattan Bridge Capital Stock", "stocks rise on merger activity".
        [_w("purchased", "bought", "repurchased"), _w("under")],
        # A law firm's "investigates whether the sale of these companies is fair"
        [_w("whether"), _w("the"), _w("sale", "merger", "acquisition", "buyout"), _gap(4), _w("fair")],
        [_w("had", "have"), _w("bought", "purchased")],
        [_w("merger", "m&a", "deal", "takeover"), _w("activity", "boom", "wave", "frenzy", "mania", "spree")],
        # "Eskom loses bid for higher tariffs": a request, not a takeover bid.
        [_w("bid", "bids"), _w("for", "to"), _w("higher", "lower", "more", "less", "better", "cheaper", "extra")],
        [_w("to"), _w("buy"), _w("for", "now", "in", "before", "and", "or", "right", "on", "at", "this", "these", "today",
                                 "with", "if", "when", "ahead", "after", "during")],
        [_w("best", "top", "cheap", "stocks", "stock", "shares", "cefs", "etfs", "etf", "funds", "reits", "dividend",
            "picks"), _gap(2), _w("to"), _w("buy")],
        [_w("days", "time", "reasons", "reason", "why", "how", "when", "smart", "good", "wise", "worth", "right",
            "bargain", "opportunity", "chance", "should", "moment", "cheap"), _w("to"), _w("buy", "purchase")],
        [_w("to"), _w("buy", "purchase"), _w("new", "more", "additional", "loans", "securities", "treasuries", "etfs")],
    ]  # fmt: skip
    # "takes a private jet", "private equity": not a take-private.
    r["merger_acquisition!"] += [[_w("private"), _w("jet", "jets", "equity", "sector", "placement", "label", "credit",
                                                 "market", "markets", "funds", "investors", "banking", "wealth",
                                                 "school", "schools", "prison", "prisons", "insurance", "insurers",
                                                 "data", "information", "messages", "keys", "lives", "life")]]  # fmt: skip
    r["merger_acquisition!"] += [
        [_w("buys", "bought"), _w("back")],
        [_w("stake", "share", "shares", "bond", "bonds", "stock", "asset"), _w("purchase", "purchases")],
        [_v("snap", "scoop", "gobble"), _w("up"), _gap(2), _w("shares", "stock", "stake", "bonds", "bargains", "homes")],
        [_w("funds", "fund", "investors", "hedge", "buyers", "traders", "importers", "households", "dealers", "banks",
            "consumers", "shoppers"), _gap(2), _v("snap", "scoop", "gobble")],
        [_w("bid"), _w("for"), _w("more")],
        # "Gilead an acquisition target?": speculation, nothing happened.
        [_w("acquisition", "takeover", "buyout", "m&a"), _w("target", "targets", "candidate", "candidates")],
        # "Investors Who Bought Elanco Shares A Year Ago": a holding, not a takeover.
        [_w("who", "investors", "those", "shareholders", "if", "you", "i", "we"),
         _w("bought", "purchased", "buy", "buys", "purchase")],
        # Buying shares or a stake in a company is an investment, not a takeover.
        [_w("buys", "bought", "purchases", "purchased", "buy", "buying"),
         {"LOWER": {"NOT_IN": [*_BOUNDARIES, "majority", "controlling"]}, "OP": "{0,2}"},
         _w("shares", "stake", "stakes", "stock", "stocks", "bonds", "notes", "debt", "units", "options", "tickets")],
    ]  # fmt: skip
    # A tally across companies, not one company's cut: "$56 billion of dividends have been scrapped by businesses".
    r["dividend_cut!"] += [
        [_w("dividends"), _gap(4), _w("by"), _w("businesses", "companies", "firms", "banks", "insurers")]
    ]
    r["dividend_cut"] += [
        [_v("cut", "slash", "suspend", "reduce", "eliminate", "halt", "scrap", "omit", "lower", "skip", "pause", "axe",
            "trim", "stop", "drop", "halve", "freeze", "cancel", "withhold", "forgo", "defer"), _gap(3),
         _w("dividend", "dividends", "payout", "payouts", "distribution", "distributions")],
        [_w("dividend", "dividends", "payout"), _gap(3, conjunctions=False),
         _w("cut", "cuts", "suspension", "reduction", "reductions", "slashed", "suspended", "eliminated", "halted",
            "scrapped", "axed", "cancelled", "canceled", "omitted", "withheld", "skipped", "paused", "frozen")],
        # "announces suspension of quarterly dividend", "a cut in its payout"
        [_w("suspension", "suspending", "elimination", "eliminating", "cut", "cuts", "reduction", "halt", "halting",
            "omission", "cancellation", "cancelling", "canceling", "scrapping"), _w("of", "to", "in"), _gap(2),
         _w("dividend", "dividends", "payout", "payouts", "distribution", "distributions")],
    ]  # fmt: skip
    r["dividend_raise"] += [
        [_v("raise", "lift", "boost", "hike", "increase", "bump", "grow", "double"), _gap(3),
         _w("dividend", "dividends", "payout", "payouts", "distribution")],
        [ups, _gap(3), _w("dividend", "dividends", "payout", "payouts")],
        [_w("dividend", "dividends", "payout"), _w("hike", "hikes", "increase", "increases", "raise", "boost")],
    ]  # fmt: skip
    r["data_breach"] += [
        [_w("breach", "breaches")],
        [_w("hack", "hacks", "hacked", "hacking", "hackers", "hacker", "cyberattack", "cyberattacks", "ransomware",
            "cyber-attack", "malware", "cyberbreach")],
        _ph("cyber attack"),
        _ph("cyber-attack"),
        _ph("security incident"),
        [_w("cyber", "cybersecurity", "it", "network"), _w("incident", "attack", "attacks", "breach", "intrusion")],
        _ph("unauthorized access"),
        [_w("leak", "leaks", "leaked", "exposed", "compromised", "stolen"), _gap(2),
         _w("data", "records", "information", "emails", "passwords", "details", "accounts")],
        [_w("data", "records", "information", "emails", "passwords"), _gap(1), _w("leak", "leaked", "exposed",
                                                                                  "compromised", "stolen")],
        [_v("steal"), _gap(3), _w("data", "records", "information", "emails", "passwords", "details")],
    ]  # fmt: skip
    r["data_breach!"] += [
        # "accused of 23 million money laundering breaches": breaches of a law, not of data.
        [_w("laundering", "compliance", "reporting", "regulatory", "disclosure", "sanctions"), _w("breach", "breaches")],
        [_w("hack", "hacks", "hacked", "hacking"), _gap(2), _GUIDE_STRICT],
        [_w("breach", "breaches"), _w("of"), _w("contract", "duty", "covenant", "covenants", "trust", "fiduciary",
                                                "rules", "law", "sanctions", "agreement", "regulations")],
        [_w("covenant", "contract", "fiduciary", "rule", "rules", "ceasefire"), _w("breach", "breaches")],
        [_w("life", "growth"), _w("hack", "hacks", "hacking")],
        [_w("cybersecurity"), _w("firm", "company", "stocks", "stock", "spending", "startup", "deal", "sector")],
    ]  # fmt: skip
    r["going_concern"] += [_ph("going concern"), _ph("going-concern"), _ph("substantial doubt")]
    r["delisting"] += [
        [_w("delist", "delisted", "delisting", "delists", "delistings")],
        _ph("listing standards"),
        _ph("listing requirements"),
        _ph("non-compliance notice"),
        _ph("non-compliance letter"),
        _ph("non-compliance notification"),
        [_w("noncompliance", "non-compliance", "deficiency"), _w("letter", "notice", "notification")],
        # "royalty trusts lose NYSE listing", "Gets NYSE Notice Regarding 10-Q Filing"
        [_v("lose"), _w("nyse", "nasdaq"), _w("listing", "listings")],
        [_v("get", "receive"), _w("nyse", "nasdaq"), _w("notice", "letter", "notification")],
    ]

    price = [_w("price"), _HYPHEN, _w("target", "targets")]
    target_only: Tok = {"ORTH": {"IN": ["target", "targets", "PT", "PTs", "pt"]}}
    down = (
        "pare",
        "pares",
        "pared",
        "paring",
        "cut",
        "cuts",
        "lowered",
        "lowers",
        "lower",
        "slashed",
        "slashes",
        "slash",
        "trimmed",
        "trims",
        "trim",
        "reduced",
        "reduces",
        "reduce",
        "decreased",
        "decreases",
        "tempered",
        "pared",
        "lowering",
        "cutting",
        "trimming",
        "slashing",
        "reducing",
    )
    up = (
        "raised",
        "raises",
        "raise",
        "lifted",
        "lifts",
        "lift",
        "boosted",
        "boosts",
        "boost",
        "hiked",
        "hikes",
        "increased",
        "increases",
        "bumped",
        "bumps",
        "upped",
        "ups",
        "raising",
        "lifting",
        "boosting",
        "hiking",
        "bumping",
        "increasing",
        "hike",
        "increase",
    )
    # Targets of the economy or of a plan, not of a stock price.
    r["price_target_cut!"] += [
        [_w("growth", "inflation", "economic", "gdp", "emissions", "deficit", "sales", "production", "output",
            "profit", "revenue", "margin", "delivery", "deliveries", "savings", "cost", "debt", "climate", "rate"),
         _w("target", "targets")],
    ]  # fmt: skip
    r["price_target_raise!"] = r["price_target_cut!"]
    r["price_target_cut"] += [
        [_w(*down), _gap(3), {"LOWER": "target"}, _w("price", "prices")],
        [_w("street"), _HYPHEN, _w("low"), _w("target", "targets", "pt", "price")],
        [_v("reel"), _w("in"), _gap(2), _w("pt", "target", "targets")],
        _cat(price, _gap(3), _w(*down)),
        [target_only, _gap(2), _w(*down)],
        _cat(_w(*down), _gap(4), price),
        [_w(*down), _gap(3), target_only],
        [_w("fair"), _w("value"), _w("estimate", "estimates"), _w(*down)],
    ]  # fmt: skip
    r["price_target_raise"] += [
        [_w(*up), _gap(3), {"LOWER": "target"}, _w("price", "prices")],
        [_w("street"), _HYPHEN, _w("high"), _w("target", "targets", "pt", "price")],
        _cat(price, _gap(3), _w(*up)),
        [target_only, _gap(2), _w(*up)],
        _cat(_w(*up), _gap(4), price),
        # "Analysts Just Lifted Their Skyworks Solutions, Inc. Price Target To US$104"
        _cat(_w(*up), _list_gap(6), price),
        # Morningstar's "fair value estimate raised to $192"
        [_w("fair"), _w("value"), _w("estimate", "estimates"), _w(*up)],
        # "Following Second Analyst Target Hike" (Title Case "Target" only after "analyst")
        [_w("analyst", "analysts"), {"ORTH": {"IN": ["Target", "Targets"]}}, _w(*up)],
        [_w(*up), _gap(3), target_only],
    ]
    return dict(r)


# When matches of two types overlap, the first type wins and the second's match is dropped.
_PRECEDENCE: tuple[tuple[str, str], ...] = (
    ("credit_downgrade", "downgrade"),
    ("guidance_cut", "downgrade"),
    ("guidance_cut", "earnings_miss"),
    ("guidance_raise", "earnings_beat"),
    ("price_target_cut", "downgrade"),
    ("upgrade", "merger_acquisition"),
    ("price_target_raise", "upgrade"),
    ("price_target_cut", "guidance_cut"),
    ("price_target_raise", "guidance_raise"),
    ("dividend_cut", "guidance_cut"),
    ("dividend_raise", "guidance_raise"),
    ("default", "earnings_miss"),
    ("credit_downgrade", "guidance_cut"),
    ("layoffs", "restructuring"),
    ("guidance_cut", "data_breach"),
)


# A weak rule ("<type>~") fires only when no ordinary rule of the opposite type fired:
# "EPS of -$0.05 beats by $0.02" is a beat, though a loss alone reads as a miss.
_OPPOSITE: dict[str, str] = {"earnings_miss": "earnings_beat", "earnings_beat": "earnings_miss"}


@dataclass(frozen=True)
class _Hit:
    type: str
    start: int
    end: int
    tokens: tuple[int, ...]  # doc indices of the words that matched, gaps excluded
    weak: bool = False


class EventClassifier:
    """Finds every event type a text mentions, with the words that triggered it."""

    def __init__(self, vocab: Vocab) -> None:
        # One Matcher per rule key (type, or type + "!" for its vetoes), run only on texts
        # that contain one of the key's anchor words: the Matcher's cost grows with the
        # number of patterns it holds, and most headlines touch few event types.
        self._matchers: dict[str, Matcher] = {}
        self._by_word: dict[str, set[str]] = defaultdict(set)
        self._always: set[str] = set()
        # One match id per pattern, so an alignment can be read against the pattern it came from.
        self._keys: dict[int, tuple[str, bool, frozenset[int]]] = {}
        for key, patterns in _rules().items():
            event_type, veto = key.rstrip("!~"), key.endswith("!")
            if event_type not in EVENT_TYPES:
                raise ValueError(f"rule for unknown event type {event_type!r}")
            matcher = self._matchers[key] = Matcher(vocab, validate=False)
            for i, pattern in enumerate(patterns):
                name = f"{key}#{i}"
                matcher.add(name, [pattern])
                gaps = frozenset(j for j, tok in enumerate(pattern) if "OP" in tok)
                self._keys[vocab.strings[name]] = (event_type, veto, gaps)
                anchors = _anchor_words(pattern)
                if anchors is None:
                    self._always.add(key)
                for word in anchors or ():
                    self._by_word[word].add(key)

    @property
    def n_patterns(self) -> int:
        return len(self._keys)

    def _run(self, key: str, doc: Doc, hits: list[_Hit]) -> None:
        for match_id, start, end, align in self._matchers[key](doc, with_alignments=True):  # type: ignore[misc]
            event_type, _, gaps = self._keys[match_id]
            tokens = tuple(start + k for k, p in enumerate(align) if p not in gaps)
            hits.append(_Hit(event_type, start, end, tokens or (start,), weak=key.endswith("~")))

    def _hits(self, doc: Doc) -> tuple[list[_Hit], list[_Hit]]:
        keys = set(self._always)
        for word in {t.lower_ for t in doc}:
            keys.update(self._by_word.get(word, ()))
        hits: list[_Hit] = []
        vetoes: list[_Hit] = []
        for key in keys:
            if not key.endswith("!"):
                self._run(key, doc, hits)
        fired = {h.type for h in hits}
        for key in keys:
            if key.endswith("!") and key[:-1] in fired:
                self._run(key, doc, vetoes)
        return hits, vetoes

    def classify(self, doc: Doc) -> list[Event]:
        return [event for event, _ in self.classify_matches(doc)]

    def classify_matches(self, doc: Doc) -> list[tuple[Event, list[tuple[int, ...]]]]:
        """Each event found, with the token indices of every match of its type that survived.

        The trigger text is the tightest match's; the other matches tell nlp/targets.py where
        else the same type is said ("Citi upgrades Ford; JPMorgan upgrades GM").
        """
        hits, vetoes = self._hits(doc)
        veto_tokens: dict[str, set[int]] = defaultdict(set)
        for v in vetoes:
            veto_tokens[v.type].update(range(v.start, v.end))
        hits = [h for h in hits if not veto_tokens[h.type].intersection(h.tokens)]
        hits += _figure_hits(doc)
        hits += _drop_hits(doc)
        strong = {h.type for h in hits if not h.weak}
        hits = [h for h in hits if not (h.weak and _OPPOSITE.get(h.type) in strong)]
        hits = [h for h in hits if not _denied(doc, h) and not _asked(doc, h)]
        by_type: dict[str, list[_Hit]] = defaultdict(list)
        for h in hits:
            by_type[h.type].append(h)
        for winner, loser in _PRECEDENCE:
            if winner in by_type and loser in by_type:
                won = {t for h in by_type[winner] for t in range(h.start, h.end)}
                by_type[loser] = [h for h in by_type[loser] if not won.intersection(h.tokens)]
        events = []
        for event_type, type_hits in by_type.items():
            if not type_hits:
                continue
            # The tightest match explains the event best; ties go to the earliest.
            best = min(type_hits, key=lambda h: (h.end - h.start, h.start))
            event = Event(
                type=event_type,
                trigger=_trigger_text(doc, best.tokens),
                severity=EVENT_TYPES[event_type].severity,
                magnitude=read_magnitude(doc.text, event_type),
            )
            matches = [best.tokens] + [h.tokens for h in sorted(type_hits, key=lambda h: h.start) if h is not best]
            events.append((best.start, event, matches))
        return [(e, m) for _, e, m in sorted(events, key=lambda x: x[0])]


# --- figures: "Q3 EPS 78 cents vs. 98 cents", "sales $5.17 bln vs. $5.40 bln; FactSet consensus $5.32 bln" ---
_METRIC = re.compile(
    r"\b(?P<metric>(?:(?:adj(?:usted)?\.?|diluted|gaap|non-gaap|core|operating)\s+)*"
    r"(?:eps|earnings per share|net income|net profit|profit|net earnings|revenues?|net sales|sales|"
    r"same-store sales|comparable sales|comp sales|comps))\b",
    re.IGNORECASE,
)
_VALUE = (
    r"(?P<{0}>[-−(]?\s?[$€£]?\s?[-−(]?\s?\d[\d,]*(?:\.\d+)?\)?)"
    r"\s*(?P<{0}u>cents?\b|c\b|mln\b|bln\b|million\b|billion\b|bn\b|m\b|b\b|k\b)?"
)
_CHANGE_TO = re.compile(
    r"^\s*(?:up|down|rose|fell|grew|declined|increased|decreased)\s+\d+(?:\.\d+)?%\s+to\b", re.IGNORECASE
)
_RANGE_SEP = r"\s*(?:-|–|to)\s*"
# A figure, or a range of two ("$1.50-$1.60", "85 cents to 87 cents").
_FIGURE = re.compile(
    r"^\s*(?:(?:of|at|between|about|approximately|approx\.?)\s+)*"
    + _VALUE.format("a")
    + r"(?:"
    + _RANGE_SEP
    + _VALUE.format("a2")
    + r")?",
    re.IGNORECASE,
)
_VS = re.compile(
    r"^\s*,?\s*(?:vs\.?|versus)\s+(?P<pre>(?:[a-z.]+\s+){0,2}?)"
    + _VALUE.format("b")
    + r"(?:"
    + _RANGE_SEP
    + _VALUE.format("b2")
    + r")?"
    + r"(?P<rest>[^|]{0,60})",
    re.IGNORECASE,
)
_CONSENSUS_AFTER = re.compile(
    r"^\s*(?:a\s+year\s+(?:ago|earlier)|year-ago|last\s+year|in\s+the\s+year-ago\s+quarter)?"
    r"[\s;,]*(?:(?:FactSet|Refinitiv|Zacks|Street|analyst|analysts'?|the)\s+)*"
    r"(?:consensus|estimates?|est\.?|expectations?|expected|forecasts?)(?:\s+(?:of|was|is))?\s*" + _VALUE.format("c"),
    re.IGNORECASE,
)
_CONSENSUS_WORD = re.compile(r"^\s*(?:consensus|estimates?|est\.?|expectations?|expected|forecasts?)\b", re.IGNORECASE)
_PCT = re.compile(
    r"^\s*(?P<d1>up|down|rose|fell|grew|gained|increased|decreased|declined|dropped|climbed)\s+(?P<p1>\d+(?:\.\d+)?)%"
    r"[^|]{0,20}?[;,]\s*(?:FactSet\s+|Refinitiv\s+|analyst\s+)?(?:consensus|estimates?|est\.?|expected)\s+"
    r"(?:of\s+|was\s+)?(?P<d2>up|down|a\s+rise\s+of|a\s+fall\s+of)?\s*(?P<p2>\d+(?:\.\d+)?)%",
    re.IGNORECASE,
)
_GUIDANCE_CONTEXT = re.compile(r"\b(sees?|expects?|guides?|guidance|outlook|forecasts?|projects?)\b", re.IGNORECASE)
_PROFIT_METRICS = ("eps", "earnings per share", "net income", "net profit", "profit", "net earnings")
_SCALE = {"c": 0.01, "cent": 0.01, "cents": 0.01, "m": 1e6, "mln": 1e6, "million": 1e6, "b": 1e9, "bln": 1e9,
          "billion": 1e9, "bn": 1e9, "k": 1e3}  # fmt: skip


def _amount(raw: str, unit: str | None, other_unit: str | None) -> float:
    """A figure in dollars; a figure without a unit borrows the other's magnitude ("$3.22 vs.
    $3.32 bln"), and its cents only when it has no dollar sign ("78 vs. 98 cents")."""
    negative = any(c in raw for c in "-−(")
    value = float(re.sub(r"[^\d.]", "", raw) or 0)
    if not unit and other_unit and not (other_unit.lower().startswith("c") and "$" in raw):
        unit = other_unit
    scale = _SCALE.get((unit or "").lower(), 1.0)
    return -value * scale if negative else value * scale


def _figure(m: re.Match[str], key: str, other_unit: str | None) -> float:
    """The figure (or the middle of the range) captured under key."""
    first = _amount(m[key], m[key + "u"], m[key + "2u"] or other_unit)
    if not m[key + "2"]:
        return first
    return (first + _amount(m[key + "2"], m[key + "2u"], m[key + "u"] or other_unit)) / 2


def _figure_hits(doc: Doc) -> list[_Hit]:
    """Figures compared in numbers.

    A reported figure against consensus is a beat or a miss; against the year before (no
    consensus given), a profit that fell or rose is a weak miss or beat, and revenue is not
    scored (a sales dip is not a miss by the conventions of the eval set). A forecast
    ("sees FY EPS $1.50-$1.60 vs. $1.70 consensus", "vs. prior $1.80") below or above
    consensus or its prior figure is a guidance cut or raise.
    """
    text = doc.text
    if not any(w in text for w in ("vs", "consensus", "Consensus", "versus")):
        return []
    hits: list[_Hit] = []
    for m in _METRIC.finditer(text):
        guidance = _GUIDANCE_CONTEXT.search(text, 0, m.start()) is not None
        tail = text[m.end() :]
        metric = m.group("metric").lower()
        is_profit = any(metric.endswith(p) for p in _PROFIT_METRICS)
        kind: str | None = None
        weak = False
        end = m.end()
        # "sales up 2% to $1.27 bln; FactSet consensus $1.26 bln": the figure after the change.
        change = _CHANGE_TO.match(tail)
        base = m.end() + (change.end() if change else 0)
        fig = _FIGURE.match(text[base:])
        pct = None if fig else _PCT.match(tail)
        if fig:
            a_unit = fig["au"] or fig["a2u"]
            a = _figure(fig, "a", None)
            rest = text[base + fig.end() :]
            ref: float | None = None
            basis = "year"
            if vs := _VS.match(rest):
                b = _figure(vs, "b", a_unit)
                end = base + fig.end() + vs.start("rest")
                if re.search(r"\b(prior|previous|guidance|outlook)\b", vs["pre"], re.IGNORECASE):
                    ref, basis = b, "prior"
                elif c := _CONSENSUS_AFTER.match(vs["rest"]):
                    ref, basis = _amount(c["c"], c["cu"], a_unit), "consensus"
                    end += c.end()
                elif _CONSENSUS_WORD.search(vs["pre"]) or _CONSENSUS_WORD.match(vs["rest"]):
                    ref, basis = b, "consensus"
                else:
                    ref = b
            elif c := _CONSENSUS_AFTER.match(rest):
                ref, basis = _amount(c["c"], c["cu"], a_unit), "consensus"
                end = base + fig.end() + c.end()
            if ref is None or a == ref:
                continue
            if guidance:
                if basis in ("consensus", "prior"):
                    kind = "guidance_raise" if a > ref else "guidance_cut"
            elif basis == "consensus":
                kind = "earnings_beat" if a > ref else "earnings_miss"
            elif basis == "year" and is_profit:
                kind, weak = ("earnings_beat" if a > ref else "earnings_miss"), True
        elif pct and not guidance:
            up = ("up", "rose", "grew", "gained", "increased", "climbed")
            p1 = float(pct["p1"]) * (1 if pct["d1"].lower() in up else -1)
            d2 = (pct["d2"] or "up").lower()
            p2 = float(pct["p2"]) * (-1 if d2.startswith(("down", "a fall")) else 1)
            end = m.end() + pct.end()
            if p1 != p2:
                kind = "earnings_beat" if p1 > p2 else "earnings_miss"
        if kind is None:
            continue
        span = doc.char_span(m.start(), end, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        hits.append(_Hit(kind, span.start, span.end, tuple(range(span.start, span.end)), weak=weak))
    return hits


def _drop_hits(doc: Doc) -> list[_Hit]:
    """A fall of the share price by a stated percentage ("Kohl's shares slide 10.5%", "-61%")."""
    hits = []
    for start, end, _, _ in price_drops(doc.text):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None and len(span):
            hits.append(_Hit("price_drop", span.start, span.end, tuple(range(span.start, span.end))))
    return hits


# --- denials: "denies layoffs report", "no plans to cut the dividend" ---------------------
_DENIABLE = frozenset({"layoffs", "restructuring", "merger_acquisition", "bankruptcy", "default", "dividend_cut",
                       "executive_departure", "guidance_cut", "recall", "delisting", "dividend_raise"})  # fmt: skip
_DENIAL = re.compile(
    r"\b(denies|deny|denied|denying|no plans?|not plann?ing|rul(?:es|ed|e) out|wo n't|will not|"
    r"does n't plan|does not plan|no intention|cold water on|(?:are|is|am|'re|'s) not going|not going to)\b"
)
_DENIAL_REACH = 8  # tokens before the trigger, within its clause


def _denied(doc: Doc, hit: _Hit) -> bool:
    if hit.type not in _DENIABLE:
        return False
    words: list[str] = []
    for i in range(hit.start - 1, max(-1, hit.start - 1 - _DENIAL_REACH), -1):
        if doc[i].text in _BOUNDARIES:
            break
        words.append(doc[i].lower_)
    return bool(words) and _DENIAL.search(" ".join(reversed(words))) is not None


# --- yes/no questions: "Will Lowe's Raise Its Dividend in 2020?" states nothing -----------------
# ("Why Did Altria Take A Hit ...?" presupposes its event, so only questions opened by an
# auxiliary count.)
# "Should" is left out: "Should The Recent Earnings Drop Worry You?" presupposes the drop.
_QUESTION_OPENERS = frozenset({"will", "would", "can", "could", "is", "are", "was", "were", "does", "do",
                               "did", "has", "have", "may", "might", "shall"})  # fmt: skip
_SENTENCE_ENDS = frozenset({".", "!", "?", "|", ";"})


def _asked(doc: Doc, hit: _Hit) -> bool:
    end = next((t for t in doc[hit.end :] if t.text in _SENTENCE_ENDS), None)
    if end is None or end.text != "?":
        return False
    start = hit.start
    while start > 0 and doc[start - 1].text not in _SENTENCE_ENDS and doc[start - 1].text[-1:] not in (":", "-", "—"):
        start -= 1
    return doc[start].lower_ in _QUESTION_OPENERS


# Words most headlines contain: a pattern anchored on one would run on nearly every text.
_COMMON_WORDS = frozenset(
    {"to", "-", "$", ",", "in", "the", "on", "of", "'s", "’s", "for", "and", "&", "at", "by", "a", "an", "from", "with",
     "as", "after", "is", "are", "up", "out", "off", "into", "over", "it", "its", "this", "that", "be", "was", "will",
     "(", ")", ":", ";", ".", "stock", "shares", "not", "new", "more", "year"}
)  # fmt: skip


def _anchor_cost(words: frozenset[str]) -> int:
    return len(words) + 1000 * len(words & _COMMON_WORDS)


def _anchor_words(pattern: Pattern) -> frozenset[str] | None:
    """The set of words one of which a text must contain for the pattern to match.

    Of the pattern's required word tests, the one least likely to be met: few words, and
    no common ones (a pattern anchored on "to" would run on most headlines).
    None when no required token is a plain word test (the pattern must always be run).
    """
    best: frozenset[str] | None = None
    for tok in pattern:
        if tok.get("OP") not in (None, "1", "+"):
            continue
        for attr in ("LOWER", "ORTH"):
            spec = tok.get(attr)
            if isinstance(spec, str):
                words = frozenset({spec.lower()})
            elif isinstance(spec, dict) and isinstance(spec.get("IN"), list):
                words = frozenset(str(w).lower() for w in spec["IN"])
            else:
                continue
            if best is None or _anchor_cost(words) < _anchor_cost(best):
                best = words
    return best


def _trigger_text(doc: Doc, tokens: tuple[int, ...]) -> str:
    out = ""
    prev = -2
    for i in tokens:
        tok = doc[i]
        if out and not (prev == i - 1 and not doc[prev].whitespace_):
            out += " "
        out += tok.text
        prev = i
    return out
