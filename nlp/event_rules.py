"""The event rules as data: loads `nlp/rules/*.yaml` into spaCy Matcher patterns.

One file per event type holds its patterns, its vetoes (near-misses that contain a
trigger), its weak patterns and the headlines each must fire on and must not; the shared
word lists, tokens and patterns live in `_macros.yaml`, the irregular verb forms in
`_inflections.yaml` and the order in which overlapping types win in `_precedence.yaml`.
A veto may be marked `solved: true` when its words report the problem over for the company
("Court dismisses lawsuit against Palantir", "EU closes probe into Broadcom"): the classifier
then reports a `problem_solved` event in place of the type it kept out.
The rules' version is a hash of those files, so a changed rule changes the annotator's
version without anyone bumping a number.

A pattern is a list of items, each one token or, for the few that expand, several:

    {w: [cut, cuts]}            any of these words, lower-cased
    {v: [cut, lower]}           any inflected form of these lemmas (`inflect`)
    {gap: 3}                    up to 3 words inside a clause (parens, conjunctions, dots: see `_gap`)
    {list_gap: 3}               up to 3 tokens inside a clause, commas included
    {ph: class-action}          a fixed phrase, hyphens optional (several tokens)
    {rating: [$up_ratings]}     rating names: one pattern per rating word set (`_rating`)
    {alt: [weak, poor]}         one pattern per phrase
    $NAME                       a named token (or token sequence) of `tokens:`
    {LOWER: ..., OP: "?"}       a spaCy token as it is; `w`/`v` may sit beside other attributes

In a word list, `$name` splices a named list of `lists:`. An entry `use: name` stands for
the shared patterns of `patterns:` in `_macros.yaml`.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

import yaml

Tok = dict[str, object]
Pattern = list[Tok]

RULES_DIR = Path(__file__).resolve().parent / "rules"
MACROS_FILE = "_macros.yaml"
INFLECTIONS_FILE = "_inflections.yaml"
PRECEDENCE_FILE = "_precedence.yaml"
# A reference to a named list or token: "$" and a name ("$" alone is the dollar sign).
_REF = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$")
# The C build of PyYAML's safe loader when there is one: the rules are read at every worker
# start, and the pure-Python loader takes several times longer over them.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)


@dataclass(frozen=True)
class RuleEntry:
    """One entry of a rule file, with the headlines it must fire on and must not.

    For a pattern (or a weak one), `fires` are headlines that carry the event type through
    this entry, `misses` near-misses that must not carry the type. For a veto, `fires` are
    headlines the veto keeps from carrying the type, `misses` ones it must leave alone.
    """

    file: str
    key: str  # the rule key: type, type + "!" (a veto) or type + "~" (weak)
    index: int  # the entry's index in its section of the file
    patterns: tuple[int, ...]  # indices, in the key's pattern list, of the entry's patterns
    fires: tuple[str, ...]
    misses: tuple[str, ...]
    solved: bool = False  # a veto whose words report the problem over (`solved: true`)

    @property
    def event_type(self) -> str:
        return self.key.rstrip("!~")


@dataclass(frozen=True)
class EventRules:
    """Everything the classifier reads from the rule files."""

    patterns: dict[str, list[Pattern]]  # rule key -> patterns, in file order
    precedence: tuple[tuple[str, str], ...]  # (winner, loser), applied in this order
    opposite: dict[str, str]  # a weak type -> the type whose strong match silences it
    deniable: frozenset[str]  # types a denial before the trigger drops
    dated: frozenset[str]  # types a year right before the trigger makes history ("a 2023 cyberattack")
    lists: dict[str, tuple[str, ...]]  # the shared word lists (the code reads a few)
    version: str
    entries: tuple[RuleEntry, ...] = field(default=())
    # veto key -> indices, in its pattern list, of the patterns of `solved: true` entries
    solved: dict[str, frozenset[int]] = field(default_factory=dict)


# --- inflection ----------------------------------------------------------------------------
_VOWELS = "aeiou"


def _read_irregular(rules_dir: Path) -> dict[str, tuple[str, ...]]:
    data = _read_yaml(rules_dir / INFLECTIONS_FILE)
    return {lemma: tuple(forms) for lemma, forms in data["irregular"].items()}


@cache
def _irregular() -> dict[str, tuple[str, ...]]:
    return _read_irregular(RULES_DIR)


def _doubles_final_consonant(w: str) -> bool:
    """One-syllable verbs ending consonant-vowel-consonant double it: skip -> skipped, flag -> flagging."""
    groups = [c in _VOWELS for c in w]
    syllables = sum(1 for k, v in enumerate(groups) if v and (k == 0 or not groups[k - 1]))
    return syllables == 1 and len(w) >= 3 and w[-1] not in _VOWELS + "wxy" and w[-2] in _VOWELS and w[-3] not in _VOWELS


def inflect(lemma: str, irregular: Mapping[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """Every form of a verb or noun lemma: base, -s, -ed, -ing (regular rules + exceptions)."""
    irregular = _irregular() if irregular is None else irregular
    if lemma in irregular:
        return irregular[lemma]
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


# --- expansion -----------------------------------------------------------------------------
class RuleError(ValueError):
    """A rule file that cannot be read as rules (names the file and the entry)."""


@dataclass
class _Scope:
    lists: dict[str, list[str]]
    tokens: dict[str, Any]
    patterns: dict[str, list[Any]]
    irregular: dict[str, tuple[str, ...]]

    def child(self, data: Mapping[str, Any]) -> _Scope:
        """The scope of one event file: its own lists and tokens over the shared ones."""
        return _Scope(
            {**self.lists, **(data.get("lists") or {})},
            {**self.tokens, **(data.get("tokens") or {})},
            self.patterns,
            self.irregular,
        )


def _words(scope: _Scope, items: Iterable[object]) -> list[str]:
    """A word list with its `$name` references spliced in (order kept)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            # YAML reads a bare on/off/yes/no as a boolean, which would match the word "true".
            raise RuleError(f"word {item!r} in a word list: quote words like 'on' and 'no'")
        word = str(item)
        if _REF.match(word):
            name = word[1:]
            if name not in scope.lists:
                raise RuleError(f"unknown word list {word!r}")
            out.extend(_words(scope, scope.lists[name]))
        else:
            out.append(word)
    return out


