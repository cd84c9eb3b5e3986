"""Clauses, verbs and marks of one headline: the grammar an event's targets are read from.

Clauses are cut at the punctuation and words of `resources/targets.yaml` and at a comma that
a verb follows ("Bernstein upgrades A, downgrades B"), so "X beats; Y misses" gives each
company its own event. The voice and part of speech come from spaCy's tagger and dependency
parse (run by the annotator on texts that name a company and carry an event). A word right
before a company marks it as the one acting ("at Jefferies") or acted on ("against Moderna");
one right after it makes it only qualify another ("Apple supplier Foxconn").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from nlp.target_words import TargetWords

POSSESSIVE = ("'s", "’s")
# Tokens after a company's name in which a site word makes it a place ("Valero's Port Arthur refinery").
_SITE_REACH = 4


@dataclass(frozen=True)
class Mention:
    """A linked company in the Doc: its ticker and token span [start, end)."""

    ticker: str
    start: int
    end: int


class Clauses:
    """One Doc's clauses, verbs and marks, and its linked companies by token."""

    def __init__(self, doc: Doc, mentions: Sequence[Mention], words: TargetWords) -> None:
        self.doc = doc
        self.words = words
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.tagged = doc.has_annotation("TAG")
        self.company_at = {i: m for m in self.mentions for i in range(m.start, m.end)}
        self.segment, self.subordinate = self._segments()

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
            return self.doc[tok.i - 1].lower_ not in POSSESSIVE
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

    def first_of(self, seg: int) -> int:
        """The index of the first token of clause `seg`."""
        return self.segment.index(seg)

    def words_before(self, anchor: int) -> bool:
        """Does the clause of `anchor` have a word before it (not punctuation or the word that
        opens the clause: "while paring the target" has none)?"""
        seg = self.segment[anchor]
        return any(
            self.segment[t.i] == seg and not t.is_punct and t.lower_ not in self.words.break_words
            for t in self.doc[:anchor]
        )

    def asked_before(self, m: Mention, anchor: int) -> bool:
        """Is `m` in a question that ends before `anchor`?"""
        end = next((t.i for t in self.doc[m.end :] if t.text in self.words.sentence_ends), None)
        return end is not None and end < anchor and self.doc[end].text == "?"

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

    def related(self, m: Mention) -> bool:
        if m.end >= len(self.doc) or self.doc[m.end].lower_ not in self.words.relation_words:
            return False
        # "Verizon customers report widespread outage": the company's own customers, with no party
        # named after them, are where its trouble shows, not another company it qualifies.
        if self.doc[m.end].lower_ in self.words.served_words:
            nxt = m.end + 1
            return nxt < len(self.doc) and (nxt in self.company_at or self.doc[nxt].tag_ in ("NNP", "NNPS"))
        return True

    def site_after(self, m: Mention) -> bool:
        """Does a site follow the company's name ("Valero's Port Arthur refinery", "Catalent fill
        plant")? Then the company names a place, not a cause or the one a matter is about."""
        return any(t.lower_ in self.words.site_words for t in self.doc[m.end : m.end + _SITE_REACH])

    def legal_place(self, m: Mention) -> bool:
        """Is `m` right after a word that places a legal matter ("gaps at Huntington")? Not when a
        site follows the name: "rejects Eylea over inspection findings at Catalent fill plant"
        names where the problem was found, not whom the rejection is of."""
        return not self.site_after(m) and m.start > 0 and self.doc[m.start - 1].lower_ in self.words.legal_places

    def possessive(self, m: Mention) -> bool:
        """ "Macy's outlook", "Kohl's downgrade": the company owns what follows."""
        last = self.doc[m.end - 1].lower_
        nxt = self.doc[m.end].lower_ if m.end < len(self.doc) else ""
        return last in POSSESSIVE or nxt in (*POSSESSIVE, "'")

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
        if not _participle(verb.lower_):
            return False
        # Headline passives drop the auxiliary ("Netflix downgraded at Wells Fargo"): a participle
        # with no company object right after it.
        objectless = not any(m.start <= verb.i + 2 and self.mark(m) is None for m in after)
        # The tagger may read a Title Case participle as a present verb; a company marked as the
        # one acting after it still makes it passive: "Illinois Tool Works Cut Two Notches to
        # Sell From Buy at Goldman Sachs".
        by_actor = any(self.mark(m) == "actor" for m in after)
        return objectless and (verb.tag_ in ("VBN", "VBD") or by_actor)


# Participles that do not end in -ed: "Tesla cut to sell", "Boeing hit with lawsuit".
_IRREGULAR_PARTICIPLES = frozenset(
    {"cut", "hit", "put", "set", "sued", "shut", "taken", "given", "seen", "won", "lost"}
)


def _participle(word: str) -> bool:
    return word.endswith("ed") or word in _IRREGULAR_PARTICIPLES
