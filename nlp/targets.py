"""Event targets: which linked company an event happens to, and which one acts on it.

"Moody's downgrades Boeing to junk" is a credit downgrade of Boeing by Moody's, not of both.
An event's role in the taxonomy (`nlp.taxonomy.Role`) says how to read it:

- `self` events happen to the company that is the subject of the trigger's clause, or whose
  name sits right before a noun trigger ("GM recall", "Intel's guidance cut");
- `acted` events are done by one party to another: with an active verb the subject is the
  actor and the object the target ("Pfizer sues Moderna"); with a passive one the subject is
  the target and a company after "by"/"at"/"from" the actor ("Netflix downgraded at Wells
  Fargo"); with a noun trigger, a company after "against"/"of" is the target and one named
  right before the noun is the actor when the clause has another subject ("Boeing falls after
  Jefferies downgrade");
- `deal` events happen to every party named in the deal's clause; an active buyer is also
  recorded as the actor.

Clauses are cut at the punctuation and words of `resources/targets.yaml` and at a comma that
a verb follows ("Bernstein upgrades A, downgrades B"), so "X beats; Y misses" gives each
company its own event. The voice and part of speech come from spaCy's tagger and dependency
parse (run by the annotator on texts that name a company and carry an event). A clause with an
event but no company of its own takes the subject of the clause before it ("$TAP: Barclays
cuts to Equal Weight": TAP is the target, Barclays the actor).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from itertools import dropwhile
from pathlib import Path
from typing import Any

import yaml
from spacy.tokens import Doc, Token

from nlp.company_words import company_words
from nlp.taxonomy import SPARED, family, role

WORDS_FILE = Path(__file__).resolve().parent / "resources" / "targets.yaml"
_POSSESSIVE = ("'s", "’s")
# Tokens that may sit between the names of one list of companies ("Ford, GM and Stellantis").
_LIST_GLUE = frozenset({",", "and", "&", "or", "/", *_POSSESSIVE, "both", "peers", "rival"})
# Tokens allowed between a company and the noun trigger it owns ("GM's massive recall").
_ADJACENCY = 3
# Tokens after a company's name in which a site word makes it a place ("Valero's Port Arthur refinery").
_SITE_REACH = 4


@dataclass(frozen=True)
class Mention:
    """A linked company in the Doc: its ticker and token span [start, end)."""

    ticker: str
    start: int
    end: int


@dataclass(frozen=True)
class Attribution:
    targets: tuple[str, ...]
    actor: str | None


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
    legal_places: frozenset[str]
    sector_objects: frozenset[str]
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
        legal_places=words("legal_places"),
        sector_objects=words("sector_objects"),
        speech_words=words("threat_reports", "speech"),
        threat_agents=words("threat_reports", "agents"),
        threat_groups=words("threat_reports", "groups"),
        spillover_words=words("spillover_words"),
        harm_words=words("harm_words"),
        served_words=words("relation_words", "served"),
        reason_words=words("reason_words"),
        examples=examples,
    )


# Entity kinds a name after an adjective trigger can be that own no event.
_NOT_OWNERS = frozenset({"DATE", "TIME", "GPE", "LOC", "NORP", "FAC", "CARDINAL", "ORDINAL", "PERCENT", "MONEY"})


class _Reader:
    """One Doc's clauses and mentions, and the questions the roles ask of them."""

    def __init__(self, doc: Doc, mentions: Sequence[Mention], words: TargetWords) -> None:
        self.doc = doc
        self.words = words
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.tagged = doc.has_annotation("TAG")
        self.company_at = {i: m for m in self.mentions for i in range(m.start, m.end)}
        self.segment, self.subordinate = self._segments()

    # -- clauses ----------------------------------------------------------------------
    def _is_verb(self, tok: Token) -> bool:
        if not self.tagged or tok.i in self.company_at or not tok.tag_.startswith("VB"):
            return False
        # "cut to junk", "Cut to Hold From Buy": the tagger reads a rating word after "to" at a
        # clause end, or before where the rating came from, who gave it or why, as a verb.
        nxt = tok.nbor(1) if tok.i + 1 < len(self.doc) else None
        prev = tok.nbor(-1) if tok.i > 0 else None
        rating = tok.lower_ in self.words.rating_words and nxt is not None and nxt.lower_ in self.words.rating_after
        return not (
            tok.tag_ == "VB" and prev is not None and prev.lower_ == "to" and (nxt is None or nxt.is_punct or rating)
        )

    def _is_trigger_verb(self, tok: Token) -> bool:
        """A trigger word used as a verb, including the headline form the tagger reads as a
        plural noun right after a company name ("Mizuho cuts Snowflake target") or right before
        the company it acts on ("Mexico Orders Vulcan Materials"); never a company's own word."""
        if self._is_verb(tok) or (tok.lower_ in self.words.verb_only and tok.i not in self.company_at):
            return True
        # A Title Case gerund right after a comma opens a participle clause, whatever the tagger
        # says: "Walmart Picks Capital One to Issue Its Card, Ending Synchrony Partnership".
        if tok.i > 0 and self.doc[tok.i - 1].text == "," and tok.is_title and tok.lower_.endswith("ing"):
            return tok.i not in self.company_at
        if not (self.tagged and tok.tag_ in ("NNS", "NNPS") and tok.lower_.endswith("s")) or tok.i in self.company_at:
            return False
        if tok.i - 1 in self.company_at:
            return self.doc[tok.i - 1].lower_ not in _POSSESSIVE
        # Or right before the company it acts on, after a name the linker did not link:
        # "Mexico Orders Vulcan Materials to Halt Quarrying".
        prev = self.doc[tok.i - 1] if tok.i > 0 else None
        return prev is not None and prev.tag_ in ("NNP", "NNPS") and tok.i + 1 in self.company_at

    def _segments(self) -> tuple[list[int], dict[int, bool]]:
        seg, current = [], 0
        subordinate = {0: False}
        doc, w = self.doc, self.words
        for tok in doc:
            i = tok.i
            prev = doc[i - 1] if i > 0 else None
            in_name = i in self.company_at and self.company_at[i].start < i
            if prev is not None and not in_name:
                if prev.text in w.break_punct or (prev.text == "," and self._comma_opens_clause(i)):
                    current += 1
                    subordinate[current] = False
                elif tok.lower_ in w.break_words and i not in self.company_at and prev.text not in w.break_punct:
                    current += 1
                    subordinate[current] = True
            seg.append(current)
        return seg, subordinate

    def _comma_opens_clause(self, i: int) -> bool:
        """After a comma at i - 1: does a verb come before the next company (a new clause)?"""
        for tok in self.doc[i:]:
            if tok.i in self.company_at or tok.text in self.words.break_punct or tok.text == ",":
                return False
            if self._is_verb(tok):
                return True
        return False

    def in_segment(self, seg: int) -> list[Mention]:
        return [m for m in self.mentions if self.segment[m.start] == seg]

    # -- marks ----------------------------------------------------------------------
    def mark(self, m: Mention) -> str | None:
        """'actor' or 'target' when a marking word comes right before the company; 'related'
        when a relation word follows it ("Apple supplier Foxconn"): it only qualifies another."""
        if self.related(m):
            return "related"
        j = m.start - 1
        while j >= 0 and self.doc[j].lower_ in ("the", "rival", "peer"):
            j -= 1
        if j < 0:
            return None
        word = self.doc[j].lower_
        # Two-word marks first: "away from" turns the actor's "from" round.
        if j > 0 and f"{self.doc[j - 1].lower_} {word}" in self.words.target_marks:
            return "target"
        if word in self.words.actor_marks:
            return "actor"
        if word in self.words.target_marks:
            return "target"
        return None

    def site_after(self, m: Mention) -> bool:
        """Does a site follow the company's name ("Valero's Port Arthur refinery", "Catalent fill
        plant")? Then the company names a place, not a cause or the one a matter is about."""
        return any(t.lower_ in self.words.site_words for t in self.doc[m.end : m.end + _SITE_REACH])

    def legal_place(self, m: Mention) -> bool:
        """Is `m` right after a word that places a legal matter ("gaps at Huntington")? Not when a
        site follows the name: "rejects Eylea over inspection findings at Catalent fill plant"
        names where the problem was found, not whom the rejection is of."""
        return not self.site_after(m) and m.start > 0 and self.doc[m.start - 1].lower_ in self.words.legal_places

    def related(self, m: Mention) -> bool:
        if m.end >= len(self.doc) or self.doc[m.end].lower_ not in self.words.relation_words:
            return False
        # "Verizon customers report widespread outage": the company's own customers, with no party
        # named after them, are where its trouble shows, not another company it qualifies.
        if self.doc[m.end].lower_ in self.words.served_words:
            nxt = m.end + 1
            return nxt < len(self.doc) and (nxt in self.company_at or self.doc[nxt].tag_ in ("NNP", "NNPS"))
        return True

    def group_before(self, candidates: list[Mention], anchor: int) -> list[Mention]:
        """The companies nearest before `anchor` that form one list (the clause's subject)."""
        group: list[Mention] = []
        boundary = anchor
        for m in reversed([c for c in candidates if c.end <= anchor]):
            between = [t for t in self.doc[m.end : boundary] if t.i not in self.company_at]
            if group and not all(t.lower_ in _LIST_GLUE for t in between):
                break
            group.insert(0, m)
            boundary = m.start
        return group

    def group_after(self, candidates: list[Mention], anchor: int) -> list[Mention]:
        """The companies nearest after `anchor` that form one list (the object)."""
        group: list[Mention] = []
        boundary = anchor
        for m in [c for c in candidates if c.start >= anchor]:
            between = [t for t in self.doc[boundary : m.start] if t.i not in self.company_at]
            if group and self.possessive(group[-1]):
                # "UnitedHealth's Optum Rx, CVS's Caremark and Cigna's Express Scripts": the unit
                # named after a company's possessive belongs to the list's item.
                between = list(dropwhile(lambda t: t.lower_ in _POSSESSIVE or t.is_title or t.is_upper, between))
            if group:
                # "fines Apple 500 million euros, Meta 200 million euros": each item's sum.
                between = [t for t in between if not (t.like_num or t.lower_ in self.words.list_amounts)]
            if group and not all(t.lower_ in _LIST_GLUE for t in between):
                break
            group.append(m)
            boundary = m.end
        return group

    def unjoined_after(self, candidates: list[Mention], anchor: int) -> list[Mention]:
        """The companies after `anchor`, unless a joining word comes before the first of them
        ("plant fire and loss of Apple orders": Apple belongs to the loss, not to the fire)."""
        first = next((m for m in candidates if m.start > anchor), None)
        if first is None:
            return []
        between = self.doc[anchor + 1 : first.start]
        if any(t.lower_ in self.words.phrase_joins and t.i not in self.company_at for t in between):
            return []
        return candidates

    def owns_cause(self, m: Mention, anchor: int) -> bool:
        """Is `m`, after the trigger at `anchor`, the owner of a cause named after a verb or a
        cause word: in the possessive ("tumble 17% on McDonald's supplier report") or right
        after the cause word ("now down 22% on Amazon loss")?"""
        # A site named after the company is the place of the event, not a cause: "Black smoke
        # rises over Valero's Port Arthur refinery".
        if self.site_after(m):
            return False
        between = self.doc[anchor + 1 : m.start]
        # Right after the cause word, the company names a noun's owner ("on Amazon loss"), not the
        # one a verb acts on ("NTSB calls on Boeing to redesign").
        nxt = self.doc[m.end] if m.end < len(self.doc) else None
        named_cause = len(between) > 0 and between[-1].lower_ in self.words.cause_marks
        owner = self.possessive(m) or (named_cause and nxt is not None and nxt.tag_.startswith("NN"))
        return owner and any(
            self._is_verb(t) or t.lower_ in self.words.cause_marks for t in between if t.i not in self.company_at
        )

    def sector_wide(self, anchor: int) -> bool:
        """Does a verb after the trigger act on a plural group in its clause ("as short report
        rattles power-chip stocks")? Then its news is the sector's, not an earlier clause's."""
        return self._acts_on(anchor, self.words.sector_objects)

    def _acts_on(self, anchor: int, group: frozenset[str]) -> bool:
        """Is a word of `group` after a verb that follows the trigger, in its clause?"""
        seg = self.segment[anchor]
        verb_seen = False
        for t in self.doc[anchor + 1 :]:
            if self.segment[t.i] != seg:
                break
            # A participle inside a compound is no verb acting ("from JPMorgan-led lenders").
            verb_seen = verb_seen or (self._is_verb(t) and self.doc[t.i - 1].text != "-")
            if verb_seen and t.lower_ in group:
                return True
        return False

    def second_hand(self, anchor: int) -> bool:
        """Does its clause say before the trigger that the news reaches others only second-hand
        ("as investors see limited read-through from Gulf rig fire")? Then it is not the news
        of the company named before."""
        seg = self.segment[anchor]
        before = "".join(t.text_with_ws for t in self.doc[:anchor] if self.segment[t.i] == seg).lower()
        return any(phrase in before for phrase in self.words.spillover_words)

    def reported_threat(self, anchor: int) -> bool:
        """Does the clause of `anchor` only tell, after a word of speech, of attackers turning on a
        group of others ("Google Says Scattered Spider Hackers Have Turned Their Sights on U.S.
        Insurers")?"""
        seg = self.segment[anchor]
        if self.doc[anchor].lower_ not in self.words.threat_agents:
            return False
        spoken = any(self.segment[t.i] == seg and t.lower_ in self.words.speech_words for t in self.doc[:anchor])
        return spoken and self._acts_on(anchor, self.words.threat_groups)

    def mentions_deal(self, anchor: int, seg: int) -> bool:
        return any(t.lower_ in self.words.deal_words for t in self.doc[anchor:] if self.segment[t.i] == seg)

    def possessive(self, m: Mention) -> bool:
        """ "Macy's outlook", "Kohl's downgrade": the company owns what follows."""
        last = self.doc[m.end - 1].lower_
        nxt = self.doc[m.end].lower_ if m.end < len(self.doc) else ""
        return last in _POSSESSIVE or nxt in (*_POSSESSIVE, "'")

    def owner(self, candidates: list[Mention], anchor: int) -> list[Mention]:
        """Companies named right before a noun trigger: "GM recall", "Intel's guidance cut"."""
        before = [m for m in candidates if m.end <= anchor and anchor - m.end <= _ADJACENCY]
        if not before:
            return []
        nearest = before[-1]
        # Not across a verb, a clause break ("Teck Rise as Grasberg Outage ...") or an
        # organisation of its own that the linker did not link (Grasberg owns the outage).
        between = self.doc[nearest.end : anchor]
        if any(
            self._is_verb(t)
            or t.text in (",", ";")
            or t.lower_ in self.words.break_words
            or (t.ent_type_ == "ORG" and t.i not in self.company_at)
            for t in between
        ):
            return []
        if self.brought(nearest, anchor):
            return []
        return self.group_before(candidates, nearest.end)

    def qualified(self, tokens: Sequence[int]) -> Mention | bool:
        """A trigger that is an adjective before a name ("exposure to bankrupt Harlow") is that
        name's: the linked company there, True for a name not linked, False for no name."""
        last = max(tokens)
        if not self.tagged or last + 1 >= len(self.doc):
            return False
        if self.doc[last].tag_ == "VBN" and min(tokens) == last:
            # A participle used as an adjective, after neither a name nor an auxiliary, is the
            # linked company's after it: "says recalled Generac generators have been pulled".
            prev = self.doc[last - 1] if last else None
            attributive = prev is None or (prev.i not in self.company_at and not self._auxiliary(prev))
            return self.company_at.get(last + 1, False) if attributive else False
        if self.doc[last].tag_ != "JJ":
            return False
        if last + 1 in self.company_at:
            return self.company_at[last + 1]
        # A proper name, but not a date, a place or a number ("declared insolvent Friday").
        nxt = self.doc[last + 1]
        return nxt.tag_ in ("NNP", "NNPS") and nxt.ent_type_ not in _NOT_OWNERS

    def owned_elsewhere(self, tokens: Sequence[int]) -> bool:
        """Is the noun trigger owned by an organisation the linker did not link ("FuelCell's
        warning puts peers Plug Power in focus", "secure despite Dow outage", "exposure to
        bankrupt Harlow")? Its event is that organisation's, so no linked company of the clause
        takes it."""
        if self.qualified(tokens) is True:
            return True
        anchor, verb = self.anchor(tokens)
        if verb is not None or self.owner(self.mentions, anchor):
            return False
        first = min(tokens)
        owner_at = [first - 1]
        if first >= 2 and self.doc[first - 1].lower_ in _POSSESSIVE:
            owner_at.append(first - 2)
        # A match that starts with the owner's name: "FuelCell's warning".
        owner_at += [i for i in tokens if i + 1 < len(self.doc) and self.doc[i + 1].lower_ in _POSSESSIVE]
        return any(
            0 <= i < anchor + 1
            and self.doc[i].ent_type_ == "ORG"
            and not self.doc[i].ent_kb_id_
            and i not in self.company_at
            and not self._product_of_company(i)
            and not self._reason_run_into(i, first)
            for i in owner_at
        )

    def _reason_run_into(self, i: int, first: int) -> bool:
        """Did the tagger run a word of reason into the trigger's name, with no name of its own
        before the trigger ("Citing 'Security Incident'"), unlike "Grasberg Outage"?"""
        if not (i < first and all(self.doc[j].ent_iob_ == "I" for j in range(i + 1, first + 1))):
            return False
        start = i
        while start > 0 and self.doc[start].ent_iob_ == "I":
            start -= 1
        words = [t for t in self.doc[start:first] if t.is_alpha]
        return all(t.lower_ in self.words.reason_words for t in words)

    def _product_of_company(self, i: int) -> bool:
        """Is the name at `i` a linked company's product or unit, named in its possessive right
        before ("Amgen's Obesity Shot MariTide Misses Main Goal")?"""
        return any(self.possessive(m) and 0 <= i - m.end <= _ADJACENCY for m in self.mentions if m.end <= i)

    def brought(self, subject: Mention, anchor: int) -> bool:
        """Does a bring verb follow `subject` right away, before the noun trigger ("Amazon files
        suit")? Not when the company only qualifies the subject ("Walmart employee's family files")."""
        return subject.end < anchor and self.doc[subject.end].lower_ in self.words.bring_verbs

    def words_before(self, anchor: int) -> bool:
        """Does the clause of `anchor` have a word before it (not punctuation or the word that
        opens the clause: "while paring the target" has none)?"""
        seg = self.segment[anchor]
        return any(
            self.segment[t.i] == seg and not t.is_punct and t.lower_ not in self.words.break_words
            for t in self.doc[:anchor]
        )

    def carried_subject(self, seg: int, exclude: set[str], *, acting: bool = False) -> list[Mention]:
        """The subject of the nearest earlier clause that names a company (not `exclude`).

        `acting`: the company is wanted as the one who acts again, so it must open its clause; a
        name not linked before it is the subject ("Kestrel Research discloses short position in
        Globe Life, alleges fraud": Globe Life does not allege)."""
        for earlier in range(seg - 1, -1, -1):
            found = [m for m in self.in_segment(earlier) if m.ticker not in exclude and self.mark(m) != "actor"]
            if found:
                if acting and self._name_before(earlier, found[0].start):
                    return []
                return self.group_after(found, found[0].start)
        return []

    def short_reference(self, seg: int, anchor: int) -> Mention | None:
        """A company named again by the first word of its name, right before "shares", in the
        clause of `anchor`: "Novo shares drop 7%" after "Novo Nordisk's Wegovy"."""
        for t in self.doc[:anchor]:
            nxt = self.doc[t.i + 1] if t.i + 1 < len(self.doc) else None
            if self.segment[t.i] != seg or t.i in self.company_at or nxt is None:
                continue
            if nxt.lower_ not in self.words.share_words or len(t.text) < 3 or not t.text[0].isupper():
                continue
            if t.text in company_words().generic_first_words:
                continue  # "Bank stocks slammed": a sector, not Bank of America
            named = [m for m in self.mentions if m.end - m.start > 1 and self.doc[m.start].text == t.text]
            if len({m.ticker for m in named}) == 1:
                return named[0]
        return None

    def unlinked_shares(self, seg: int, anchor: int) -> bool:
        """Does a proper name the linker did not link stand right before "shares" in the clause of
        `anchor`? Those are another company's shares: "Jury finds Qualcomm did not breach Arm
        license; Arm shares fall 4%" (the fall is not Qualcomm's)."""
        return self.tagged and any(
            self.segment[t.i] == seg
            and t.tag_ in ("NNP", "NNPS")
            and t.i not in self.company_at
            and t.i + 1 < anchor
            and self.doc[t.i + 1].lower_ in self.words.share_words
            for t in self.doc[:anchor]
        )

    def first_of(self, seg: int) -> int:
        """The index of the first token of clause `seg`."""
        return self.segment.index(seg)

    def harmed_next(self, seg: int) -> list[Mention]:
        """The companies of the clause after `seg` when a word of harm opens it, after a comma: an
        act's victims named after it ("Best Buy to cut shelf space for robot vacuums, hitting
        iRobot and GoPro")."""
        if seg + 1 not in self.segment:
            return []
        first = self.first_of(seg + 1)
        if first < 1 or self.doc[first - 1].text != "," or self.doc[first].lower_ not in self.words.harm_words:
            return []
        return self.group_after(self.in_segment(seg + 1), first)

    def cited_for(self, seg: int) -> list[Mention]:
        """The company acted on in the clause before one opened by a word of reason: "Evercore ISI
        downgrades Autodesk to In Line, citing overhang from probe" (the probe is Autodesk's, not
        the broker's). Empty unless that clause names one company after another."""
        first = self.first_of(seg)
        if seg == 0 or self.doc[first].lower_ not in self.words.reason_words:
            return []
        earlier = self.in_segment(seg - 1)
        if len({m.ticker for m in earlier}) < 2:
            return []
        return [earlier[-1]]

    def asked_before(self, m: Mention, anchor: int) -> bool:
        """Is `m` in a question that ends before `anchor`?"""
        end = next((t.i for t in self.doc[m.end :] if t.text in (".", "!", "?")), None)
        return end is not None and end < anchor and self.doc[end].text == "?"

    def opens_with_cause(self, seg: int) -> bool:
        """Is clause `seg` opened by a word that gives a cause ("after", "on", "amid")?"""
        first = self.first_of(seg)
        return self.doc[first].lower_ in self.words.cause_marks

    def antecedent(self, seg: int) -> Mention | None:
        """The company a relative clause is about: the one right before ", which" that opens
        clause `seg` ("Boeing strike hits supplier Spirit AeroSystems, which plans to furlough
        700 workers": the furloughs are Spirit's, not Boeing's)."""
        first = self.first_of(seg)
        if first < 2 or self.doc[first].lower_ not in self.words.relative_pronouns:
            return None
        if self.doc[first - 1].text != ",":
            return None
        return self.company_at.get(first - 2)

    def _name_before(self, seg: int, start: int) -> bool:
        """Is a proper name the linker did not link in clause `seg` before token `start`?"""
        return self.tagged and any(
            self.segment[t.i] == seg and t.tag_ in ("NNP", "NNPS") and t.i not in self.company_at
            for t in self.doc[:start]
        )

    # -- the trigger ------------------------------------------------------------------
    def anchor(self, tokens: Sequence[int]) -> tuple[int, Token | None]:
        """(the token the roles are read around, the trigger's verb when it has one).

        The verb may sit in a gap of the match ("outlook revised to negative").
        """
        span = range(min(tokens), max(tokens) + 1)
        # A word the tagger reads as a verb comes before the headline form of a plural noun:
        # "Dell, HPE targets trimmed" is read around "trimmed" (HPE's targets are not a verb).
        verbs = (
            [i for i in span if self._is_verb(self.doc[i])]
            or [i for i in span if self._is_trigger_verb(self.doc[i])]
            or self._title_infinitive(min(tokens))
        )
        if verbs and verbs[0] > 0 and self.doc[verbs[0] - 1].lower_ == "to":
            # An infinitive is the complement of a verb before it in the match, which the tagger
            # may read as a plural noun in a Title Case headline ("Orders Vulcan to Halt").
            earlier = [i for i in span if i < verbs[0] - 1 and self._is_trigger_verb(self.doc[i])]
            verbs = earlier[:1] + verbs
        # An auxiliary in the gap is not the verb when one follows it: "license will not be
        # renewed" is read around "renewed" (a passive), not "be".
        main = [i for i in verbs if not self._auxiliary(self.doc[i])] or verbs
        if main:
            return main[0], self.doc[main[0]]
        words = [i for i in tokens if i not in self.company_at]
        return (words[0] if words else tokens[0]), None

    def _title_infinitive(self, first: int) -> list[int]:
        """[first] when a match opens on a capitalised word right after "to" that the tagger read
        as a noun: the infinitive of a Title Case headline ("Amazon to End Partnership With
        Affirm", "Pentagon to Cancel Boeing Tanker Contract")."""
        tok = self.doc[first]
        if not self.tagged or first == 0 or first in self.company_at or self.doc[first - 1].lower_ != "to":
            return []
        # Not a participle or a gerund: "Loans Tied to Alleged Borrower Fraud" is no infinitive.
        infinitive = not tok.lower_.endswith(("ed", "ing"))
        return [first] if infinitive and tok.text[:1].isupper() and tok.tag_ in ("NN", "NNP") else []

    def _auxiliary(self, tok: Token) -> bool:
        return (
            tok.lower_ in self.words.passive_aux
            or tok.lower_ in self.words.perfect_aux
            or tok.dep_ in ("aux", "auxpass")
        )

    def passive(self, verb: Token, after: list[Mention]) -> bool:
        if verb.lower_ in self.words.undergo_verbs:
            return True  # "Uber loses license": read as "Uber is stripped of its license"
        prev = self.doc[verb.i - 1].lower_ if verb.i > 0 else ""
        if prev in self.words.perfect_aux or verb.lower_.endswith("ing"):
            return False  # "has downgraded", "is suing": active
        if prev in self.words.passive_aux or any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children):
            return True
        if verb.tag_ not in ("VBN", "VBD") or not _participle(verb.lower_):
            return False
        # Headline passives drop the auxiliary ("Netflix downgraded at Wells Fargo"): a participle
        # with no company object right after it.
        return not any(m.start <= verb.i + 2 and self.mark(m) is None for m in after)


