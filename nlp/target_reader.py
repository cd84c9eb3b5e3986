"""The questions an event's roles ask of a headline's clauses: which companies form the
subject or the object, who owns a noun trigger, whether a matter is another's, second-hand or
the sector's, and which earlier clause's subject a clause with no company of its own borrows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import dropwhile

from nlp.company_words import company_words
from nlp.target_clauses import POSSESSIVE, Clauses, Mention

# Tokens that may sit between the names of one list of companies ("Ford, GM and Stellantis").
_LIST_GLUE = frozenset({",", "and", "&", "or", "/", *POSSESSIVE, "both", "peers", "rival"})
# Tokens allowed between a company and the noun trigger it owns ("GM's massive recall").
_ADJACENCY = 3

# Entity kinds a name after an adjective trigger can be that own no event.
_NOT_OWNERS = frozenset({"DATE", "TIME", "GPE", "LOC", "NORP", "FAC", "CARDINAL", "ORDINAL", "PERCENT", "MONEY"})


class Reader(Clauses):
    """The clauses of one Doc with the questions the roles ask of them."""

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

    def past_precedent(self, candidates: list[Mention], group: list[Mention]) -> list[Mention]:
        """`group`, or the companies before it where it only names who did the same before:
        "Endo follows Mallinckrodt and Purdue in using bankruptcy to cap opioid claims" (Endo's
        filing; Mallinckrodt's is history)."""
        if not group or group[0].start == 0 or self.doc[group[0].start - 1].lower_ not in self.words.precedent_verbs:
            return group
        return self.group_before(candidates, group[0].start - 1) or group

    def group_after(self, candidates: list[Mention], anchor: int) -> list[Mention]:
        """The companies nearest after `anchor` that form one list (the object)."""
        group: list[Mention] = []
        boundary = anchor
        for m in [c for c in candidates if c.start >= anchor]:
            between = [t for t in self.doc[boundary : m.start] if t.i not in self.company_at]
            if group and self.possessive(group[-1]):
                # "UnitedHealth's Optum Rx, CVS's Caremark and Cigna's Express Scripts": the unit
                # named after a company's possessive belongs to the list's item.
                between = list(dropwhile(lambda t: t.lower_ in POSSESSIVE or t.is_title or t.is_upper, between))
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
        rattles power-chip stocks"), or does the trigger reach it through a word of direction
        ("antitrust scrutiny returns to platform companies", where the tagger reads "returns" as
        a noun)? Then its news is the sector's, not an earlier clause's."""
        return self._acts_on(anchor, self.words.sector_objects, self.words.sector_reach)

    def _acts_on(self, anchor: int, group: frozenset[str], reach: frozenset[str] = frozenset()) -> bool:
        """Is a word of `group` after a verb (or a word of `reach`) that follows the trigger, in
        its clause?"""
        seg = self.segment[anchor]
        verb_seen = False
        for t in self.doc[anchor + 1 :]:
            if self.segment[t.i] != seg:
                break
            # A participle inside a compound is no verb acting ("from JPMorgan-led lenders").
            verb_seen = verb_seen or (self._is_verb(t) and self.doc[t.i - 1].text != "-") or t.lower_ in reach
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
        if first >= 2 and self.doc[first - 1].lower_ in POSSESSIVE:
            owner_at.append(first - 2)
        # A match that starts with the owner's name: "FuelCell's warning".
        owner_at += [i for i in tokens if i + 1 < len(self.doc) and self.doc[i + 1].lower_ in POSSESSIVE]
        return any(
            0 <= i < anchor + 1
            and self.doc[i].ent_type_ == "ORG"
            and not self.doc[i].ent_kb_id_
            and i not in self.company_at
            and not self._product_of_company(i)
            and not self._reason_run_into(i, first)
            and not self._name_run_into(i)
            for i in owner_at
        )

    def unlinked_names(self, anchor: int) -> tuple[str, ...]:
        """The organisations the linker did not link that stand before `anchor` in its clause
        ("Hospital operator Steward Health Care files for Chapter 11 bankruptcy")."""
        seg = self.segment[min(anchor, len(self.doc) - 1)]
        return tuple(
            ent.text
            for ent in self.doc.ents
            if ent.label_ == "ORG"
            and ent.start < anchor
            and self.segment[ent.start] == seg
            and not any(i in self.company_at for i in range(ent.start, ent.end))
        )

    def _name_run_into(self, i: int) -> bool:
        """Is the token at `i` inside an organisation the tagger ran on from a linked company's
        name ("Fisker Prepares to File for Bankruptcy" read as one organisation)? Its words are
        that company's sentence, not another organisation's name."""
        return any(
            ent.start <= i < ent.end and any(j in self.company_at for j in range(ent.start, ent.end))
            for ent in self.doc.ents
        )

    def _reason_run_into(self, i: int, first: int) -> bool:
        """Did the tagger run a word of reason or a verb into the trigger's name, with no name of
        its own before the trigger ("Citing 'Security Incident'", "Raising Going-Concern Doubt"),
        unlike "Grasberg Outage"?"""
        if not (i < first and all(self.doc[j].ent_iob_ == "I" for j in range(i + 1, first + 1))):
            return False
        start = i
        while start > 0 and self.doc[start].ent_iob_ == "I":
            start -= 1
        words = [t for t in self.doc[start:first] if t.is_alpha]
        return all(t.lower_ in self.words.reason_words or t.tag_.startswith("VB") for t in words)

    def _product_of_company(self, i: int) -> bool:
        """Is the name at `i` a linked company's product or unit, named in its possessive right
        before ("Amgen's Obesity Shot MariTide Misses Main Goal")?"""
        return any(self.possessive(m) and 0 <= i - m.end <= _ADJACENCY for m in self.mentions if m.end <= i)

    def brought(self, subject: Mention, anchor: int) -> bool:
        """Does a bring verb follow `subject` right away, before the noun trigger ("Amazon files
        suit")? Not when the company only qualifies the subject ("Walmart employee's family files")."""
        return subject.end < anchor and self.doc[subject.end].lower_ in self.words.bring_verbs

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
