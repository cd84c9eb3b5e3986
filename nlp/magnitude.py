"""How big an event is, as the headline says it: a share price down 23 %, a price target cut
from $120 to $110, a downgrade to sell, a $3.6 million fine, a retirement announced ahead.

The words live in `nlp/resources/magnitude.yaml` with the examples each reading must give.
The sizes go on the event (`finsentry.contracts.Magnitude`); the risk settings turn them into
alert levels (`RiskSettings.magnitude_levels`), so a 3 % target trim is not a 40 % cut.
A fall in the share price by a stated percentage is itself an event (`price_drop`): the
classifier asks `price_drops` for its spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from finsentry.contracts import Magnitude, RatingClass

WORDS_FILE = Path(__file__).resolve().parent / "resources" / "magnitude.yaml"

_NUMBER = r"(\d+(?:\.\d+)?)"
_SCALE = {"million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9}
_SCALE_WORDS = r"(million|mln|mn|m|billion|bln|bn|b)"
# Dollars: "$3.6 million", "US$2 bln"; not "C$2" or "A$5" (other currencies: `currencies`).
_MONEY = re.compile(r"(?<![A-Za-z])(?:US)?\$\s?" + _NUMBER + r"\s*" + _SCALE_WORDS + r"?\b", re.IGNORECASE)
_PRICE = r"(?:[A-Z]{0,3}\$|€|£)\s?(\d[\d,]*(?:\.\d+)?)"
_TO_FROM = re.compile(r"\bto\s+" + _PRICE + r"\s*,?\s*from\s+" + _PRICE, re.IGNORECASE)
_FROM_TO = re.compile(r"\bfrom\s+" + _PRICE + r"\s*,?\s*to\s+" + _PRICE, re.IGNORECASE)
# "cuts ... price target by 40%", "slashes Estee Lauder price target 40% to $60"
_CUT_BY = re.compile(
    r"\b(?:cut|cuts|lowers?|lowered|slash(?:es|ed)?|trims?|trimmed)\b[^.;%,:|–—]{0,40}?\b(?:by\s+)?"
    + _NUMBER
    + r"\s?%",
    re.I,
)
# How far results fell short: "Missed EPS By 52%".
# (Neither this nor _CUT_BY reads across a comma or a dash into the next clause: "misses
# estimates, shares fall by 25%" is no 25 % miss.)
_MISSED_BY = re.compile(r"\bmiss(?:es|ed)?\b[^.;%,:|–—]{0,30}?\bby\s+" + _NUMBER + r"\s?%", re.IGNORECASE)
# Where a clause ends, for the words read before a fall.
_CLAUSE_END = re.compile(r"[;|–—]")
# A forecast's figure or range: "$1.80-$1.90" is read at its middle.
_RANGE = r"(?:[A-Z]{0,3}\$|€|£)\s?(\d[\d,]*(?:\.\d+)?)(?:\s*(?:-|–|to)\s*(?:[A-Z]{0,3}\$|€|£)?\s?(\d[\d,]*(?:\.\d+)?))?"
_GUIDE_TO_FROM = re.compile(r"\bto\s+" + _RANGE + r"\s*,?\s*from\s+" + _RANGE, re.IGNORECASE)
_WORKFORCE = re.compile(
    _NUMBER
    + r"\s?%\s+of\s+(?:its\s+|the\s+|their\s+)?(?:global\s+|total\s+)?(?:workforce|staff|jobs|employees|headcount)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w&$'.-]+")


@dataclass(frozen=True)
class MagnitudeWords:
    fall: re.Pattern[str]
    dash: re.Pattern[str]
    strong: re.Pattern[str]
    share_word: re.Pattern[str]
    implied_fall: float
    not_shares: frozenset[str]
    rating: re.Pattern[str]
    rating_class: dict[str, RatingClass]
    money: tuple[tuple[re.Pattern[str], float], ...]  # (amount pattern, US dollars per unit)
    past_period: re.Pattern[str]  # matched right after a fall's number
    named: re.Pattern[str]  # a strong fall right after a capitalised name at a clause's head
    planned: re.Pattern[str]
    unplanned: re.Pattern[str]
    deal_price: re.Pattern[str]
    cut_shares: dict[str, float]  # lower-cased words -> share ("a third" -> 0.33)
    cut_share: re.Pattern[str]  # "by <words>", not "by half a point" (group 1: the words)
    strong_cut: re.Pattern[str]
    halving: re.Pattern[str]  # a verb that cuts by half ("halves ... price target")
    implied_cut: float
    hit_before: re.Pattern[str]  # searched in the text before an amount: the sum a forecast is cut by
    hit_after: re.Pattern[str]  # matched right after an amount ("$1.6 billion hit")
    new_rating: re.Pattern[str]
    review: re.Pattern[str]
    outlook: re.Pattern[str]
    job_count: re.Pattern[str]  # group 1: the number, commas kept
    material_suit: re.Pattern[str]
    suit_word: re.Pattern[str]  # a suit named at all (a regulator's suit: nlp rules read it as its act)
    claim_before: re.Pattern[str]  # searched in the text before an amount: it is the plaintiff's ask
    claim_after: re.Pattern[str]  # matched right after an amount ("$1 billion lawsuit")
    material_claim: float  # US dollars from which a sum asked for makes a suit material
    refusal: re.Pattern[str]  # a regulator refusing to approve a product
    related: re.Pattern[str]  # a company's unit or tenant as a bankruptcy's filer
    market_cause: re.Pattern[str]  # a market's or a commodity's move given as a fall's cause
    charge_after: re.Pattern[str]  # matched right after an amount ("$4.9 Billion Charge")
    charge_before: re.Pattern[str]  # searched in the text before an amount ("a charge of")
    examples: dict[str, list[Any]]


# Words that make an amount approximate, before it ("up to $1.6 billion", "for about $5 billion").
_ROUGHLY = r"(?:(?:about|around|nearly|almost|over|more than|up to|at least)\s+)?"


def _refusal(words: dict[str, list[str]]) -> re.Pattern[str]:
    """A refusal phrase, a refusing verb up to five words before a product, or a product up to
    45 characters (commas allowed) before "rejected" or "denied"."""
    verbs, products = _alternation(words["verbs"]), _alternation(words["products"])
    return re.compile(
        r"\b(?:" + _alternation(words["phrases"]) + r")\b"
        r"|\b(?:" + verbs + r")\s+(?:\S+\s+){0,5}?(?:" + products + r")\b"
        r"|\b(?:" + products + r")\b[^;|]{0,45}?\b(?:rejected|denied)\b",
        re.IGNORECASE,
    )


def _market_cause(words: dict[str, list[str]]) -> re.Pattern[str]:
    """A link word, then a market or a commodity, then its move within two words ("as bitcoin
    drops", "as copper prices slide", "amid an oil rout")."""
    return re.compile(
        r"\b(?:"
        + _alternation(words["links"])
        + r")\s+(?:(?:an?|the)\s+)?(?:"
        + _alternation(words["subjects"])
        + r")(?:\s+[\w'’-]+){0,2}?\s+(?:"
        + _alternation(words["moves"])
        + r")\b",
        re.IGNORECASE,
    )


def _related(words: dict[str, list[str]]) -> re.Pattern[str]:
    """A party named after a company's possessive ("J&J's talc unit", "Medical Properties Trust's
    Largest Tenant Steward"), or one a company puts into bankruptcy ("Puts Talc Subsidiary Into")."""
    parties = _alternation(words["parties"])
    return re.compile(
        r"['’]s\s+(?:[\w&-]+\s+){0,3}?(?:" + parties + r")\b"
        r"|\b(?:"
        + _alternation(words["put_verbs"])
        + r")\s+(?:its\s+)?(?:[\w&-]+\s+){0,2}?(?:"
        + parties
        + r")\s+in(?:to)?\b",
        re.IGNORECASE,
    )


def _suit_word(data: dict[str, Any]) -> str:
    """The words that name a suit, as one case-blind group."""
    return r"(?i:" + _alternation(data["material_suits"]["suit_words"]) + r")"


def _material_suit(data: dict[str, Any]) -> re.Pattern[str]:
    """A government before a suit word or after "sued by" ("US" only in capitals), a cause of
    death, disaster or monopoly, a crowd of plaintiffs, a case lost, or the business ordered
    shut, anywhere in the headline of a lawsuit."""
    suits = data["material_suits"]
    public = (
        r"(?:(?i:" + _alternation(suits["governments"]) + r")|US)"
        r"(?!\s+(?i:" + _alternation(suits["not_governments"]) + r")\b)"
    )
    suit = _suit_word(data)
    return re.compile(
        r"(?<![\w.])" + public + r"(?![\w.])(?:\s+[^\s;|]+){0,3}?\s+" + suit + r"\b"
        r"|\b(?i:sued\s+by)(?:\s+[^\s;|]+){0,2}?\s+" + public + r"(?![\w.])"
        r"|\b(?i:" + _alternation(suits["countries"]) + r")\s+" + suit + r"\b"
        r"|\b(?i:" + _alternation(suits["causes"]) + r")\b"
        r"|\b(?i:" + _alternation(suits["crowds"]) + r")\s+of\b"
        r"|\b(?i:"
        + _alternation(suits["losses"])
        + r")(?:\s+[^\s;|]+){0,3}?\s+(?i:"
        + _alternation(suits["lost_cases"])
        + r")\b"
        r"|\b(?i:"
        + _alternation(suits["orders"])
        + r")(?:\s+[^\s;|]+){0,6}?\s+(?i:"
        + _alternation(suits["shutdowns"])
        + r")\b"
    )


def _alternation(words: list[str]) -> str:
    # Longest first, so "strong sell" wins over "sell".
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=4)
def magnitude_words(path: Path = WORDS_FILE) -> MagnitudeWords:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fall = re.compile(
        r"\b(" + _alternation(data["fall_words"]) + r")\s+(?:(?:" + _alternation(data["fall_hedges"]) + r")\s+){0,3}"
        r"" + _NUMBER + r"\s?%",
        re.IGNORECASE,
    )
    # "-61%" after a word, or "(-18.9% pre)": a signed change written as a number.
    dash = re.compile(r"(?:(?<=\s)|(?<=\())[-−–]\s?" + _NUMBER + r"\s?%")
    shares = _alternation(data["share_words"])
    falls = _alternation(data["strong_falls"])
    strong = re.compile(
        r"\b(?:(?:" + shares + r")\s+(?:(?:get|gets|got|getting|are|is|were|was|have|has|been|just)\s+){0,2}"
        r"|(?:is|are)\s+(?:getting\s+|being\s+)?)(" + falls + r")\b"
        r"|\b(?:" + shares + r")\s+(sell-?off)\b"
        r"|(?<=\S)\s(sell-?off)\s+(?:continues|deepens)\b",
        re.IGNORECASE,
    )
    classes: dict[str, RatingClass] = {}
    for cls in ("sell", "hold", "buy"):
        for word in data["ratings"][cls]:
            classes[word.lower()] = cls
    # "downgraded to Sell", "turns bearish": the new class after "to" or a verb of turning.
    rating = re.compile(
        r"\b(?:to|turns|turned|turning|goes|went)\s+(?:an?\s+)?['\"‘“]?(" + _alternation(list(classes)) + r")\b",
        re.IGNORECASE,
    )
    money = [(_MONEY, 1.0)]
    for spec in data["currencies"].values():
        before = _alternation([str(w) for w in spec["before"]])
        after = _alternation([str(w) for w in spec["after"]])
        # A symbol may touch the number ("€4.1", "EUR4.1"); a word follows it after a space.
        money.append(
            (
                re.compile(
                    r"(?<![A-Za-z])(?:" + before + r")\s?" + _NUMBER + r"\s*" + _SCALE_WORDS + r"?\b"
                    r"|\b" + _NUMBER + r"\s*" + _SCALE_WORDS + r"?\s+(?:" + after + r")\b",
                    re.IGNORECASE,
                ),
                float(spec["usd"]),
            )
        )
    return MagnitudeWords(
        fall=fall,
        dash=dash,
        strong=strong,
        share_word=re.compile(r"(?:" + shares + r")\b", re.IGNORECASE),
        implied_fall=float(data["implied_fall"]),
        not_shares=frozenset(w.lower() for w in data["not_shares"]),
        rating=rating,
        rating_class=classes,
        money=tuple(money),
        past_period=re.compile(
            r"\s*(?:(?:in|over|during|for)\s+(?:"
            + _alternation([str(p) for p in data["past_periods"]])
            + "|"
            + str(data["past_year"])
            + r")"
            r"|(?:" + _alternation([str(p) for p in data["past_spans"]]) + r"))\b",
            re.IGNORECASE,
        ),
        named=re.compile(
            # The name's words keep their capitals; the verb may be in any case ("Sinks", "sinks"),
            # in the third person or the past, and ends the clause or leads to its cause.
            r"(?:^|(?<=[-:;|–—]\s))((?:(?!(?i:has|have|had|is|are|was|were)\s)[A-Z$][\w&'’.]*\s+){1,4}?)"
            r"(?i:(" + _alternation([f for f in data["strong_falls"] if f.endswith(("s", "ed", "ank"))]) + r"))"
            r"(?=\s*$|\s*[,;:.!?(|-]|\s+(?i:on|after|as|amid|following|despite|in|to|below|premarket|again)\b)"
        ),
        planned=re.compile(r"\b(?:" + _alternation(data["planned_departure"]) + r")\b", re.IGNORECASE),
        unplanned=re.compile(r"\b(?:" + _alternation(data["unplanned_departure"]) + r")\b", re.IGNORECASE),
        deal_price=re.compile(r"\s+(?:\S+\s+)?(?:" + _alternation(data["deal_nouns"]) + r")\b", re.IGNORECASE),
        material_suit=_material_suit(data),
        suit_word=re.compile(r"\b" + _suit_word(data) + r"\b"),
        refusal=_refusal(data["product_refusals"]),
        related=_related(data["related_filers"]),
        market_cause=_market_cause(data["market_cause"]),
        # One word may stand between the amount and the noun ("$425 mln pre-tax charge").
        charge_after=re.compile(r"\s+(?:\S+\s+)?(?:" + _alternation(data["charges"]) + r")\b", re.IGNORECASE),
        charge_before=re.compile(r"\b(?:" + _alternation(data["charges"]) + r")\s+of\s+$", re.IGNORECASE),
        claim_before=re.compile(
            r"\b(?:" + _alternation(data["claims"]["asks"]) + r")\b[^$€£.;|]{0,20}$"
            r"|\b(?:"
            + _alternation(data["material_suits"]["suit_words"])
            + r")\b[^.;|]{0,40}\bfor\s+"
            + _ROUGHLY
            + r"$",
            re.IGNORECASE,
        ),
        hit_before=re.compile(r"\bby\s+(?:as\s+much\s+as\s+)?" + _ROUGHLY + r"$", re.IGNORECASE),
        # The amount may open a range ("$900 million-$1.6 billion hit").
        hit_after=re.compile(
            r"[^;|,]{0,25}?\b(?:" + _alternation(data["guidance_cuts"]["hit_nouns"]) + r")\b", re.IGNORECASE
        ),
        material_claim=float(data["claims"]["material_usd"]),
        claim_after=re.compile(r"\s*(?:" + _alternation(data["claims"]["claim_nouns"]) + r")\b", re.IGNORECASE),
        job_count=re.compile(
            r"\b(\d{1,3}(?:,\d{3})+|\d+)\s+(?:[A-Za-z-]+\s+){0,2}?(?:" + _alternation(data["job_nouns"]) + r")\b",
            re.IGNORECASE,
        ),
        cut_shares={str(k).lower(): float(v) for k, v in data["guidance_cuts"]["shares"].items()},
        # "by a third", not "by half a point" (a rate moved, not a forecast shrunk).
        cut_share=re.compile(
            r"\bby\s+(" + _alternation([str(k) for k in data["guidance_cuts"]["shares"]]) + r")\b"
            r"(?!\s+(?:a\s+)?(?:percentage\s+)?points?\b)",
            re.IGNORECASE,
        ),
        halving=re.compile(r"\b(?:" + _alternation(data["halving_verbs"]) + r")\b", re.IGNORECASE),
        strong_cut=re.compile(
            r"\b(?:"
            + _alternation(data["guidance_cuts"]["strong"])
            + r"|"
            + _alternation(data["guidance_cuts"]["warnings"])
            + r")\b"
            r"|\bwarn(?:s|ed|ing)?\b[^;|]{0,40}?\b(?:" + _alternation(data["guidance_cuts"]["warned"]) + r")\b",
            re.IGNORECASE,
        ),
        implied_cut=float(data["guidance_cuts"]["implied"]),
        new_rating=re.compile(
            r"\b(?:to|into)\s+['\"‘“]?(?:" + _alternation(data["credit_watch"]["new_ratings"]) + r")(?:[+-]|\b)",
            re.IGNORECASE,
        ),
        review=re.compile(r"\b(?:" + _alternation(data["credit_watch"]["review"]) + r")\b", re.IGNORECASE),
        outlook=re.compile(
            r"\b(?:" + _alternation(data["credit_watch"]["outlook"]) + r")\b"
            r"|\b(?:" + _alternation(data["credit_watch"]["outlook_verbs"]) + r")\s+(?:\S+\s+){0,3}?outlooks?\b",
            re.IGNORECASE,
        ),
        examples=data["examples"],
    )


