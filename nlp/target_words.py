"""The word lists that read an event's targets: `resources/targets.yaml`, loaded once.

Each list there says what it is for and carries the headlines that show it; the clause reader
(`nlp.target_clauses`, `nlp.target_reader`) and the event recogniser (`nlp.events`) read them
from the one `TargetWords` record built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

WORDS_FILE = Path(__file__).resolve().parent / "resources" / "targets.yaml"


@dataclass(frozen=True)
class TargetWords:
    break_punct: frozenset[str]
    break_words: frozenset[str]
    actor_marks: frozenset[str]
    target_marks: frozenset[str]
    relation_words: frozenset[str]
    phrase_joins: frozenset[str]
    passive_aux: frozenset[str]
    undergo_verbs: frozenset[str]
    perfect_aux: frozenset[str]
    payment_verbs: frozenset[str]
    list_amounts: frozenset[str]
    bring_verbs: frozenset[str]
    verb_only: frozenset[str]
    # Tokens that end a sentence: a question before them asks, what follows is told anew.
    sentence_ends: frozenset[str]
    rating_agencies: frozenset[str]
    # event type -> the institutions that act in it and are never its target (a rating agency in
    # a credit action, an exchange in a delisting)
    never_targets: dict[str, frozenset[str]]
    deal_words: frozenset[str]
    result_words: frozenset[str]
    rating_words: frozenset[str]
    rating_after: frozenset[str]
    share_words: frozenset[str]
    cause_marks: frozenset[str]
    site_words: frozenset[str]
    owner_brings: frozenset[str]
    relative_pronouns: frozenset[str]
    precedent_verbs: frozenset[str]
    legal_places: frozenset[str]
    sector_objects: frozenset[str]
    sector_reach: frozenset[str]
    speech_words: frozenset[str]
    threat_agents: frozenset[str]
    threat_groups: frozenset[str]
    spillover_words: frozenset[str]
    harm_words: frozenset[str]
    served_words: frozenset[str]
    reason_words: frozenset[str]
    examples: tuple[dict[str, Any], ...]


@cache
def target_words(path: Path = WORDS_FILE) -> TargetWords:
    data = yaml.safe_load(Path(path).read_text())
    examples = tuple(ex for section in data.values() for ex in section.get("examples", ()))

    def words(section: str, key: str = "words") -> frozenset[str]:
        found = data[section][key]
        # YAML reads a bare on/off/yes/no as a boolean: a word list must hold only strings.
        if not all(isinstance(w, str) for w in found):
            raise ValueError(f"{path}: {section}.{key} holds a non-string {found!r}: quote words like 'on'")
        return frozenset(w.lower() for w in found)

    # Rating agencies in credit actions, exchanges in delistings: event type -> who acts there.
    never_targets: dict[str, frozenset[str]] = {}
    for section in ("rating_agencies", "exchanges"):
        tickers = frozenset(str(t).upper() for t in data[section]["tickers"])
        for event_type in words(section, "acts_in"):
            never_targets[event_type] = never_targets.get(event_type, frozenset()) | tickers

    return TargetWords(
        break_punct=words("clause_breaks", "punctuation"),
        break_words=words("clause_breaks"),
        actor_marks=words("actor_marks"),
        target_marks=words("target_marks"),
        relation_words=words("relation_words"),
        phrase_joins=words("phrase_joins"),
        passive_aux=words("passive_auxiliaries"),
        undergo_verbs=words("undergo_verbs"),
        perfect_aux=words("perfect_auxiliaries"),
        payment_verbs=words("payment_verbs"),
        list_amounts=words("list_amounts"),
        bring_verbs=words("bring_verbs"),
        verb_only=words("verb_only"),
        sentence_ends=words("sentence_ends", "tokens"),
        rating_agencies=frozenset(str(t).upper() for t in data["rating_agencies"]["tickers"]),
        never_targets=never_targets,
        deal_words=words("deal_words"),
        result_words=words("result_words"),
        rating_words=words("rating_words"),
        rating_after=words("rating_words", "after"),
        share_words=words("share_words"),
        cause_marks=words("cause_marks"),
        site_words=words("site_words"),
        owner_brings=words("owner_brings", "types"),
        relative_pronouns=words("relative_pronouns"),
        precedent_verbs=words("precedent_verbs"),
        legal_places=words("legal_places"),
        sector_objects=words("sector_objects"),
        sector_reach=words("sector_objects", "reach"),
        speech_words=words("threat_reports", "speech"),
        threat_agents=words("threat_reports", "agents"),
        threat_groups=words("threat_reports", "groups"),
        spillover_words=words("spillover_words"),
        harm_words=words("harm_words"),
        served_words=words("relation_words", "served"),
        reason_words=words("reason_words"),
        examples=examples,
    )