# Participles that do not end in -ed: "Tesla cut to sell", "Boeing hit with lawsuit".
_IRREGULAR_PARTICIPLES = frozenset(
    {"cut", "hit", "put", "set", "sued", "shut", "taken", "given", "seen", "won", "lost"}
)


def _participle(word: str) -> bool:
    return word.endswith("ed") or word in _IRREGULAR_PARTICIPLES


# Events settled by paying: the payer is the target ("X ordered to pay Y").
_PAID_TYPES = frozenset({"lawsuit", "fine"})


def _payer_and_payee(reader: _Reader) -> tuple[list[str], str | None] | None:
    """(the payer and its list, the company paid) when a payment verb has a company before it."""
    for tok in reader.doc:
        if tok.lower_ not in reader.words.payment_verbs:
            continue
        clause = reader.in_segment(reader.segment[tok.i])
        payers = reader.group_before([m for m in clause if m.end <= tok.i], tok.i)
        if not payers:
            continue
        payee = next((m.ticker for m in clause if m.start in (tok.i + 1, tok.i + 2)), None)
        return [m.ticker for m in payers if m.ticker != payee], payee
    return None


def attribute(
    doc: Doc,
    events: Sequence[tuple[str, Sequence[Sequence[int]]]],
    mentions: Sequence[Mention],
    words: TargetWords | None = None,
) -> list[Attribution]:
    """Targets and actor of each (event type, token indices of each of its matches) of one Doc.

    The clauses and mentions are read once per Doc, whatever its number of events.
    """
    reader = _Reader(doc, mentions, words or target_words())
    found = [_attribute(reader, event_type, hits) for event_type, hits in events]
    # A party that acts in one clause is not the subject of what befalls a company in the next:
    # "S&P cuts Spirit to 'D' after missed interest payment" - the payment was Spirit's.
    # "Citi cuts Williams to Neutral, sees weeks-long Transco outage": the outage is not Citi's,
    # even where the company it acted on is not named in the text (a feed's ticker then says who).
    acted = [a for (event_type, _), a in zip(events, found, strict=True) if role(event_type) == "acted" and a.actor]
    actors = {a.actor for a in acted}
    # A company untouched by a trouble is not that trouble's subject: "Clorox says its products
    # are not affected by Fabuloso recall" (the recall is Fabuloso's maker's, not named).
    spared_after = [
        (max(max(tokens) for tokens in hits), set(a.targets))
        for (event_type, hits), a in zip(events, found, strict=True)
        if event_type == SPARED and hits
    ]
    # Nor is an institution acting in the headline (a rating agency in a credit action, an
    # exchange in a delisting) the one a matter named beside its act is about: "S&P places
    # FirstEnergy on CreditWatch negative after Ohio bribery charges", "Luckin Coffee Receives
    # Nasdaq Delisting Notice Over Fabricated Sales".
    institutions = {
        a.actor
        for (event_type, _), a in zip(events, found, strict=True)
        if a.actor in reader.words.never_targets.get(event_type, frozenset())
    }
    out = []
    for (event_type, hits), a in zip(events, found, strict=True):
        if role(event_type) == "self" and actors.intersection(a.targets):
            # What the acting party says of the company it acted on ("Jefferies downgrades
            # Dollar Tree, sees tariff hit to margins") is part of its action: its actor.
            a = _instead_of_parties(a, actors, acted, hand_over=True)
        elif institutions.intersection(a.targets):
            a = _instead_of_parties(a, institutions, [b for b in found if b.actor in institutions], hand_over=False)
        untouched = {t for end, spared in spared_after if hits and min(map(min, hits)) > end for t in spared}
        if event_type != SPARED and untouched.intersection(a.targets):
            a = Attribution(tuple(t for t in a.targets if t not in untouched), a.actor)
        out.append(a)
    return out