def price_drops(text: str, words: MagnitudeWords | None = None) -> list[tuple[int, int, float, bool]]:
    """(start, end, fraction, implied) of each fall of the share price in `text`: stated as a
    number, or named by a strong word with no number (implied: the usual size of such a fall)."""
    w = words or magnitude_words()
    found: list[tuple[int, int, float, bool]] = []
    for m in [*w.fall.finditer(text), *w.dash.finditer(text)]:
        # The words before it in its own clause: "calls valuation 'untethered'; stock slips 4%" is
        # the stock's fall, whatever the clause before names.
        window = _CLAUSE_END.split(text[max(0, m.start() - 60) : m.start()])[-1]
        before = [t.lower().strip(".'") for t in _WORD.findall(window)][-4:]
        if w.not_shares.intersection(before):
            continue
        # "down 3%-4%" is a range of a forecast, not a move of the shares; "lost 14% in January"
        # looks back.
        if re.match(r"\s?[-–]\s?\d", text[m.end() :]) or w.past_period.match(text, m.end()):
            continue
        pct = float(m.group(m.lastindex or 1)) / 100
        if 0 < pct < 1:
            found.append((m.start(), m.end(), pct, False))
    if not found:
        for m in w.strong.finditer(text):
            # "shares plunge" says whose fall it is; "is getting hammered" needs a subject that
            # is not a metric or a market.
            before = [t.lower().strip(".'") for t in _WORD.findall(text[max(0, m.start() - 40) : m.start()])][-3:]
            if w.share_word.match(m.group(0)) or not w.not_shares.intersection(before):
                found.append((m.start(), m.end(), w.implied_fall, True))
        for m in w.named.finditer(text):
            # "Aurora Cannabis Sinks on ...": the name is the company's, unless it is a metric or a market.
            if not w.not_shares.intersection(t.lower().strip(".'$") for t in _WORD.findall(m.group(1))):
                found.append((m.start(2), m.end(2), w.implied_fall, True))
    return sorted(found)


