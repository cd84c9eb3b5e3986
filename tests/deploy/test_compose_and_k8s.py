"""docker-compose.yml, the Dockerfile and deploy/k8s agree with each other and with the
Prometheus config: same ports, same job names, mounted files that exist."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts.dispatch.routing import SmtpReceiverConfig, load_routing
from finsentry.settings import MetricsSettings
from tests.deploy.promql import PROMETHEUS_DIR, REPO

K8S = REPO / "deploy" / "k8s"


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return data


def scrape_ports() -> dict[str, int]:
    shipped = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    return {
        job["job_name"]: int(job["dns_sd_configs"][0]["port"])
        for job in shipped["scrape_configs"]
        if "dns_sd_configs" in job
    }


def test_compose_has_the_whole_stack() -> None:
    services = compose()["services"]
    assert {"kafka", "kafka-init", "worker", "dispatcher", "prometheus", "grafana", "mailpit"} <= set(services)
    assert services["kafka"]["image"] == "apache/kafka:4.4.0"
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft, no ZooKeeper
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["worker"]["command"] == ["worker"]
    assert services["dispatcher"]["command"] == ["dispatch"]


def test_compose_ports_match_the_scrape_config() -> None:
    services = compose()["services"]
    ports = scrape_ports()
    worker_port = int(services["worker"]["environment"]["FINSENTRY_METRICS__PORT"])
    dispatcher_port = int(services["dispatcher"]["environment"]["FINSENTRY_METRICS__PORT"]) + 1
    assert ports["finsentry-worker"] == worker_port
    assert ports["finsentry-dispatcher"] == dispatcher_port
    assert str(worker_port) in services["worker"]["expose"]
    assert str(dispatcher_port) in services["dispatcher"]["expose"]
    for name in ("worker", "dispatcher"):
        assert services[name]["environment"]["FINSENTRY_METRICS__HOST"] == "0.0.0.0"
    shipped = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    names = {cfg["names"][0] for job in shipped["scrape_configs"] for cfg in job.get("dns_sd_configs", [])}
    assert names == {"worker", "dispatcher"} <= set(services)


def test_compose_bind_mounts_exist() -> None:
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_compose_routing_sends_to_mailpit() -> None:
    services = compose()["services"]
    mount = next(v for v in services["dispatcher"]["volumes"] if "routing" in v)
    host_path, container_path = mount.split(":")[:2]
    assert services["dispatcher"]["environment"]["FINSENTRY_DISPATCH__ROUTING_FILE"] == container_path
    config = load_routing(REPO / host_path)
    smtp = [r for r in config.receivers.values() if isinstance(r, SmtpReceiverConfig)]
    assert smtp and all(r.host == "mailpit" and r.port == 1025 and r.tls == "none" for r in smtp)


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="apt-get install -y docker-compose")
def test_docker_compose_1_29_accepts_the_file() -> None:
    done = subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config", "-q"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_dockerfile_builds_the_package_on_python_311_slim() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert text.count("FROM ") == 1 and "FROM python:3.11-slim" in text
    assert "pip install ." in text
    assert 'ENTRYPOINT ["finsentry"]' in text
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "var"} <= set(ignored)  # no local venv or model files in the build context


def k8s_docs() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs.extend(d for d in yaml.safe_load_all((K8S / resource).read_text()) if d)
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == kind}


def test_k8s_ports_annotations_and_selectors_agree() -> None:
    config = by_kind("ConfigMap")["finsentry-config"]["data"]
    port = int(config["FINSENTRY_METRICS__PORT"])
    deployments = by_kind("Deployment")
    services = by_kind("Service")
    # Deployment -> (its Service, i.e. its Prometheus job, and metrics port): both worker
    # pools are one job.
    expected = {
        "finsentry-enrich": ("finsentry-worker", port),
        "finsentry-score": ("finsentry-worker", port),
        "finsentry-dispatcher": ("finsentry-dispatcher", port + 1),
    }
    assert set(deployments) == set(expected)
    for name, (service, want) in expected.items():
        pod = deployments[name]["spec"]["template"]
        assert deployments[name]["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        container = pod["spec"]["containers"][0]
        assert container["envFrom"][0]["configMapRef"]["name"] == "finsentry-config"
        named = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert named["metrics"] == want
        svc = services[service]
        assert svc["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        assert svc["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
        assert int(svc["metadata"]["annotations"]["prometheus.io/port"]) == want
        assert svc["spec"]["ports"][0]["targetPort"] == "metrics"


def test_k8s_workers_share_one_consumer_group() -> None:
    config = by_kind("ConfigMap")["finsentry-config"]["data"]
    scaled = {so["spec"]["scaleTargetRef"]["name"]: so["spec"] for so in by_kind("ScaledObject").values()}
    for name, stage in (("finsentry-enrich", "enrich"), ("finsentry-score", "score")):
        worker = by_kind("Deployment")[name]
        # The pool's size is the ScaledObject's (test_k8s_autoscaling.py), up to the partitions.
        assert "replicas" not in worker["spec"] and scaled[name]["maxReplicaCount"] >= 2
        container = worker["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["worker", "--stage", stage]
        # The group comes from the shared ConfigMap only, never per pod.
        assert not any(e.get("name") == "FINSENTRY_STREAM__APP_ID" for e in container.get("env", []))
    assert config["FINSENTRY_STREAM__APP_ID"]
    assert config["FINSENTRY_METRICS__HOST"] == "0.0.0.0"


def test_k8s_routing_file_is_mounted_where_the_settings_look() -> None:
    config = by_kind("ConfigMap")["finsentry-config"]["data"]
    dispatcher = by_kind("Deployment")["finsentry-dispatcher"]["spec"]["template"]["spec"]
    mount = next(m for m in dispatcher["containers"][0]["volumeMounts"] if m["name"] == "routing")
    item = next(v for v in dispatcher["volumes"] if v["name"] == "routing")["configMap"]["items"][0]
    assert Path(mount["mountPath"]) / item["path"] == Path(config["FINSENTRY_DISPATCH__ROUTING_FILE"])
    assert item["key"] in config


def test_k8s_scrape_snippet_keeps_the_job_names_rules_use() -> None:
    snippet = yaml.safe_load((K8S / "prometheus-scrape.yml").read_text())
    assert {j["job_name"] for j in snippet["scrape_configs"]} == set(scrape_ports())


def test_settings_default_port_matches_the_deployments() -> None:
    assert MetricsSettings().port == scrape_ports()["finsentry-worker"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders() -> None:
    done = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(done.stdout) if d]
    assert kinds.count("Deployment") == 3 and kinds.count("Service") == 2 and "ConfigMap" in kinds
    assert kinds.count("ScaledObject") == 2


@pytest.mark.kafka
def test_compose_kafka_init_command_creates_the_topics(kafka_bootstrap: str) -> None:
    """The one-shot kafka-init service's Python, run against the test broker."""
    import sys

    from finsentry import kafka_local, topics

    init = compose()["services"]["kafka-init"]
    assert init["entrypoint"] == ["python", "-c"]
    code = init["command"][0]
    compose_bootstrap = compose()["services"]["worker"]["environment"]["FINSENTRY_KAFKA"]
    assert compose_bootstrap in code
    done = subprocess.run(
        [sys.executable, "-c", code.replace(compose_bootstrap, kafka_bootstrap)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("created")
    assert kafka_local.describe_topics(kafka_bootstrap) == topics.PARTITIONS
