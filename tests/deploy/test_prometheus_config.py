"""deploy/prometheus: promtool accepts the config and rules, and the rule unit tests pass."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.deploy.promql import INSTALL_HINT, PROMETHEUS_DIR, rule_exprs

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason=INSTALL_HINT)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120)


@needs_promtool
def test_scrape_config_is_valid() -> None:
    done = promtool("check", "config", "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_rules_are_valid() -> None:
    done = promtool("check", "rules", "rules.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(rule_exprs())} rules found" in done.stdout


@needs_promtool
def test_rule_unit_tests_pass() -> None:
    done = promtool("test", "rules", "rules_test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_pipeline_alert_has_a_unit_test_and_a_runbook_line() -> None:
    import yaml

    rules = yaml.safe_load((PROMETHEUS_DIR / "rules.yml").read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    tests = (PROMETHEUS_DIR / "rules_test.yml").read_text()
    untested = {a for a in alerts if f"alertname: {a}" not in tests}
    assert not untested, f"alerts without a promtool test: {sorted(untested)}"
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
                assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
    # The list: worker down, lag growing, DLQ rate, delivery failures, model latency.
    assert {
        "FinsentryWorkerDown",
        "FinsentryConsumerLagGrowing",
        "FinsentryHighDLQRate",
        "FinsentryDeliveryFailures",
        "FinsentrySlowModel",
    } <= alerts
