"""The incident scenarios: the shipped tapes parse, and the checks catch each way alerts can differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.scenarios import SCENARIOS, Expectation, ExpectedIncident, Scenario, check, read_scenarios
from finsentry.contracts import Alert

T = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


def _alert(entity: str, severity: str, *, status: str = "firing", first: int = 0, by: str | None = "n1",
           types: tuple[str, ...] = ("bankruptcy",)) -> Alert:  # fmt: skip
    return Alert(
        alert_id=f"{entity}{severity}{status}{first}", dedup_key=entity, status=status, severity=severity,  # type: ignore[arg-type]
        entity=entity, event_type=types[0], event_types=list(types), fired_by=by, risk_score=50, factors=[],
        headlines=[], news_ids=[], first_seen=T + timedelta(hours=first), last_seen=T,
    )  # fmt: skip


def _scenario(**expect: object) -> Scenario:
    return Scenario("x", [], Expectation(title="t", **expect))  # type: ignore[arg-type]


def test_the_shipped_scenarios_parse_and_cover_what_the_desk_asked() -> None:
    scenarios = read_scenarios()
    assert len(scenarios) >= 20
    covered = {tag for s in scenarios for tag in s.expect.covers}
    assert {
        "burst",
        "slow_slide",
        "corroborated",
        "denial",
        "rival",
        "analyst_action",
        "replay",
        "quiet_period",
    } <= covered
    assert all(s.news for s in scenarios)


def test_a_matching_run_passes() -> None:
    scenario = _scenario(
        incidents=[
            ExpectedIncident(
                entity="APTV",
                first="critical",
                peak="high..critical",
                escalates=False,
                resolved=True,
                event_types=["bankruptcy"],
                opened_by="n1",
            )
        ],
        quiet=["MCO"],
    )
    alerts = [_alert("APTV", "critical"), _alert("APTV", "critical", status="resolved", by=None)]
    assert check(scenario, alerts) == []


def test_each_difference_is_named() -> None:
    scenario = _scenario(
        incidents=[
            ExpectedIncident(
                entity="DG",
                first="medium",
                peak="high",
                escalates=True,
                resolved=True,
                event_types=["guidance_cut"],
                opened_by="n0",
            )
        ],
        quiet=["BAC"],
        at_most_low=["WMT"],
    )
    alerts = [_alert("DG", "low", types=("downgrade",)), _alert("BAC", "low"), _alert("WMT", "medium")]
    failures = check(scenario, alerts)
    assert any("first message low" in f for f in failures)
    assert any("peak low" in f for f in failures)
    assert any("0 escalations" in f for f in failures)
    assert any("still open" in f for f in failures)
    assert any("lack ['guidance_cut']" in f for f in failures)
    assert any("opened by n1" in f for f in failures)
    assert any(f.startswith("BAC: expected quiet") for f in failures)
    assert any(f.startswith("WMT: expected at most low") for f in failures)


def test_a_reopened_incident_counts_twice() -> None:
    scenario = _scenario(incidents=[ExpectedIncident(entity="CVS", incidents=1)])
    alerts = [_alert("CVS", "medium"), _alert("CVS", "medium", first=8, by="n5")]
    assert check(scenario, alerts) == ["CVS: 2 incidents, expected 1"]


def test_a_malformed_expectation_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "01-x.jsonl").write_text('{"id": "a", "headline": "Acme sued"}\n')
    (tmp_path / "01-x.expect.yaml").write_text("title: t\nincidnets: []\n")
    with pytest.raises(ValueError, match=r"01-x\.expect\.yaml"):
        read_scenarios(tmp_path)
    assert SCENARIOS.is_dir()
