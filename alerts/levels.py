"""The alert level of an event: the settings' table by type, moved by the size the headline gives.

`RiskSettings.event_levels` says what a desk wants told of each adverse event type when it
happens to a company; `RiskSettings.magnitude_levels` moves that level where the headline
gives a size (finsentry.contracts.Magnitude): shares down 23 % is not down 1 %, a downgrade
to sell is not one to hold. Types missing from the table (good news, deals) raise no alert.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from finsentry.contracts import SEVERITY_ORDER, Event, Magnitude, Severity
from finsentry.settings import CHOICE_MEASURES, RiskSettings, parse_condition
from nlp.taxonomy import is_reaction, role

_SEVERITIES: dict[str, Severity] = {s: s for s in SEVERITY_ORDER}
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}


def sized_up(event: Event, level: Severity, settings: RiskSettings) -> bool:
    """Did the size the headline gives raise `event`'s level above the table's ("to pay record
    $2.2 billion to settle claims")?"""
    base = settings.event_levels.get(event.type, level)
    return SEVERITY_ORDER.index(level) > SEVERITY_ORDER.index(base)


def sized_down(event: Event, level: Severity, settings: RiskSettings) -> bool:
    """Did the size the headline gives lower `event`'s level below the table's ("J&J's talc unit
    files for bankruptcy": high, not critical)?"""
    base = settings.event_levels.get(event.type, level)
    return SEVERITY_ORDER.index(level) < SEVERITY_ORDER.index(base)


def hidden_by_good_news(event: Event, level: Severity, settings: RiskSettings) -> bool:
    """Does a good-news reading of the company hide this event of `level`?

    Another's act on the company read as good news is mostly its end or someone else's trouble
    ("FDA lifts clinical hold", "shares rise after FDA cracks down on copycats"), and so are the
    company's own small acts. Never hidden: a critical event, a size that raised the level ("to
    pay record $2.2 billion to settle claims"), a large sum to pay ("Jury orders J&J to pay $966
    million", `costly_usd`), or the company's own act worth a page (a forecast cut "smaller than
    feared", a recall).
    """
    if level == "critical" or sized_up(event, level, settings):
        return False
    if event.magnitude is not None and (event.magnitude.usd or 0.0) >= settings.costly_usd:
        return False
    return role(event.type) != "self" or level == "low"


def holds(condition: str, magnitude: Magnitude) -> bool:
    """Does the magnitude meet a condition such as "percent >= 0.15" or "rating == sell"?"""
    measure, op, value = parse_condition(condition)
    if measure in CHOICE_MEASURES:
        # The field as a word of its choices: planned's booleans read as "true" / "false".
        have_word = getattr(magnitude, measure)
        return (str(have_word).lower() if isinstance(have_word, bool) else have_word) == value
    have = getattr(magnitude, measure)
    return have is not None and isinstance(value, float) and _OPS[op](have, value)


def event_level(event: Event, settings: RiskSettings) -> Severity | None:
    """The level of `event` for the company it targets; None for a type that raises no alert."""
    base = settings.event_levels.get(event.type)
    if base is not None and is_reaction(event.type) and len(event.targets or ()) >= settings.market_list:
        return "low"  # a sector's or the market's move, named by a list of companies
    if base is None or event.magnitude is None:
        return base
    level: str = base
    # The last condition that holds wins: conditions are written from small to large.
    for condition, moved in settings.magnitude_levels.get(event.type, {}).items():
        if holds(condition, event.magnitude):
            level = moved
    return _SEVERITIES.get(level)