def _largest_fall(text: str, words: MagnitudeWords) -> Magnitude | None:
    """The largest fall of the share price `text` states (`drop_sizes`), or None."""
    sizes = [size for _, _, size in drop_sizes(text, words)]
    return max(sizes, key=lambda m: m.percent or 0.0) if sizes else None


def drop_sizes(text: str, words: MagnitudeWords | None = None) -> list[tuple[int, int, Magnitude]]:
    """(start, end, size) of each fall of the share price in `text` (`price_drops`)."""
    w = words or magnitude_words()
    falls = price_drops(text, w)
    # Shares that follow the market ("slide 9% as bitcoin drops") move with it: the levels read
    # `market` to keep such a fall a digest line.
    market = bool(falls) and bool(w.market_cause.search(text))
    return [
        (start, end, Magnitude(percent=round(pct, 4), implied=implied, market=market, text=text[start:end]))
        for start, end, pct, implied in falls
    ]


def _target_cut(text: str, w: MagnitudeWords) -> tuple[float, str] | None:
    """The largest cut of a price target in `text`, with the words it was read from."""
    cuts = []
    if halved := w.halving.search(text):
        cuts.append((0.5, halved.group(0)))
    for m in _TO_FROM.finditer(text):
        new, old = _price(m.group(1)), _price(m.group(2))
        if old > new > 0:
            cuts.append((1 - new / old, m.group(0)))
    for m in _FROM_TO.finditer(text):
        old, new = _price(m.group(1)), _price(m.group(2))
        if old > new > 0:
            cuts.append((1 - new / old, m.group(0)))
    for m in _CUT_BY.finditer(text):
        cuts.append((float(m.group(1)) / 100, m.group(0)))
    return max(cuts) if cuts else None