def _instead_of_parties(
    a: Attribution, parties: AbstractSet[str | None], acts: Sequence[Attribution], *, hand_over: bool
) -> Attribution:
    """`a` without the acting `parties` among its targets; where only they were, the companies
    their `acts` were done to, with the party as the actor when `hand_over`."""
    kept = tuple(t for t in a.targets if t not in parties)
    if kept:
        return Attribution(kept, a.actor)
    acted_on = tuple(dict.fromkeys(t for b in acts for t in b.targets))
    return Attribution(acted_on, next(t for t in a.targets if t in parties) if hand_over else a.actor)


def _attribute(reader: _Reader, event_type: str, hits: Sequence[Sequence[int]]) -> Attribution:
    event_role = role(event_type)
    targets: list[str] = []
    actors: list[tuple[bool, str]] = []
    if event_role == "self" and all(reader.owned_elsewhere(sorted(tokens)) for tokens in hits):
        return Attribution((), None)
    # A legal matter named after a company is brought against it ("ADM accounting probe", "Meta
    # fine"); an analyst's or agency's action named after one is its own ("Jefferies downgrade").
    owner_is_target = family(event_type) == "legal"
    owner_brings = event_type in reader.words.owner_brings
    read = [_one_hit(reader, event_role, sorted(tokens), owner_is_target, owner_brings) for tokens in hits]
    if acting_only := reader.words.never_targets.get(event_type):
        # A rating agency rates others, an exchange lists them: named in such an action, it acts,
        # and a company the parse made the actor is the one acted on ("Moody's cuts Paramount to
        # junk on streaming losses", where the parser reads "Moody's cuts" as a noun).
        named = next((m.ticker for m in reader.mentions if m.ticker in acting_only), None)
        read = [(*_institution_acts(ts, a, acting_only, named), v, c) for ts, a, v, c in read]
    # A match whose clause names no company borrows the earlier clause's subject; where another
    # match of the event found its target in its own clause, that one is the event's ("S&P Puts
    # Boeing on CreditWatch Negative, Says Strike Could Push Rating to Junk": not S&P).
    acting = {hit_actor for _, hit_actor, _, _ in read if hit_actor}
    own = any(set(hit_targets) - acting and not carried for hit_targets, _, _, carried in read)
    agencies = reader.words.rating_agencies
    rated = {m.ticker for m in reader.mentions if m.ticker not in agencies}
    for hit_targets, hit_actor, has_verb, carried in read:
        if carried and event_role == "self" and hit_targets and set(hit_targets) <= agencies and len(rated) == 1:
            # A rating agency's words about the one company it rates are not its own trouble:
            # "Moody's affirms IFF's rating, says dividend cut supports deleveraging" (IFF's cut).
            hit_targets = list(rated)
        if not (own and carried):
            targets = list(dict.fromkeys([*targets, *hit_targets]))  # a company named twice is one target
        if hit_actor:
            actors.append((has_verb, hit_actor))
    if event_type in _PAID_TYPES:
        paid = _payer_and_payee(reader)
        if paid is not None:
            payers, payee = paid
            return Attribution(tuple(payers), payee)
    # A match read around a verb says best who acts ("Moody's cut NYCB to junk" over "to junk").
    actor = next((a for verb, a in actors if verb), actors[0][1] if actors else None)
    if event_role != "deal":
        targets = [t for t in targets if t != actor]
    anchors = [reader.anchor(sorted(tokens))[0] for tokens in hits]
    if (
        not targets
        and event_role != "acted"
        and not any(
            reader.unlinked_shares(reader.segment[a], a) or reader.second_hand(a) or reader.reported_threat(a)
            for a in anchors
        )
    ):
        # The structure named no one, but when a single other company is named in the event's
        # clause or before it, it is the one ("Dow halves its dividend; LyondellBasell falls"
        # gives LyondellBasell nothing: it is named after; nor "Arm shares fall" Qualcomm).
        last = max(reader.segment[max(tokens)] for tokens in hits)
        others = list(
            dict.fromkeys(
                m.ticker
                for m in reader.mentions
                if m.ticker != actor
                and reader.segment[m.start] <= last
                and not reader.related(m)
                # Nor a company asked about in a question before the event's sentence.
                and not any(reader.asked_before(m, a) for a in anchors)
                # Nor the owner of another matter named after it: "Outage Recalls CrowdStrike's
                # 2024 Meltdown" (the outage is not CrowdStrike's).
                and not any(m.start > a and reader.owns_cause(m, a) for a in anchors)
            )
        )
        if len(others) == 1:
            targets = others
    return Attribution(tuple(targets), actor)


