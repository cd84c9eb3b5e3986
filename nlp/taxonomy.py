"""The one table of event types: id, base severity (0..1) and what the type means.

Severity is the event's contribution to the risk score before anything about the entity
or the news flow is known. The scale reads as "how likely is this news, on its own, to
mean lasting damage to the company's value or its creditors":

- 0.9-1.0  the firm may not survive or has lied: bankruptcy, default, fraud allegations.
- 0.7-0.9  hard damage with a clear cost or loss of access to capital: credit downgrades,
           going-concern doubts, data breaches, regulator actions, fines, dividend cuts,
           guidance cuts.
- 0.5-0.7  costly but usually survivable: lawsuits, investigations, recalls, earnings misses,
           operational disruptions, layoffs, restructurings, sudden executive departures,
           analyst downgrades.
- 0.3-0.5  news that moves risk either way: mergers and acquisitions (integration risk,
           debt taken on), price-target cuts.
- 0.0-0.2  good news (upgrades, beats, raised guidance or dividends, price-target raises).
           These stay in the table so the scorer can tell "something happened" from
           "something bad happened", and so they can offset negative news if the scorer
           wishes; they add almost nothing to a warning.

The ids from the issue are kept verbatim; the extra ids (price targets, dividend raise,
going concern, delisting) exist because headlines carry them often and folding them into
the nearest listed type would mislabel them (a price-target cut is not a rating downgrade).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

# Who an event happens to (nlp/targets.py reads it):
#   self:  the company does it or suffers it itself (misses, recalls, files for bankruptcy);
#   acted: another party acts on the target (an analyst, an agency, a plaintiff, a regulator),
#          and when that party is a linked company it is the event's actor, never its target;
#   deal:  every company party to the deal is a target (buyer and bought alike).
Role = Literal["self", "acted", "deal"]

# What kind of trouble an event is, for alerting that groups one company's incidents by
# family (RiskSettings.incident_grouping = "company_family"): a credit crisis and a lawsuit
# then page as two incidents, while by default they are one.
Family = Literal["credit", "legal", "operations", "results", "market", "deal", "good_news"]


@dataclass(frozen=True)
class EventType:
    id: str
    severity: float
    description: str
    role: Role = "self"
    family: Family = "operations"
    # The market's reaction to news rather than news ("shares down 8% on guidance cut"): its
    # size sets a level of its own, but with its cause (the same news read a second time) it
    # reaches RiskSettings.reaction_peak at most (alerts/risk.py).
    reaction: bool = False


def _table(*types: EventType) -> MappingProxyType[str, EventType]:
    return MappingProxyType({t.id: t for t in types})


EVENT_TYPES: MappingProxyType[str, EventType] = _table(
    EventType("bankruptcy", 1.0, "files for or warns of bankruptcy, Chapter 11/7, insolvency", family="credit"),
    EventType("default", 0.95, "misses a debt or interest payment, defaults on bonds or loans", family="credit"),
    EventType(
        "fraud_allegation",
        0.9,
        "accused of fraud, accounting irregularities or misleading investors",
        role="acted",
        family="legal",
    ),
    EventType(
        "going_concern", 0.85, "auditor or company doubts its ability to continue as a going concern", family="credit"
    ),
    EventType(
        "credit_downgrade",
        0.8,
        "a rating agency cuts the credit rating or outlook (incl. to junk, review for downgrade)",
        role="acted",
        family="credit",
    ),
    EventType("data_breach", 0.75, "hack, cyberattack, ransomware or leak of customer data"),
    EventType(
        "regulatory_action",
        0.75,
        "a regulator bans, blocks, charges, rejects, grounds or orders the company",
        role="acted",
        family="legal",
    ),
    EventType("fine", 0.7, "fined or ordered to pay a penalty", role="acted", family="legal"),
    EventType("dividend_cut", 0.7, "cuts, suspends or eliminates its dividend", family="credit"),
    EventType(
        "debt_distress",
        0.7,
        "its debt in trouble short of a default: covenants breached or waived, a debt restructuring explored, "
        "a credit line drawn in full, a bond sale pulled, its bonds plunging",
        family="credit",
    ),
    EventType("guidance_cut", 0.7, "lowers, withdraws or issues weak guidance; profit warning", family="results"),
    EventType("delisting", 0.7, "faces delisting or receives a listing-standards notice", family="market"),
    EventType("investigation", 0.65, "under investigation, probe, subpoena or inquiry", role="acted", family="legal"),
    EventType(
        "lawsuit", 0.6, "sued, class action, litigation, verdict or settlement of a suit", role="acted", family="legal"
    ),
    EventType("earnings_miss", 0.6, "results below expectations, a loss or a falling profit", family="results"),
    EventType("recall", 0.6, "recalls products or vehicles"),
    # A drug's or device's own trouble in the clinic: like a recall, the product, not the firm.
    EventType(
        "clinical_setback",
        0.6,
        "a clinical trial fails or is halted, a clinical hold, patient deaths in a trial or after a therapy",
    ),
    # Revenue that walks out of the door: the customer who leaves acts, the supplier loses.
    EventType(
        "customer_loss",
        0.55,
        "a big customer, account or contract lost or taken away (orders moved to a rival, a contract cancelled)",
        role="acted",
        family="results",
    ),
    EventType("executive_departure", 0.55, "a CEO, CFO, chair or other executive resigns, leaves or is ousted"),
    # Lost output or service, not a lasting change to the business: between layoffs and a recall.
    EventType(
        "operational_disruption",
        0.55,
        "its own operations are halted or disrupted: a plant fire or shutdown, an outage, mass flight "
        "cancellations, a strike, supply disruptions it warns of",
    ),
    EventType(
        "price_drop",
        0.5,
        "the shares fall by a stated percentage (the size sets the alert level, nlp/magnitude.py)",
        family="market",
        reaction=True,
    ),
    EventType("layoffs", 0.5, "job cuts, layoffs, workforce reductions"),
    EventType("restructuring", 0.5, "restructuring, break-up, spin-off, closures or cost-cutting plan"),
    EventType("downgrade", 0.5, "an analyst lowers the stock's rating", role="acted", family="market"),
    EventType(
        "merger_acquisition", 0.35, "acquires, is acquired, merges or bids for a company", role="deal", family="deal"
    ),
    EventType("price_target_cut", 0.3, "an analyst lowers the stock's price target", role="acted", family="market"),
    EventType("upgrade", 0.1, "an analyst raises the stock's rating (good news)", role="acted", family="good_news"),
    EventType("earnings_beat", 0.05, "results above expectations or a rising profit (good news)", family="good_news"),
    EventType("guidance_raise", 0.05, "raises or issues strong guidance (good news)", family="good_news"),
    EventType("dividend_raise", 0.05, "raises its dividend (good news)", family="good_news"),
    EventType("price_rise", 0.05, "the shares rise, with or without a stated size (good news)", family="good_news"),
    # A company named beside another's trouble that says it is untouched: its reading of the
    # headline is no negative story of its own (alerts/risk.py).
    EventType(
        "spared",
        0.0,
        "the company says it is unaffected by a trouble named beside it (good news)",
        family="good_news",
    ),
    EventType(
        "price_target_raise",
        0.05,
        "an analyst raises the stock's price target (good news)",
        role="acted",
        family="good_news",
    ),
    # Reported by the rule files' `solved: true` vetoes; its targets are those of the problem
    # (`Event.solves`), read with that type's role: the company sued, probed, restricted.
    EventType(
        "problem_solved",
        0.0,
        "a problem reported over for the company: a suit dismissed, a probe closed, a restriction "
        "lifted, a disruption ended (good news)",
        family="good_news",
    ),
)

# The type a `solved: true` veto reports (nlp/events.py); the scorer reads it as the company's good news.
PROBLEM_SOLVED = "problem_solved"
# The type of a company untouched by a trouble named beside it (nlp/targets.py keeps it out of
# that trouble's targets).
SPARED = "spared"

# Types the issue asks for by name; the eval and the tests check that each is covered.
REQUIRED_TYPES: tuple[str, ...] = (
    "downgrade",
    "upgrade",
    "earnings_miss",
    "earnings_beat",
    "guidance_cut",
    "guidance_raise",
    "lawsuit",
    "investigation",
    "fine",
    "recall",
    "bankruptcy",
    "default",
    "restructuring",
    "layoffs",
    "executive_departure",
    "merger_acquisition",
    "dividend_cut",
    "data_breach",
    "regulatory_action",
    "fraud_allegation",
    "credit_downgrade",
)


def role(event_type: str) -> Role:
    """Who the event happens to (see `Role`); KeyError for an unknown id."""
    return EVENT_TYPES[event_type].role


def family(event_type: str) -> Family:
    """What kind of trouble the type is (see `Family`); KeyError for an unknown id."""
    return EVENT_TYPES[event_type].family


def severity(event_type: str) -> float:
    """Base severity of a type id; KeyError for an id that is not in the table."""
    return EVENT_TYPES[event_type].severity


def is_good_news(event_type: str) -> bool:
    """Whether the type is good news for its targets; unknown types are not."""
    known = EVENT_TYPES.get(event_type)
    return known is not None and known.family == "good_news"


def is_reaction(event_type: str) -> bool:
    """Whether the type is the market's reaction to news (EventType.reaction); unknown types are not."""
    known = EVENT_TYPES.get(event_type)
    return known is not None and known.reaction
