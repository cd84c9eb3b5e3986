"""The desk-label evaluation: scoring alerts against labelled headlines, and the labelled set itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from alerts.evaluation import DESK_LABELS, DeskItem, at_least, read_desk_labels, score_desk
from finsentry.contracts import Alert

T = datetime(2026, 1, 5, tzinfo=UTC)


def _alert(entity: str, severity: str, status: str = "firing") -> Alert:
    return Alert(
        alert_id="x", dedup_key=f"{entity}:e", status=status, severity=severity, entity=entity,  # type: ignore[arg-type]
        event_type="e", risk_score=50, factors=[], headlines=[], news_ids=[], first_seen=T, last_seen=T,
    )  # fmt: skip


def test_paging_starts_at_medium() -> None:
    assert not at_least("low") and at_least("medium") and at_least("critical") and not at_least(None)


def test_a_broker_paged_for_its_own_call_is_a_false_alarm_and_a_miss() -> None:
    items = [
        DeskItem("1", "Goldman cuts Acme to sell", "ACME", "medium", "dev"),  # the broker was paged, not Acme
        DeskItem("2", "Acme files for Chapter 11", "ACME", "critical", "dev"),  # caught
        DeskItem("3", "Acme opens a store", "ACME", "none", "dev"),  # a false alarm
        DeskItem("4", "Acme trims its target", "ACME", "low", "dev"),  # low alert for low: not paged, right
    ]
    alerts = [[_alert("GS", "medium")], [_alert("ACME", "critical")], [_alert("ACME", "high")], [_alert("ACME", "low")]]
    report = score_desk(items, alerts)
    assert (report.company.tp, report.company.fp, report.company.fn, report.company.tn) == (1, 1, 1, 1)
    assert (report.headline.tp, report.headline.fp, report.headline.fn) == (2, 1, 0)
    assert report.confusion["medium"]["none"] == 1 and report.confusion["none"]["high"] == 1
    assert report.alerts_per_headline == 1.0


def test_resolved_alerts_do_not_count_as_pages() -> None:
    items = [DeskItem("1", "Acme sued", "ACME", "none", "dev")]
    report = score_desk(items, [[_alert("ACME", "medium", status="resolved")]])
    assert report.company.fp == 0


def test_the_shipped_desk_set_has_two_readers_and_a_frozen_test_part() -> None:
    items = read_desk_labels()
    # The first 800 (dev / test), a second sample of 400 (dev2 / test2) and a third of 300
    # (dev3 / test3), each labelled before the scoring ran on it.
    assert len(items) == 1500
    assert sum(i.split == "test" for i in items) >= 300
    assert {i.split for i in items} == {"dev", "test", "dev2", "test2", "dev3", "test3"}
    assert {i.label for i in items} == {"none", "low", "medium", "high", "critical"}
    rows = [json.loads(line) for line in DESK_LABELS.read_text().splitlines()]
    assert all(r["reader1"]["label"] and r["reader2"]["label"] for r in rows)
    assert len({r["text"] for r in rows}) == len(rows)  # no headline twice


def test_alerts_per_1000_headlines_by_severity() -> None:
    items = [DeskItem(str(i), "x", "ACME", "none", "dev") for i in range(4)]
    report = score_desk(items, [[_alert("ACME", "low")], [_alert("ACME", "high")], [], []])
    assert report.per_1000() == {"low": 250.0, "medium": 0.0, "high": 250.0, "critical": 0.0}


def test_linked_counts_only_headlines_whose_labelled_company_was_linked() -> None:
    """A miss of an unlinked company is a miss of the company list, not of the scoring."""
    items = [
        DeskItem("1", "Acme sued by SEC", "ACME", "medium", "dev"),  # linked, alerted: tp
        DeskItem("2", "Acme Two sued", "ACMT", "medium", "dev"),  # not linked: only in `company`
        DeskItem("3", "Acme recalls", "ACME", "high", "dev"),  # linked, missed: fn
    ]
    alerts = [[_alert("ACME", "medium")], [], [_alert("ACME", "low")]]
    report = score_desk(items, alerts, [frozenset({"ACME"}), frozenset(), frozenset({"ACME", "GS"})])
    assert (report.company.tp, report.company.fn) == (1, 2)
    assert report.linked is not None and (report.linked.tp, report.linked.fn) == (1, 1)
    assert report.as_dict()["linked"] == report.linked.as_dict()
    assert "linked" not in score_desk(items, alerts).as_dict()