def _institution_acts(
    targets: list[str], actor: str | None, institutions: frozenset[str], named: str | None
) -> tuple[list[str], str | None]:
    """One match's (targets, actor) where only `institutions` act: the institution the match or
    the headline (`named`) names acts, and a company read as the actor is the one acted on."""
    acting = actor if actor in institutions else next((t for t in targets if t in institutions), named)
    if acting is None:
        return targets, actor
    acted_on = [t for t in targets if t not in institutions]
    if actor and actor != acting:
        acted_on = list(dict.fromkeys([*acted_on, actor]))
    return acted_on, acting


def _one_hit(
    reader: _Reader,
    event_role: str,
    tokens: list[int],
    owner_is_target: bool = False,
    owner_brings: bool = False,
) -> tuple[list[str], str | None, bool, bool]:
    """(targets, actor, whether the match has a verb, whether the targets were carried from an
    earlier clause because this one names no company)."""
    anchor, verb = reader.anchor(tokens)
    seg = reader.segment[anchor]
    clause = reader.in_segment(seg)
    marks = {m: reader.mark(m) for m in clause}
    if owner_is_target:
        # In a legal matter "at" names where it happens, not who acts: "Regulators flag
        # money-laundering control gaps at Huntington Bancshares", "fraud probe at the bank".
        marks = {m: "target" if mark == "actor" and reader.legal_place(m) else mark for m, mark in marks.items()}
    # A company asked about in a question before the trigger's sentence is not its subject: "Is
    # Kohl's next? Penney's missed payment puts department-store debt in focus".
    plain = [m for m in clause if marks[m] is None and not reader.asked_before(m, anchor)]
    before = [m for m in plain if m.end <= anchor]
    after = [m for m in clause if m.start > anchor]
    actor_marked = [m for m in clause if marks[m] == "actor" and m.start > anchor]
    target_marked = [m for m in clause if marks[m] == "target" and m.start > anchor]
    targets: list[Mention] = []
    actor: Mention | None = None

    if event_role == "self" and reader.reported_threat(anchor):
        return [], None, verb is not None, False
    if event_role == "self":
        named = reader.qualified(tokens)
        owner = reader.owner(clause, anchor) if verb is None else []
        targets = (
            ([named] if isinstance(named, Mention) else [])
            or owner
            or reader.group_before(before, anchor)
            or reader.group_after(
                [m for m in reader.unjoined_after(after, anchor) if not reader.owns_cause(m, anchor)], anchor
            )
        )
    elif event_role == "deal":
        targets = clause
        if verb is not None and not reader.passive(verb, after):
            subject = reader.group_before(before, anchor)
            actor = subject[-1] if subject else None
        elif actor_marked:
            actor = actor_marked[0]
    elif verb is not None and reader.passive(verb, after):
        targets = reader.group_before(before, anchor) + target_marked
        later = actor_marked or [m for m in after if m not in target_marked]
        actor = later[0] if later else None
    elif verb is not None:
        # An active verb ("Moody's downgrades Boeing", "after Jefferies downgrade"): subject acts.
        subject = reader.group_before(before, anchor)
        actor = subject[-1] if subject else (actor_marked[0] if actor_marked else None)
        objects = [m for m in after if marks[m] != "actor"]
        if reader.mentions_deal(anchor, seg):
            # "sues to block Tapestry's deal for Capri": the action falls on the deal's parties.
            targets = objects
        else:
            first = reader.group_after(objects, anchor)
            targets = first + [m for m in reader.group_after(target_marked, anchor) if m not in first]
        if actor is None and not before and reader.segment[anchor] > 0 and not reader.words_before(anchor):
            # "Citi upgrades Ford; downgrades Tesla": the earlier clause's subject acts again,
            # unless this clause has a subject of its own that is not linked ("$SITC: Compass
            # Point cuts to Sell": SITC is cut, not cutting).
            carried = reader.carried_subject(seg, {m.ticker for m in targets}, acting=True)
            actor = carried[0] if carried else None
    else:
        owner = reader.owner(clause, anchor)
        objects = [m for m in after if marks[m] != "actor"]
        subject = reader.group_before(before, anchor)
        if event_role == "acted" and not subject and reader.mentions_deal(anchor, seg) and objects:
            # "FTC Sues to Block Tapestry's Takeover of Capri": the action falls on every party.
            targets = objects
        elif target_marked:
            # "Pfizer files lawsuit against Moderna": the clause's subject brings the action.
            targets = reader.group_after(target_marked, anchor)
            subject = owner or subject
            actor = subject[-1] if subject else (actor_marked[0] if actor_marked else None)
        elif event_role == "acted" and subject and reader.brought(subject[-1], anchor):
            # "Amazon files suit, challenging the Pentagon's contract": Amazon brings it; a
            # company named after it in the clause is the one it is brought against.
            actor = subject[-1]
            targets = reader.group_after(objects, anchor)
        elif owner and objects:
            targets, actor = reader.group_after(objects, anchor), owner[-1]
        elif owner and reader.doc[anchor].lower_ in reader.words.result_words:
            # "Moody's lifts Carnival to Ba1, cuts Warner Bros. Discovery to junk": the company
            # right before "to junk" is moved there; the clause's subject, or the one before, acts.
            targets = owner
            subject = [m for m in subject if m not in owner] or reader.carried_subject(seg, {m.ticker for m in owner})
            actor = subject[-1] if subject else None
        else:
            subject = [m for m in subject if m not in owner]
            agency = bool(owner) and owner[-1].ticker in reader.words.rating_agencies
            # "EchoStar calls Crown Castle suit 'meritless'": the suit is Crown Castle's, against EchoStar.
            others = [m for m in before if m not in owner]
            if owner_brings and owner and not others and reader.opens_with_cause(seg):
                # "Synchrony shares fall 4% after Walmart lawsuit": Walmart's suit, against the
                # company the clause before is about.
                others = reader.carried_subject(seg, {m.ticker for m in owner})
            brought_by_owner = owner_brings and bool(owner) and bool(others)
            if brought_by_owner:
                subject = others[-1:]
            if (
                owner
                and not agency
                and not brought_by_owner
                and (owner_is_target or any(reader.possessive(m) for m in owner))
            ):
                subject = []  # "Macy's outlook cut", "Kohl's downgrade", "ADM probe": the owner is the target
            elif not subject and owner:
                # "Boeing falls after Jefferies downgrade", "$TAP: Barclays cuts to Equal Weight":
                # the owner of the noun acts on the subject of the clause before.
                subject = reader.carried_subject(seg, {m.ticker for m in owner})
            if subject and owner:
                targets, actor = subject, owner[-1]
            else:
                targets = owner or subject or reader.group_after(objects, anchor)
                actor = actor_marked[0] if actor_marked else None
    if not targets and event_role == "self" and (again := reader.short_reference(seg, anchor)) is not None:
        targets = [again]
    if not targets and event_role == "self" and (antecedent := reader.antecedent(seg)) is not None:
        targets = [antecedent]
    if not targets and event_role == "acted":
        targets = [m for m in reader.harmed_next(seg) if m != actor]
    borrowed = not targets
    if borrowed and not (
        reader.sector_wide(anchor) or reader.unlinked_shares(seg, anchor) or reader.second_hand(anchor)
    ):
        exclude = {actor.ticker} if actor else set()
        targets = reader.cited_for(seg) or reader.carried_subject(seg, exclude)
    return [m.ticker for m in targets], (actor.ticker if actor else None), verb is not None, borrowed
