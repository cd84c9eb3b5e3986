"""deploy/grafana: provisioning and dashboards hang together and read only metrics we export."""

from __future__ import annotations

import re

import yaml
from prometheus_client import REGISTRY

import alerts.dispatch.metrics
import finsentry.metrics  # noqa: F401 - registers the pipeline's metrics
from tests.deploy.promql import (
    DASHBOARDS,
    GRAFANA_DIR,
    PROMETHEUS_DIR,
    dashboard_exprs,
    dashboard_panels,
    load_dashboard,
    rule_exprs,
)


def exported_names() -> set[str]:
    """Every sample name our registry can expose, whether a labelled child exists yet or not.

    prometheus_client keeps this map (name, with each suffix, -> collector) to refuse
    duplicates; it has no public accessor, and collect() omits children not created yet.
    """
    assert alerts.dispatch.metrics.DELIVERIES is not None  # the dispatcher's metrics are registered too
    return set(REGISTRY._names_to_collectors)


def recorded_names() -> set[str]:
    rules = yaml.safe_load((PROMETHEUS_DIR / "rules.yml").read_text())
    return {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}


def referenced(expr: str) -> set[str]:
    return set(re.findall(r"\bfinsentry(?:_[a-z0-9]+)+\b|\bfinsentry:[a-z0-9_:]+", expr))


def test_two_dashboards_with_at_least_ten_panels() -> None:
    titles = {load_dashboard(p)["title"] for p in DASHBOARDS}
    assert {"finsentry · pipeline health", "finsentry · market risk"} <= titles
    assert sum(len(dashboard_panels(p)) for p in DASHBOARDS) >= 10


def test_panels_are_well_formed_and_use_the_provisioned_datasource() -> None:
    ds = yaml.safe_load((GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = ds["datasources"][0]["uid"]
    uids = set()
    for path in DASHBOARDS:
        dash = load_dashboard(path)
        assert dash["uid"] not in uids
        uids.add(dash["uid"])
        ids = [p["id"] for p in dashboard_panels(path)]
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate panel ids"
        cells: set[tuple[int, int]] = set()
        for panel in dashboard_panels(path):
            assert panel["datasource"]["uid"] == uid, (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])
            g = panel["gridPos"]
            assert g["x"] + g["w"] <= 24, (path.name, panel["title"])
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & mine, f"{path.name}: {panel['title']} overlaps another panel"
            cells |= mine
            for t in panel["targets"]:
                assert t["datasource"]["uid"] == uid and t["expr"].strip()


def test_dashboards_provider_points_where_compose_mounts_them() -> None:
    provider = yaml.safe_load((GRAFANA_DIR / "provisioning" / "dashboards" / "finsentry.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    compose = yaml.safe_load((GRAFANA_DIR.parents[1] / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{path}:ro" in mounts


def test_every_metric_in_dashboards_and_rules_is_exported() -> None:
    known = exported_names() | recorded_names()
    unknown = {
        (e.where, name) for e in dashboard_exprs() + rule_exprs() for name in referenced(e.expr) if name not in known
    }
    assert not unknown, sorted(unknown)


def test_issue_metrics_are_all_exported() -> None:
    names = exported_names()
    for name in (
        "finsentry_events_consumed_total",
        "finsentry_events_produced_total",
        "finsentry_invalid_events_total",
        "finsentry_batch_size_bucket",
        "finsentry_model_inference_seconds_bucket",
        "finsentry_event_to_enriched_seconds_bucket",
        "finsentry_event_to_alert_seconds_bucket",
        "finsentry_alerts_total",
        "finsentry_sentiment_total",
        "finsentry_entity_risk_score",
        "finsentry_consumer_lag",
        "finsentry_model_info",
        "finsentry_deliveries_total",
        "finsentry_delivery_seconds_bucket",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
    ):
        assert name in names, name