def _middle(low: str, high: str | None) -> float:
    return (_price(low) + _price(high)) / 2 if high else _price(low)


def _guidance_cut(text: str, w: MagnitudeWords) -> tuple[float, str, bool] | None:
    """How much a forecast was cut: from its figures ("to $1.80-$1.90 from $2.65-$2.85"), a
    share ("by a third", "by 30%"), or a strong verb with no number ("slashes"), read as
    `implied_cut`; with the words it was read from and whether it was implied."""
    cuts: list[tuple[float, str, bool]] = []
    for m in _GUIDE_TO_FROM.finditer(text):
        new, old = _middle(m.group(1), m.group(2)), _middle(m.group(3), m.group(4))
        if old > new > 0:
            cuts.append((1 - new / old, m.group(0), False))
    # Only "by 30%": a forecast cut "to 1%" is a growth rate, not the size of the cut.
    for m in _CUT_BY.finditer(text):
        if re.search(r"\bby\s+[\d.]+\s?%$", m.group(0)):
            cuts.append((float(m.group(1)) / 100, m.group(0), False))
    for said in w.cut_share.finditer(text):
        cuts.append((w.cut_shares[said.group(1).lower()], said.group(0), False))
    if cuts:
        return max(cuts)
    strong = w.strong_cut.search(text)
    return (w.implied_cut, strong.group(0), True) if strong else None


