"""Helpers for the deploy tests: every PromQL expression we ship, and a real Prometheus.

`dashboard_exprs()` and `rule_exprs()` collect the expressions of deploy/grafana/dashboards
and deploy/prometheus/rules.yml; `PrometheusProc` runs Debian's `prometheus` binary on
loopback with a config derived from deploy/prometheus/prometheus.yml (same job names,
static loopback targets instead of Docker DNS).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
GRAFANA_DIR = REPO / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA_DIR / "dashboards").glob("*.json"))
INSTALL_HINT = "Prometheus is not installed: run deploy/prometheus/install.sh (make test does)"

# What Grafana substitutes before it sends a query; the values suit a 1 s scrape interval.
GRAFANA_VARS: Mapping[str, str] = {"$__rate_interval": "15s", "$__interval": "5s", "$__range": "5m"}


@dataclass(frozen=True)
class Expr:
    where: str  # "dashboard <title> / panel <title> / <refId>" or "rule <group>/<name>"
    expr: str


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))  # collapsed rows hold their panels


def load_dashboard(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def dashboard_panels(path: Path) -> list[dict[str, Any]]:
    return [p for p in _panels(load_dashboard(path)["panels"]) if p.get("type") != "row"]


def dashboard_exprs() -> list[Expr]:
    out: list[Expr] = []
    for path in DASHBOARDS:
        title = load_dashboard(path)["title"]
        for panel in dashboard_panels(path):
            for target in panel.get("targets", []):
                out.append(Expr(f"dashboard {title} / panel {panel['title']} / {target['refId']}", target["expr"]))
    return out


def rule_exprs() -> list[Expr]:
    rules = yaml.safe_load((PROMETHEUS_DIR / "rules.yml").read_text())
    return [
        Expr(f"rule {group['name']}/{rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in rules["groups"]
        for rule in group["rules"]
    ]


def grafana_to_promql(expr: str) -> str:
    for var, val in GRAFANA_VARS.items():
        expr = expr.replace(var, val)
    return expr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback_config(targets: Mapping[str, str], *, interval: str = "1s") -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with each job scraping a loopback target instead.

    Jobs of the shipped file that are not in `targets` are dropped; a job in `targets`
    that the shipped file lacks is an error, so the test follows the shipped job names.
    """
    shipped = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in shipped["scrape_configs"]}
    unknown = set(targets) - set(jobs)
    if unknown:
        raise KeyError(f"jobs not in deploy/prometheus/prometheus.yml: {sorted(unknown)}")
    return {
        "global": {**shipped["global"], "scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(PROMETHEUS_DIR / f) for f in shipped["rule_files"]],
        "scrape_configs": [
            {"job_name": name, "scrape_interval": interval, "static_configs": [{"targets": [target]}]}
            for name, target in targets.items()
        ],
    }


class PrometheusProc:
    def __init__(self, workdir: Path, config: dict[str, Any]) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.log_path = workdir / "prometheus.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"prometheus not ready in {timeout_s}s:\n{self.log()[-3000:]}")

    def api(self, path: str, **params: str) -> dict[str, Any]:
        """GET /api/v1/<path>; returns the JSON body even for 4xx answers (bad queries)."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                body: dict[str, Any] = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read())
        return body

    def query(self, expr: str) -> dict[str, Any]:
        return self.api("query", query=expr)

    def vector(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query's samples as (labels, value); raises on a query error."""
        body = self.query(expr)
        if body.get("status") != "success":
            raise ValueError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
        data = body["data"]
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]

    def scalar(self, expr: str) -> float | None:
        got = self.vector(expr)
        return got[0][1] if got else None

    def wait_for(self, expr: str, predicate: Any, timeout_s: float) -> float | None:
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            last = self.scalar(expr)
            if last is not None and predicate(last):
                return last
            time.sleep(1.0)
        return last

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
