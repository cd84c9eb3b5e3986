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

The headline's grammar is read by `nlp.target_clauses` and `nlp.target_reader`; this module
gives each match of an event its role's reading and then corrects the readings against each
other across the headline (a party acting in one clause, an institution acting in its own
matter, a company said to be untouched by a trouble).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from spacy.tokens import Doc

from nlp.target_clauses import Mention
from nlp.target_reader import Reader
from nlp.target_words import TargetWords, target_words
from nlp.taxonomy import SPARED, family, role


@dataclass(frozen=True)
class Attribution:
    targets: tuple[str, ...]
    actor: str | None
    # The names of organisations the linker did not link that the text gives the event to
    # ("Hospital operator Steward Health Care files for Chapter 11"): a feed ticker takes it in
    # their place only when one of them is its company's name written another way.
    foreign: tuple[str, ...] = ()


# Events settled by paying: the payer is the target ("X ordered to pay Y").
_PAID_TYPES = frozenset({"lawsuit", "fine"})


def _payer_and_payee(reader: Reader) -> tuple[list[str], str | None] | None:
    """(the payer and its list, the company paid) when a payment verb has a company before it or
    right after it."""
    for tok in reader.doc:
        if tok.lower_ not in reader.words.payment_verbs:
            continue
        clause = reader.in_segment(reader.segment[tok.i])
        payers = reader.group_before([m for m in clause if m.end <= tok.i], tok.i)
        payee = next((m.ticker for m in clause if m.start in (tok.i + 1, tok.i + 2)), None)
        # The company paid is no payer even where the payer is not linked: "Jury orders Hytera to
        # pay Motorola Solutions $764.6 million" (Motorola won).
        if payers or payee is not None:
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
    reader = Reader(doc, mentions, words or target_words())
    found = [_attribute(reader, event_type, hits) for event_type, hits in events]
    # A party that acts in one clause is not the subject of what befalls a company in the next:
    # "S&P cuts Spirit to 'D' after missed interest payment" - the payment was Spirit's.
    # "Citi cuts Williams to Neutral, sees weeks-long Transco outage": the outage is not Citi's,
    # even where the company it acted on is not named in the text (a feed's ticker then says who).
    # Where each party's act begins: only what is told after it can be its view of the company
    # ("Lordstown Motors files for bankruptcy, sues Foxconn": the filing is Lordstown's own).
    acted: list[Attribution] = []
    acts_from: dict[str, int] = {}
    for (event_type, hits), a in zip(events, found, strict=True):
        if role(event_type) != "acted" or not a.actor:
            continue
        acted.append(a)
        if hits:
            acts_from[a.actor] = min(acts_from.get(a.actor, len(doc)), min(map(min, hits)))
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
        starts = min(map(min, hits)) if hits else 0
        actors = {actor for actor, at in acts_from.items() if at < starts}
        if role(event_type) == "self" and actors.intersection(a.targets):
            # What the acting party says of the company it acted on ("Jefferies downgrades
            # Dollar Tree, sees tariff hit to margins") is part of its action: its actor.
            a = _instead_of_parties(a, actors, acted, hand_over=True)
        elif institutions.intersection(a.targets):
            a = _instead_of_parties(a, institutions, [b for b in found if b.actor in institutions], hand_over=False)
        untouched = {t for end, spared in spared_after if hits and starts > end for t in spared}
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


def _attribute(reader: Reader, event_type: str, hits: Sequence[Sequence[int]]) -> Attribution:
    event_role = role(event_type)
    targets: list[str] = []
    actors: list[tuple[bool, str]] = []
    if event_role == "self" and all(reader.owned_elsewhere(sorted(tokens)) for tokens in hits):
        return Attribution((), None, foreign=reader.unlinked_names(min(map(min, hits)) + 1))
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
    foreign = reader.unlinked_names(min(anchors)) if not targets and event_role == "self" else ()
    return Attribution(tuple(targets), actor, foreign)


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
    reader: Reader,
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
            or reader.past_precedent(before, reader.group_before(before, anchor))
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
