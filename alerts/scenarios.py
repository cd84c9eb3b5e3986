"""Incident scenarios: news tapes with the incidents a risk desk expects from them.

Each scenario in `alerts/resources/scenarios/` (README beside them) is a tape of news in arrival
order (`NN-slug.jsonl`) and what the desk expects (`NN-slug.expect.yaml`): which companies get
incidents, the severity of the first message and the peak, whether it escalates and resolves,
the event types it lists, and which companies stay quiet. The tape runs through the file-mode
pipeline (the worker's functions) with one risk state, then a final tick at `end_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from alerts.risk import RiskEngine
from alerts.state import DictStore
from finsentry.contracts import SEVERITY_ORDER, Alert, NewsEvent
from finsentry.jsonl import read_rows
from finsentry.pipeline import Models, enrich
from finsentry.settings import RiskSettings

SCENARIOS = Path(__file__).resolve().parent / "resources" / "scenarios"


class ExpectedIncident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: str
    incidents: int = Field(1, ge=1, description="separate incidents opened for the company")
    first: str | None = Field(None, description="severity of the first message: exact or a range low..medium")
    peak: str | None = None
    escalates: bool | None = None
    resolved: bool | None = None
    event_types: list[str] = Field(default_factory=list)
    opened_by: str | None = None


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    covers: list[str] = Field(default_factory=list)
    why: str = ""
    end_at: AwareDatetime | None = None
    incidents: list[ExpectedIncident] = Field(default_factory=list)
    quiet: list[str] = Field(default_factory=list)
    at_most_low: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Scenario:
    name: str
    news: list[NewsEvent]
    expect: Expectation


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    title: str
    failures: list[str]
    alerts: list[Alert]

    @property
    def passed(self) -> bool:
        return not self.failures


def read_scenarios(directory: Path = SCENARIOS) -> list[Scenario]:
    out = []
    for expect_file in sorted(directory.glob("*.expect.yaml")):
        name = expect_file.name.removesuffix(".expect.yaml")
        tape = expect_file.with_name(f"{name}.jsonl")
        try:
            expect = Expectation.model_validate(yaml.safe_load(expect_file.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise ValueError(f"{expect_file}: {exc}") from None
        news = read_rows(tape, lambda row, _n: NewsEvent.model_validate(row), "news event")
        out.append(Scenario(name, news, expect))
    if not out:
        raise ValueError(f"no scenarios (*.expect.yaml) in {directory}")
    return out


def run_scenario(scenario: Scenario, models: Models, risk: RiskSettings) -> list[Alert]:
    """The tape in arrival order through the pipeline, one risk state, then a tick at end_at."""
    engine = RiskEngine(risk, DictStore())
    alerts: list[Alert] = []
    for news in scenario.news:  # one at a time: a replay must meet the state its first delivery left
        alerts.extend(engine.process(enrich([news], models).records))
    end = scenario.expect.end_at
    if end is not None:
        alerts.extend(engine.tick(end.timestamp()))
    # A replayed article re-emits the alerts it caused (same ids): the desk sees each id once.
    return list({a.alert_id: a for a in alerts}.values())


def _in(level: str, spec: str) -> bool:
    low, _, high = spec.partition("..")
    order = ("none", *SEVERITY_ORDER)
    return order.index(low) <= order.index(level) <= order.index(high or low)


def check(scenario: Scenario, alerts: Sequence[Alert]) -> list[str]:
    """Each way `alerts` differ from the desk's expectation, in words (empty: it passes)."""
    failures: list[str] = []
    exp = scenario.expect
    by_entity: dict[str, list[Alert]] = {}
    for a in alerts:
        by_entity.setdefault(a.entity, []).append(a)
    for want in exp.incidents:
        got = by_entity.get(want.entity, [])
        firing = [a for a in got if a.status == "firing"]
        opened = sorted({(a.dedup_key, a.first_seen) for a in firing}, key=lambda k: k[1])
        tag = want.entity
        if not firing:
            failures.append(f"{tag}: no incident")
            continue
        if len(opened) != want.incidents:
            failures.append(f"{tag}: {len(opened)} incidents, expected {want.incidents}")
        first = firing[0]
        if want.first and not _in(first.severity, want.first):
            failures.append(f"{tag}: first message {first.severity}, expected {want.first}")
        peak = max((a.severity for a in firing), key=SEVERITY_ORDER.index)
        if want.peak and not _in(peak, want.peak):
            failures.append(f"{tag}: peak {peak}, expected {want.peak}")
        escalations = len(firing) - len(opened)
        if want.escalates is not None and (escalations > 0) != want.escalates:
            failures.append(f"{tag}: {escalations} escalations, expected {'some' if want.escalates else 'none'}")
        last_key = opened[-1]
        resolved = any(a.status == "resolved" and (a.dedup_key, a.first_seen) == last_key for a in got)
        if want.resolved is not None and resolved != want.resolved:
            failures.append(f"{tag}: {'resolved' if resolved else 'still open'} at end_at, expected otherwise")
        listed = {t for a in got for t in a.event_types}
        if missing := [t for t in want.event_types if t not in listed]:
            failures.append(f"{tag}: event types {sorted(listed)} lack {missing}")
        if want.opened_by and first.fired_by != want.opened_by:
            failures.append(f"{tag}: opened by {first.fired_by}, expected {want.opened_by}")
    for ticker in exp.quiet:
        if fired := [a for a in by_entity.get(ticker, []) if a.status == "firing"]:
            failures.append(f"{ticker}: expected quiet, got {fired[0].severity} {fired[0].event_type}")
    for ticker in exp.at_most_low:
        if paged := [a for a in by_entity.get(ticker, []) if a.status == "firing" and a.severity != "low"]:
            failures.append(f"{ticker}: expected at most low, got {paged[0].severity} {paged[0].event_type}")
    return failures


def run_scenarios(scenarios: Sequence[Scenario], models: Models, risk: RiskSettings) -> list[ScenarioResult]:
    results = []
    for scenario in scenarios:
        alerts = run_scenario(scenario, models, risk)
        results.append(ScenarioResult(scenario.name, scenario.expect.title, check(scenario, alerts), alerts))
    return results
