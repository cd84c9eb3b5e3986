"""Rule-based event classification: spaCy Matcher patterns over word forms.

The rules are data: one file per event type under `nlp/rules/`, read by nlp/event_rules.py.
Each event type has positive patterns, and may have veto patterns (a near-miss phrase
that contains a trigger: "fraud detection", "credit default swap", "follow suit"). A
pattern is a short phrase with small gaps ("cuts full-year profit forecast" matches
cut ... forecast); a match records the words that matched, minus the gap, as the
trigger the risk score shows. Overlapping matches of two related types are settled by
`nlp/rules/_precedence.yaml` ("Moody's downgrades" is a credit downgrade, not an analyst
downgrade).

Why word forms and not spaCy lemmas: the small English pipeline tags a Title Cased
headline word as a proper noun and then leaves its lemma alone ("Downgrades" stays
"Downgrades"), so lemma patterns miss a large share of real headlines. Each rule is
therefore written with lemmas (`{v: [cut]}`) and expanded to every inflected form,
matched on the lower-cased text. This also spares the tagger and lemmatizer, so only
NER runs in the pipeline.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from spacy.matcher import Matcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

from finsentry.contracts import Event, Magnitude
from nlp.event_rules import EventRules, Pattern, default_rules
from nlp.event_rules import inflect as inflect  # re-exported: the rules' verb forms
from nlp.magnitude import drop_sizes, read_magnitude, read_watch
from nlp.target_words import target_words
from nlp.taxonomy import EVENT_TYPES, PROBLEM_SOLVED

# The word lists the code below reads (clause ends, question openers, common words) live
# with the rules' shared vocabulary.
_LISTS = default_rules().lists
_BOUNDARIES = frozenset(_LISTS["boundaries"])
# The last token of the text: a clause end that patterns cannot spell as a token (the
# rule files name it as `_: {finsentry_ends_text: true}`).
_ENDS_TEXT = "finsentry_ends_text"
if not Token.has_extension(_ENDS_TEXT):
    Token.set_extension(_ENDS_TEXT, getter=lambda t: t.i == len(t.doc) - 1)


@dataclass(frozen=True)
class _Hit:
    type: str
    start: int
    end: int
    tokens: tuple[int, ...]  # doc indices of the words that matched, gaps excluded
    weak: bool = False
    solved: bool = False  # a veto that reports the problem over (the rule files' `solved: true`)
    size: Magnitude | None = None  # a price drop's stated (or implied) size


class EventClassifier:
    """Finds every event type a text mentions, with the words that triggered it."""

    def __init__(self, vocab: Vocab, rules: EventRules | None = None) -> None:
        rules = rules if rules is not None else default_rules()
        self.version = rules.version
        self._precedence = rules.precedence
        self._opposite = rules.opposite
        self._deniable = rules.deniable
        self._dated = rules.dated
        # One Matcher per rule key (type, or type + "!" for its vetoes), run only on texts
        # that contain one of the key's anchor words: the Matcher's cost grows with the
        # number of patterns it holds, and most headlines touch few event types.
        self._matchers: dict[str, Matcher] = {}
        self._by_word: dict[str, set[str]] = defaultdict(set)
        self._always: set[str] = set()
        # One match id per pattern, so an alignment can be read against the pattern it came from.
        self._keys: dict[int, tuple[str, bool, frozenset[int]]] = {}
        for key, patterns in rules.patterns.items():
            event_type = key.rstrip("!~")
            if event_type not in EVENT_TYPES:
                raise ValueError(f"rule for unknown event type {event_type!r}")
            matcher = self._matchers[key] = Matcher(vocab, validate=False)
            solved = rules.solved.get(key, frozenset())
            for i, pattern in enumerate(patterns):
                name = f"{key}#{i}"
                matcher.add(name, [pattern])
                gaps = frozenset(j for j, tok in enumerate(pattern) if "OP" in tok)
                self._keys[vocab.strings[name]] = (event_type, i in solved, gaps)
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
            event_type, solved, gaps = self._keys[match_id]
            tokens = tuple(start + k for k, p in enumerate(align) if p not in gaps)
            hits.append(_Hit(event_type, start, end, tokens or (start,), weak=key.endswith("~"), solved=solved))

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
        # A solved veto whose act is refused keeps nothing out: the problem is not over.
        vetoes = [v for v in vetoes if not (v.solved and _refused(doc, v))]
        veto_tokens: dict[str, set[int]] = defaultdict(set)
        for v in vetoes:
            veto_tokens[v.type].update(range(v.start, v.end))
        kept_out = [h for h in hits if veto_tokens[h.type].intersection(h.tokens)]
        hits = [h for h in hits if h not in kept_out]
        # A problem reported over ("court dismisses lawsuit against X") is the company's good news:
        # the solved veto that kept a match out is reported, unless it is only asked about.
        solved = [
            v
            for v in vetoes
            if v.solved
            and not _asked(doc, v)
            and any(h.type == v.type and set(range(v.start, v.end)).intersection(h.tokens) for h in kept_out)
        ]
        hits += _figure_hits(doc)
        hits += _drop_hits(doc)
        strong = {h.type for h in hits if not h.weak}
        hits = [h for h in hits if not (h.weak and self._opposite.get(h.type) in strong)]
        hits = [h for h in hits if not (h.type in self._deniable and _denied(doc, h)) and not _asked(doc, h)]
        hits = [h for h in hits if not (h.type in self._dated and _dated(doc, h))]
        by_type: dict[str, list[_Hit]] = defaultdict(list)
        for h in hits:
            by_type[h.type].append(h)
        for winner, loser in self._precedence:
            if winner in by_type and loser in by_type:
                won = {t for h in by_type[winner] for t in range(h.start, h.end)}
                by_type[loser] = [h for h in by_type[loser] if not won.intersection(h.tokens)]
        events = []
        # Each stated fall is its own event, so each company keeps its own size ("Visa shares fall
        # 5%; Mastercard dips 2%"); nlp/annotator.py merges those that fall on the same company.
        for drop in by_type.pop("price_drop", []):
            event = Event(
                type="price_drop",
                trigger=_trigger_text(doc, drop.tokens),
                severity=EVENT_TYPES["price_drop"].severity,
                magnitude=drop.size,
            )
            events.append((drop.start, event, [drop.tokens]))
        for event_type, type_hits in by_type.items():
            if not type_hits:
                continue
            # The tightest match explains the event best; ties go to the earliest.
            best = min(type_hits, key=lambda h: (h.end - h.start, h.start))
            trigger = _trigger_text(doc, best.tokens)
            magnitude = read_magnitude(doc.text, event_type)
            if event_type == "credit_downgrade":
                # Only an outlook lowered, or a rating put on review, is short of a cut.
                clauses = [_clause_words(doc, range(h.start, len(doc))) for h in type_hits]
                if watch := read_watch(clauses):
                    magnitude = Magnitude(watch=watch, text=trigger)
            event = Event(
                type=event_type,
                trigger=trigger,
                severity=EVENT_TYPES[event_type].severity,
                magnitude=magnitude,
            )
            matches = [best.tokens] + [h.tokens for h in sorted(type_hits, key=lambda h: h.start) if h is not best]
            events.append((best.start, event, matches))
        for problem in sorted({v.type for v in solved}):
            these = sorted((v for v in solved if v.type == problem), key=lambda v: (v.end - v.start, v.start))
            event = Event(
                type=PROBLEM_SOLVED,
                trigger=_trigger_text(doc, these[0].tokens),
                severity=EVENT_TYPES[PROBLEM_SOLVED].severity,
                solves=problem,
            )
            events.append((these[0].start, event, [v.tokens for v in these]))
        return [(e, m) for _, e, m in sorted(events, key=lambda x: x[0])]


def _any_of(list_name: str) -> str:
    """A regex alternation of a shared word list (`_macros.yaml`), longest first."""
    return "|".join(re.escape(w) for w in sorted(_LISTS[list_name], key=len, reverse=True))


# --- figures: "Q3 EPS 78 cents vs. 98 cents", "sales $5.17 bln vs. $5.40 bln; FactSet consensus $5.32 bln" ---
_METRIC = re.compile(
    rf"\b(?P<metric>(?:(?:{_any_of('figure_qualifiers')})\s+)*(?:{_any_of('figure_metrics')}))\b", re.IGNORECASE
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
_PROFIT_METRICS = _LISTS["profit_metrics"]
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
    if not any(w in text.lower() for w in ("vs", "consensus", "versus")):
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
    for start, end, size in drop_sizes(doc.text):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None and len(span):
            hits.append(_Hit("price_drop", span.start, span.end, tuple(range(span.start, span.end)), size=size))
    return hits


# --- denials: "denies layoffs report", "no plans to cut the dividend" ---------------------
# (which types a denial drops is each rule file's `deniable`; the words are `_macros.yaml`'s)
_DENIAL_REACH = 8  # tokens before the trigger, within its clause


_DENIAL = re.compile(rf"\b(?:{_any_of('denials')})\b")
# A report called false after its trigger ("Calls Report of Fresh DOJ Probe 'Categorically False'").
_REPORT = re.compile(rf"\b(?:{_any_of('reports')})\b")
_CALLED_FALSE = re.compile(rf"\b(?:{_any_of('called_false')})\b")
# Ruled out after the trigger ("Bankruptcy is not on the table"), or "not a" right before it.
_DENIED_AFTER = re.compile(rf"^\W*(?:(?:is|are|was|were|remains|remain)\s+)?(?:{_any_of('denied_after')})\b")
_NEGATED_RIGHT_BEFORE = re.compile(rf"\b(?:{_any_of('negated_right_before')})\s*$")
# Talk of the event rejected: "Lucid Says Cash Lasts Into 2027, Rejects Going-Concern Speculation".
_REJECTS = re.compile(rf"\b(?:{_any_of('talk_rejecters')})\b")
_TALK = re.compile(rf"\b(?:{_any_of('talk_words')})\b")
# A problem not over after all: the refusal governs the act, or a negation stands right before it.
_REFUSED = re.compile(
    rf"\b(?:{_any_of('refusal_verbs')})\b(?:\s+\S+){{0,4}}?\s+(?:{_any_of('refused_acts')})\b"
    rf"|\b(?:{_any_of('negations')}|wo n't|will not)\s*$"
)
_NEGATED = re.compile(rf"\b(?:{_any_of('negations')})\b")
_REFUSAL_REACH = 6  # tokens before a solved veto, within its clause


def _clause_words(doc: Doc, indices: range, stops: frozenset[str] = frozenset()) -> str:
    """The lower-cased words at `indices`, in text order, up to the first clause boundary met
    (or the first of `stops`, words that open another clause)."""
    words: list[str] = []
    for i in indices:
        if doc[i].text in _BOUNDARIES or doc[i].lower_ in stops:
            break
        words.append(doc[i].lower_)
    return " ".join(words if indices.step > 0 else reversed(words))


def _denied(doc: Doc, hit: _Hit) -> bool:
    before = _clause_words(doc, range(hit.start - 1, max(-1, hit.start - 1 - _DENIAL_REACH), -1))
    if _DENIAL.search(before) is not None or _NEGATED_RIGHT_BEFORE.search(before) is not None:
        return True
    after = _clause_words(doc, range(hit.end, min(len(doc), hit.end + _DENIAL_REACH)))
    if _DENIED_AFTER.match(after) is not None:
        return True
    if _REJECTS.search(before) is not None and _TALK.search(after) is not None:
        return True
    return _REPORT.search(before) is not None and _CALLED_FALSE.search(after) is not None


# A year right before the trigger dates the event in the past: "Henry Schein, hit by a 2023
# cyberattack, says its systems are unaffected", "Outage Recalls CrowdStrike's 2024 Meltdown That
# Grounded Flights" (history retold, not news). Only for the types whose rule file says `dated`:
# a year before a forecast or a result is its fiscal year ("cuts 2027 outlook").
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DATED_REACH = 3  # tokens before the trigger, within its clause
_PAST_VERBS = frozenset(_LISTS["past_verbs"])


def _dated(doc: Doc, hit: _Hit) -> bool:
    before = _clause_words(doc, range(hit.start - 1, max(-1, hit.start - 1 - _DATED_REACH), -1))
    if any(_YEAR.match(word) for word in before.split()):
        return True
    # Or "in" and a year right after it, told in the past tense: "echo Sears, which filed for
    # bankruptcy in 2018" ("expects to exit bankruptcy in 2027" is no past tense: left alone).
    after = _clause_words(doc, range(hit.end, min(len(doc), hit.end + 2))).split()
    if after[:1] != ["in"] or not any(_YEAR.match(word) for word in after[1:]):
        return False
    start = max(0, hit.start - _DATED_REACH)
    return any(doc[i].lower_ in _PAST_VERBS for i in range(start, hit.end))


def _refused(doc: Doc, veto: _Hit) -> bool:
    """Is the solved veto's act refused ("judge rejects Uber's bid to dismiss the lawsuit") or
    negated ("court did n't dismiss", "lawsuit not dismissed")? A negation the veto's own pattern
    names is its point, not a refusal: "jury finds Qualcomm did not breach"."""
    # A refusal in another clause is about something else ("Acme denies wrongdoing as SEC closes
    # probe"): the words that open a clause are the target reader's (nlp/target_words.py).
    reach = range(veto.start - 1, max(-1, veto.start - 1 - _REFUSAL_REACH), -1)
    before = _clause_words(doc, reach, target_words().break_words)
    in_gaps = " ".join(doc[i].lower_ for i in range(veto.start, veto.end) if i not in veto.tokens)
    return _REFUSED.search(before) is not None or _NEGATED.search(in_gaps) is not None


# --- yes/no questions: "Will Lowe's Raise Its Dividend in 2020?" states nothing -----------------
# ("Why Did Altria Take A Hit ...?" presupposes its event, so only questions opened by an
# auxiliary count.)
# "Should" is left out: "Should The Recent Earnings Drop Worry You?" presupposes the drop.
_QUESTION_OPENERS = frozenset(_LISTS["question_openers"])


def _asked(doc: Doc, hit: _Hit) -> bool:
    end = next((t for t in doc[hit.end :] if t.text in target_words().sentence_ends), None)
    if end is None or end.text != "?":
        return False
    start = hit.start
    while start > 0 and not _opens_after(doc, start - 1):
        start -= 1
    return doc[start].lower_ in _QUESTION_OPENERS


def _opens_after(doc: Doc, i: int) -> bool:
    """Whether a sentence may open after token i: a sentence end, a colon, or a dash standing
    apart ("Analysis - Will ...?"); not the hyphen inside a word ("child-safety")."""
    tok = doc[i]
    if tok.text in target_words().sentence_ends or tok.text.endswith(":"):
        return True
    if tok.text[-1:] == "—":
        return True
    if tok.text[-1:] != "-":
        return False
    # A hyphen joining two words is no break; "UPDATE 1-Will ...?" is one.
    joined = 0 < i < len(doc) - 1 and not doc[i - 1].whitespace_ and not tok.whitespace_
    return not (joined and doc[i - 1].text[-1:].isalpha() and doc[i + 1].text[:1].isalpha())


# Words most headlines contain: a pattern anchored on one would run on nearly every text.
_COMMON_WORDS = frozenset(_LISTS["common_words"])


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


def merge_price_drops(events: list[Event]) -> list[Event]:
    """One price drop per company: falls read apart (nlp/events.py) that land on the same
    targets are one event, at the largest size ("falls 2.1% premarket, after tumbling 17.2%")."""
    out: list[Event] = []
    for event in events:
        twin = next(
            (
                i
                for i, kept in enumerate(out)
                if event.type == kept.type == "price_drop" and set(kept.targets or ()) == set(event.targets or ())
            ),
            None,
        )
        if twin is None:
            out.append(event)
            continue
        kept = out[twin]
        size = (kept.magnitude.percent or 0.0) if kept.magnitude else 0.0
        if event.magnitude is not None and (event.magnitude.percent or 0.0) > size:
            out[twin] = event
    return out
