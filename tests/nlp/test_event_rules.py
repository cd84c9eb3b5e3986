"""The rule files' own examples: every entry fires on its `fires` headlines and not on its `misses`.

The examples live beside the patterns in `nlp/rules/*.yaml`; here every one is run through
the annotator's pipeline (NER and company linker, which `$LINKED` patterns read), and every
pattern must match at least one of them, so a pattern nothing exercises is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from spacy.matcher import Matcher

from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.event_rules import RULES_DIR, RuleEntry, RuleError, default_rules, load_rules, rule_files, rules_version
from nlp.events import EventClassifier
from nlp.taxonomy import PROBLEM_SOLVED

RULES = default_rules()


@dataclass(frozen=True)
class _Read:
    types: frozenset[str]  # the event types the annotator reports
    patterns: frozenset[str]  # every rule pattern that matches, as "key#index" (vetoes and losers too)


def _cases() -> list[tuple[RuleEntry, str, bool]]:
    return [
        (e, text, fires)
        for e in RULES.entries
        for fires, texts in ((True, e.fires), (False, e.misses))
        for text in texts
    ]


CASES = _cases()


def _id(entry: RuleEntry, text: str, fires: bool) -> str:
    return f"{entry.file}:{entry.key}[{entry.index}]:{'fires' if fires else 'misses'}:{text[:40]}"


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


@pytest.fixture(scope="module")
def read(annotator: SpacyAnnotator) -> dict[str, _Read]:
    """Every example headline, read once: the types reported and the patterns that match."""
    matcher = Matcher(annotator.nlp.vocab, validate=False)
    for key, patterns in RULES.patterns.items():
        for i, pattern in enumerate(patterns):
            matcher.add(f"{key}#{i}", [pattern])
    strings = annotator.nlp.vocab.strings
    texts = sorted({text for _, text, _ in CASES})
    out = {}
    for text, doc in zip(texts, annotator.nlp.pipe(texts), strict=True):
        annotator.linker.link(doc)
        types = frozenset(e.type for e in annotator.events.classify(doc))
        out[text] = _Read(types, frozenset(strings[m] for m, _, _ in matcher(doc)))
    return out


def test_every_entry_has_a_headline_it_fires_on_and_a_near_miss() -> None:
    bare = [f"{e.file}:{e.key}[{e.index}]" for e in RULES.entries if not e.fires or not e.misses]
    assert not bare, f"entries without `fires` or `misses`: {bare}"


@pytest.mark.parametrize(("entry", "text", "fires"), CASES, ids=[_id(*c) for c in CASES])
def test_rule_example(read: dict[str, _Read], entry: RuleEntry, text: str, fires: bool) -> None:
    got = read[text]
    own = {f"{entry.key}#{i}" for i in entry.patterns}
    veto = entry.key.endswith("!")
    if fires:
        assert own & got.patterns, f"no pattern of the entry matches {text!r}"
    # A pattern's headline carries the type and its near-miss does not; a veto's headline
    # does not carry it (the veto keeps it out) and its near-miss does.
    reported = entry.event_type in got.types
    assert reported == (fires != veto), f"{entry.event_type} {'not ' if not reported else ''}reported on {text!r}"
    if entry.solved and fires:
        # A solved veto reports the problem over in place of the type it keeps out.
        assert PROBLEM_SOLVED in got.types, f"no problem_solved on {text!r}"


def test_every_pattern_fires_on_some_example(read: dict[str, _Read]) -> None:
    """Reports the patterns no example exercises (a dead pattern, or one whose example is missing)."""
    fired = set().union(*(r.patterns for r in read.values()))
    never = [f"{key}#{i}" for key, patterns in RULES.patterns.items() for i in range(len(patterns))]
    never = [name for name in never if name not in fired]
    assert not never, f"{len(never)} patterns never fire on any example: {never}"


# --- the loader ------------------------------------------------------------------------------
def _rules_dir(tmp_path: Path, event_file: str) -> Path:
    """A rules directory with the shipped shared files and one event file of the test's own."""
    for name in ("_macros.yaml", "_inflections.yaml"):
        (tmp_path / name).write_bytes((RULES_DIR / name).read_bytes())
    (tmp_path / "_precedence.yaml").write_text("precedence: []\n")
    (tmp_path / "downgrade.yaml").write_text(event_file)
    return tmp_path