def _w(words: Iterable[str]) -> Tok:
    """Any of these words (lower-cased)."""
    return {"LOWER": {"IN": sorted({w.lower() for w in words})}}


def _gap(scope: _Scope, n: int, *, conjunctions: bool = True, parens: bool = False, dots: bool = False) -> Tok:
    """Up to n words that do not cross a clause boundary (nor "and"/"or", if asked).

    parens=True lets the gap cross a parenthesis, for a symbol after a name ("upgrades Snap
    Inc (SNAP) to Buy"); dots=True the full stop of an abbreviation ("sees 2020 adj. EPS").
    """
    boundaries = scope.lists["boundaries"]
    stop = list(boundaries) if conjunctions else [*boundaries, *scope.lists["conjunctions"]]
    if parens:
        stop = [b for b in stop if b not in ("(", ")")]
    if dots:
        stop = [b for b in stop if b != "."]
    return {"ORTH": {"NOT_IN": stop}, "OP": f"{{0,{n}}}"}


def _ph(scope: _Scope, text: str) -> Pattern:
    """A fixed phrase; its hyphens are optional ("class-action" = "class action")."""
    out: Pattern = []
    for word in text.replace("-", " - ").split():
        out.append(_raw(scope, scope.tokens["HYPHEN"]) if word == "-" else {"LOWER": word.lower()})
    return out


def _rating(scope: _Scope, phrases: Sequence[str]) -> list[Pattern]:
    """Rating names as at most three patterns: one-word names, and first/second word sets.

    Crossing the word sets of two-word names admits a few non-ratings ("market buy"), a
    price worth paying for 3 patterns instead of one per name: the Matcher's cost grows
    with the number of patterns.
    """
    words = [p.replace("-", " ").split() for p in phrases]
    single = {w[0] for w in words if len(w) == 1}
    pairs = [w for w in words if len(w) == 2]
    out: list[Pattern] = [[_w(single)]] if single else []
    if pairs:
        out.append([_w(w[0] for w in pairs), _raw(scope, scope.tokens["HYPHEN"]), _w(w[1] for w in pairs)])
    return out


def _raw(scope: _Scope, value: Any) -> Any:
    """A spaCy token spec as written, with `$name` lists spliced into its lists."""
    if isinstance(value, dict):
        return {k: _raw(scope, v) for k, v in value.items()}
    if isinstance(value, list):
        out: list[Any] = []
        for v in value:
            if isinstance(v, str) and _REF.match(v):
                out.extend(_words(scope, [v]))
            else:
                out.append(_raw(scope, v))
        return out
    return value


def _token(scope: _Scope, item: dict[str, Any]) -> Tok:
    """One token: a `w`/`v` word test merged with whatever spaCy attributes sit beside it."""
    rest = {k: v for k, v in item.items() if k not in ("w", "v")}
    tok: Tok = {}
    if "w" in item:
        tok.update(_w(_words(scope, item["w"])))
    if "v" in item:
        tok.update(_w(f for lemma in _words(scope, item["v"]) for f in inflect(lemma, scope.irregular)))
    tok.update(_raw(scope, rest))
    return tok


def _choices(scope: _Scope, item: Any) -> list[Pattern]:
    """The alternatives one item stands for, each a token sequence (most items have one)."""
    if isinstance(item, str):
        if not _REF.match(item) or item[1:] not in scope.tokens:
            raise RuleError(f"unknown token {item!r}")
        named = scope.tokens[item[1:]]
        return _sequence(scope, named if isinstance(named, list) else [named])
    if not isinstance(item, dict):
        raise RuleError(f"a pattern item must be a mapping or a $name, not {item!r}")
    if "gap" in item:
        opts = {k: v for k, v in item.items() if k != "gap"}
        return [[_gap(scope, int(item["gap"]), **opts)]]
    if "list_gap" in item:
        return [[{"ORTH": {"NOT_IN": list(scope.lists["clause_ends"])}, "OP": f"{{0,{int(item['list_gap'])}}}"}]]
    if "ph" in item:
        return [_ph(scope, item["ph"])]
    if "rating" in item:
        return _rating(scope, _words(scope, item["rating"]))
    if "alt" in item:
        return [_ph(scope, o) for o in _words(scope, item["alt"])]
    return [[_token(scope, item)]]