def _price(raw: str) -> float:
    return float(raw.replace(",", ""))


def _charge_usd(text: str, words: MagnitudeWords) -> tuple[float, str] | None:
    """The largest amount in `text` that is a charge's: right before "charge" or after "charge of"."""
    return _usd(
        text,
        words,
        lambda m: (
            words.charge_after.match(text, m.end()) is not None
            or words.charge_before.search(text[: m.start()]) is not None
        ),
    )


def _usd(
    text: str, words: MagnitudeWords, keep: Callable[[re.Match[str]], bool] | None = None
) -> tuple[float, str] | None:
    """The largest money amount in `text` (of those `keep` accepts), in US dollars, with its words."""
    amounts = []
    for pattern, rate in words.money:
        for m in pattern.finditer(text):
            if words.deal_price.match(text, m.end()):
                continue  # the price of a deal, not a sum paid
            if keep is not None and not keep(m):
                continue
            # The number and its scale sit in the first pair of groups that matched.
            number, scale = (m.group(1), m.group(2)) if m.group(1) is not None else (m.group(3), m.group(4))
            amounts.append((float(number) * _SCALE.get((scale or "").lower(), 1.0) * rate, m.group(0)))
    return max(amounts) if amounts else None


def read_magnitude(text: str, event_type: str, words: MagnitudeWords | None = None) -> Magnitude | None:
    """The size `text` gives for an event of `event_type`, or None when it gives none."""
    w = words or magnitude_words()
    if event_type == "price_drop":
        return _largest_fall(text, w)
    elif event_type == "price_target_cut":
        if cut := _target_cut(text, w):
            return Magnitude(percent=round(cut[0], 4), text=cut[1])
    elif event_type == "guidance_cut":
        # A share stated, then a sum taken out, then a size implied by the words ("slashes").
        guided = _guidance_cut(text, w)
        if guided and not guided[2]:
            return Magnitude(percent=round(guided[0], 4), text=guided[1])
        if hit := _usd(
            text, w, lambda m: bool(w.hit_before.search(text[: m.start()]) or w.hit_after.match(text, m.end()))
        ):
            return Magnitude(usd=hit[0], text=hit[1])
        if guided:
            return Magnitude(percent=round(guided[0], 4), implied=True, text=guided[1])
    elif event_type == "earnings_miss":
        if missed := _MISSED_BY.search(text):
            return Magnitude(percent=float(missed.group(1)) / 100, text=missed.group(0))
        # Only a charge's own amount: the figures of a results line ("revenue $5.17 bln vs. $5.40
        # bln") are no loss.
        if charged := _charge_usd(text, w):
            return Magnitude(usd=charged[0], text=charged[1])
    elif event_type == "downgrade":
        if m := w.rating.search(text):
            return Magnitude(rating=w.rating_class[m.group(1).lower()], text=m.group(0))
    elif event_type in ("fine", "lawsuit", "fraud_allegation", "regulatory_action"):
        claim = None
        if event_type == "lawsuit":
            # A sum the plaintiff asks for ("sues EchoStar for $1.2 billion", "seeks $5 billion in
            # damages") is no sum paid: a large one makes the suit material, not its size.
            def claimed(m: re.Match[str]) -> bool:
                return bool(w.claim_before.search(text[: m.start()]) or w.claim_after.match(text, m.end()))

            usd = _usd(text, w, lambda m: not claimed(m))
            asked = _usd(text, w, claimed)
            claim = asked[1] if asked and asked[0] >= w.material_claim else None
        else:
            usd = _usd(text, w)
        # A regulator's act that is a suit ("FTC sues PepsiCo") is a material suit until a court
        # rules: the desk's readers put it at medium, a ban or a charge at high.
        found = (
            w.material_suit.search(text)
            if event_type == "lawsuit"
            else w.suit_word.search(text)
            if event_type == "regulatory_action"
            else None
        )
        material = found.group(0) if found else claim
        refused = w.refusal.search(text) if event_type == "regulatory_action" else None
        # The shares' fall told with a fraud is its size on the market: "Luckin Coffee shares
        # plunge 80% ... after fabricated-sales disclosure" is the collapse after fraud.
        fall = _largest_fall(text, w) if event_type == "fraud_allegation" else None
        if usd or material or refused or fall:
            return Magnitude(
                usd=usd[0] if usd else None,
                percent=fall.percent if fall else None,
                material=material is not None,
                refused=refused is not None,
                text=usd[1] if usd else material or (refused.group(0) if refused else fall.text if fall else ""),
            )
    elif event_type == "bankruptcy":
        if m := w.related.search(text):
            return Magnitude(related=True, text=m.group(0))
    elif event_type == "layoffs":
        if m := _WORKFORCE.search(text):
            return Magnitude(percent=float(m.group(1)) / 100, text=m.group(0))
        if m := w.job_count.search(text):
            return Magnitude(count=float(m.group(1).replace(",", "")), text=m.group(0))
    elif event_type == "executive_departure" and (m := w.planned.search(text)) and not w.unplanned.search(text):
        return Magnitude(planned=True, text=m.group(0))
    return None


def _credit_kind(clause: str, w: MagnitudeWords) -> Literal["cut", "review", "outlook"]:
    """What one clause of a credit action does: a new rating named is a cut whatever else it says."""
    if w.new_rating.search(clause):
        return "cut"
    if w.review.search(clause):
        return "review"
    return "outlook" if w.outlook.search(clause) else "cut"


def read_watch(clauses: Sequence[str], words: MagnitudeWords | None = None) -> Literal["outlook", "review"] | None:
    """For a credit downgrade, the clause of each of its matches: "review" where the rating is
    only put on review or CreditWatch, "outlook" where only the outlook is lowered, None where
    any clause cuts the rating itself."""
    w = words or magnitude_words()
    kinds = {_credit_kind(c, w) for c in clauses}
    if not kinds or "cut" in kinds:
        return None
    return "review" if "review" in kinds else "outlook"