def test_macros_expand_to_spacy_patterns(tmp_path: Path) -> None:
    rules = load_rules(
        _rules_dir(
            tmp_path,
            "type: downgrade\npatterns:\n"
            "  - match: [{v: [cut]}, {gap: 2}, {w: [To]}, {rating: [sell, equal weight]}]\n"
            "  - match: [{ph: class-action}, $LINKED]\n"
            "vetoes:\n  - match: [{w: [$quarters]}]\n",
        )
    )
    hyphen = {"ORTH": "-", "OP": "?"}
    gap = {"ORTH": {"NOT_IN": list(rules.lists["boundaries"])}, "OP": "{0,2}"}
    cut = {"LOWER": {"IN": ["cut", "cuts", "cutting"]}}
    assert rules.patterns["downgrade"] == [
        [cut, gap, {"LOWER": {"IN": ["to"]}}, {"LOWER": {"IN": ["sell"]}}],
        [cut, gap, {"LOWER": {"IN": ["to"]}}, {"LOWER": {"IN": ["equal"]}}, hyphen, {"LOWER": {"IN": ["weight"]}}],
        [{"LOWER": "class"}, hyphen, {"LOWER": "action"}, {"ENT_KB_ID": {"REGEX": "."}}],
    ]
    assert rules.patterns["downgrade!"] == [[{"LOWER": {"IN": ["q1", "q2", "q3", "q4"]}}]]
    assert [(e.key, e.patterns) for e in rules.entries] == [
        ("downgrade", (0, 1)),
        ("downgrade", (2,)),
        ("downgrade!", (0,)),
    ]


def test_a_solved_veto_is_marked_by_its_patterns(tmp_path: Path) -> None:
    rules = load_rules(
        _rules_dir(
            tmp_path,
            "type: downgrade\npatterns:\n  - match: [{w: [cut]}]\n"
            "vetoes:\n  - match: [{w: [q1]}]\n  - match: [{alt: [called off, reversed]}]\n    solved: true\n",
        )
    )
    assert rules.solved == {"downgrade!": frozenset({1, 2})}
    assert [e.solved for e in rules.entries] == [False, False, True]


def test_only_a_veto_can_be_solved(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"downgrade.yaml: patterns\[0\]: only a veto can be `solved`"):
        load_rules(_rules_dir(tmp_path, "type: downgrade\npatterns:\n  - match: [{w: [cut]}]\n    solved: true\n"))


def test_a_type_sharing_vetoes_gets_the_same_list() -> None:
    assert RULES.patterns["guidance_raise!"] is RULES.patterns["guidance_cut!"]
    assert RULES.patterns["price_target_raise!"] is RULES.patterns["price_target_cut!"]


def test_an_unknown_name_says_where(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r"downgrade.yaml: patterns\[0\]: unknown token '\$NOPE'"):
        load_rules(_rules_dir(tmp_path, "type: downgrade\npatterns:\n  - match: [$NOPE]\n"))


def test_version_is_a_hash_of_the_rule_files(tmp_path: Path) -> None:
    assert RULES.version == rules_version(rule_files())
    assert len(RULES.version) == 8 and int(RULES.version, 16) >= 0
    first = load_rules(_rules_dir(tmp_path, "type: downgrade\npatterns:\n  - match: [{w: [cut]}]\n")).version
    second = load_rules(_rules_dir(tmp_path, "type: downgrade\npatterns:\n  - match: [{w: [cuts]}]\n")).version
    assert first != second


def test_annotator_version_carries_the_rules_hash(annotator: SpacyAnnotator) -> None:
    assert annotator.version.endswith(f"+rules{RULES.version}")
    assert annotator.events.version == RULES.version


def test_rule_files_are_plain_yaml_with_known_sections() -> None:
    allowed = {"type", "deniable", "dated", "opposite", "vetoes_of", "lists", "tokens", "patterns", "weak", "vetoes"}
    for path in rule_files():
        if path.name.startswith("_"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= allowed, (path.name, set(data) - allowed)


def test_classifier_counts_the_loaded_patterns(annotator: SpacyAnnotator) -> None:
    assert EventClassifier(annotator.nlp.vocab, RULES).n_patterns == sum(map(len, RULES.patterns.values()))