def _sequence(scope: _Scope, items: Sequence[Any]) -> list[Pattern]:
    """Every pattern a list of items expands to: the product of the items' alternatives."""
    out: list[Pattern] = []
    for combo in itertools.product(*(_choices(scope, item) for item in items)):
        out.append([tok for part in combo for tok in part])
    return out


def _entry_patterns(scope: _Scope, entry: Mapping[str, Any]) -> list[Pattern]:
    if "use" in entry:
        name = entry["use"]
        if name not in scope.patterns:
            raise RuleError(f"unknown shared pattern {name!r}")
        return [p for items in scope.patterns[name] for p in _sequence(scope, items)]
    if "match" not in entry:
        raise RuleError("an entry needs `match` or `use`")
    return _sequence(scope, entry["match"])


def _texts(value: object) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in cast(list[object], value)]


# The sections of an event file and the rule key each fills.
_SECTIONS = (("patterns", ""), ("weak", "~"), ("vetoes", "!"))


def rule_files(rules_dir: Path = RULES_DIR) -> list[Path]:
    return sorted(rules_dir.glob("*.yaml"))


def rules_version(files: Sequence[Path]) -> str:
    """The first 8 hex digits of sha256 over the rule files' names and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:8]


def load_rules(rules_dir: Path = RULES_DIR) -> EventRules:
    """Reads and expands every rule file (event files in name order, `_*.yaml` shared)."""
    files = rule_files(rules_dir)
    macros = _read_yaml(rules_dir / MACROS_FILE)
    irregular = _read_irregular(rules_dir)
    shared = _Scope(dict(macros["lists"]), dict(macros["tokens"]), dict(macros["patterns"]), irregular)
    patterns: dict[str, list[Pattern]] = {}
    opposite: dict[str, str] = {}
    deniable: set[str] = set()
    dated: set[str] = set()
    entries: list[RuleEntry] = []
    solved: dict[str, set[int]] = {}
    shared_vetoes: dict[str, str] = {}
    for path in files:
        if path.name.startswith("_"):
            continue
        data = _read_yaml(path)
        event_type = data["type"]
        if path.stem != event_type:
            raise RuleError(f"{path.name}: type {event_type!r} does not match the file name")
        scope = shared.child(data)
        if data.get("deniable"):
            deniable.add(event_type)
        if data.get("dated"):
            dated.add(event_type)
        if data.get("opposite"):
            opposite[event_type] = data["opposite"]
        if data.get("vetoes_of"):
            shared_vetoes[event_type + "!"] = data["vetoes_of"] + "!"
        for section, suffix in _SECTIONS:
            key = event_type + suffix
            for i, entry in enumerate(data.get(section) or ()):
                try:
                    expanded = _entry_patterns(scope, entry)
                except (RuleError, KeyError, TypeError) as e:
                    raise RuleError(f"{path.name}: {section}[{i}]: {e}") from e
                start = len(patterns.setdefault(key, []))
                patterns[key].extend(expanded)
                where = tuple(range(start, start + len(expanded)))
                fires, misses = tuple(_texts(entry.get("fires"))), tuple(_texts(entry.get("misses")))
                is_solved = bool(entry.get("solved", False))
                if is_solved and suffix != "!":
                    raise RuleError(f"{path.name}: {section}[{i}]: only a veto can be `solved`")
                if is_solved:
                    solved.setdefault(key, set()).update(where)
                entries.append(RuleEntry(path.name, key, i, where, fires, misses, is_solved))
    # A type that shares another's vetoes gets the same list, so they cannot drift apart.
    for key, source in shared_vetoes.items():
        if key in patterns:
            raise RuleError(f"{key[:-1]}: `vetoes_of` and its own `vetoes` both given")
        if source not in patterns:
            raise RuleError(f"{key[:-1]}: `vetoes_of` names {source[:-1]!r}, which has no vetoes")
        patterns[key] = patterns[source]
        if source in solved:
            solved[key] = solved[source]
    precedence_data = _read_yaml(rules_dir / PRECEDENCE_FILE)
    precedence = tuple((str(p["winner"]), str(p["loser"])) for p in precedence_data["precedence"])
    return EventRules(
        patterns=patterns,
        precedence=precedence,
        opposite=opposite,
        deniable=frozenset(deniable),
        dated=frozenset(dated),
        lists={name: tuple(_words(shared, words)) for name, words in shared.lists.items()},
        version=rules_version(files),
        entries=tuple(entries),
        solved={key: frozenset(where) for key, where in solved.items()},
    )


@cache
def default_rules() -> EventRules:
    """The shipped rules, read once per process."""
    return load_rules()
