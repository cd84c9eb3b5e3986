"""deploy/k8s autoscaling (KEDA) and the deploy/k8s-secured overlay, checked against the code:
consumer groups and topics, partition counts, the documented lag threshold, the settings'
security fields; built-in kinds against the Kubernetes JSON schemas (kubernetes-validate)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, cast

import pytest

from finsentry import topics
from finsentry.settings import Settings
from tests.deploy.k8s import (
    K8S,
    KUBECTL,
    SECURED,
    Doc,
    base_docs,
    by_kind,
    kubectl_kustomize,
    secured_docs,
)
from tests.deploy.promql import REPO

DOCS = REPO / "docs" / "deploy.md"
SECRET = "finsentry-kafka-credentials"
MOUNT = PurePosixPath("/etc/finsentry/kafka")
SECURITY_PREFIX = "FINSENTRY_KAFKA_SECURITY__"
# Kubernetes version the built-in kinds are validated against (KEDA 2.12+ supports it).
K8S_VERSION = "1.30"

# What KEDA's kafka scaler and its CRDs accept (keda.sh docs, scalers/apache-kafka and
# concepts/scaling-deployments); a typo in a key is silently ignored by KEDA, so catch it here.
KAFKA_METADATA = {
    "bootstrapServers",
    "consumerGroup",
    "topic",
    "lagThreshold",
    "activationLagThreshold",
    "offsetResetPolicy",
    "allowIdleConsumers",
    "scaleToZeroOnInvalidOffset",
    "excludePersistentLag",
    "limitToPartitionsWithLag",
    "ensureEvenDistributionOfPartitions",
    "version",
    "partitionLimitation",
    "sasl",
    "tls",
    "unsafeSsl",
}
KAFKA_AUTH_PARAMETERS = {"sasl", "username", "password", "tls", "ca", "cert", "key", "keyPassword"}
SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
TRIGGER_KEYS = {"type", "name", "metadata", "authenticationRef", "metricType", "useCachedMetrics"}
# The settings' SASL mechanism (Kafka's names) -> KEDA's `sasl` value.
KEDA_SASL = {"PLAIN": "plaintext", "SCRAM-SHA-256": "scram_sha256", "SCRAM-SHA-512": "scram_sha512"}


def config_data(docs: list[Doc]) -> dict[str, str]:
    data: dict[str, str] = by_kind(docs, "ConfigMap")["finsentry-config"]["data"]
    return data


def container(deployment: Doc) -> Doc:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    c: Doc = only
    return c


def code_pools(app_id: str) -> dict[str, tuple[str, str, str]]:
    """{stage: (consumer group, topic, auto_offset_reset)} as the code builds its consumers."""
    from finsentry.models import load_models
    from streams.app import create_app
    from streams.enrich import EnrichService

    settings = Settings(_env_file=None, stream={"app_id": app_id})
    enrich = EnrichService(settings, load_models(settings, "noop"))
    score = create_app(settings, score=False)
    return {
        "enrich": (enrich.group_id, enrich.source.topic, enrich.source._options["auto_offset_reset"]),
        "score": (score.conf.id, topics.ENRICHED, score.conf.consumer_auto_offset_reset),
    }


def stage_of(deployment: Doc) -> str:
    args = container(deployment)["args"]
    assert args[:2] == ["worker", "--stage"], args
    stage: str = args[2]
    return stage


def documented_threshold() -> tuple[int, int, int, int]:
    """(catch-up s, events/s, product, threshold) from the line in docs/deploy.md."""
    m = re.search(r"lagThreshold = (\d+) s × (\d+) events/s = ([\d,]+) ≈ ([\d,]+)", DOCS.read_text())
    assert m, "docs/deploy.md lost the lagThreshold arithmetic line"
    a, b, c, d = (int(g.replace(",", "")) for g in m.groups())
    return a, b, c, d


def documented_pools() -> dict[str, dict[str, str]]:
    """The autoscaling table of docs/deploy.md, by Deployment name."""
    text = DOCS.read_text()
    header = "| pool | Deployment | consumer group | topic | lagThreshold | maxReplicaCount |"
    assert header in text
    rows = text.split(header, 1)[1].splitlines()[2:]
    out: dict[str, dict[str, str]] = {}
    for row in rows:
        if not row.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in row.strip("|").split("|")]
        keys = ("pool", "deployment", "group", "topic", "lagThreshold", "maxReplicaCount")
        out[cells[1]] = dict(zip(keys, cells, strict=True))
    return out


# --- the pools ----------------------------------------------------------------------------


def test_each_stage_is_its_own_deployment_and_the_hpa_owns_the_count() -> None:
    deployments = by_kind(base_docs(), "Deployment")
    stages = {name: stage_of(d) for name, d in deployments.items() if name != "finsentry-dispatcher"}
    assert stages == {"finsentry-enrich": "enrich", "finsentry-score": "score"}
    for name in stages:
        # A `replicas` here would reset the HPA's count on every apply.
        assert "replicas" not in deployments[name]["spec"], name
    # Only the enrich pool loads models; the score pool reads what enrich wrote.
    mounts = {n: {m["mountPath"] for m in container(deployments[n]).get("volumeMounts", [])} for n in stages}
    assert "/app/var/models" in mounts["finsentry-enrich"]
    assert "/app/var/models" not in mounts["finsentry-score"]


def test_scaled_objects_match_the_code_and_the_partitions() -> None:
    docs = base_docs()
    deployments = by_kind(docs, "Deployment")
    scaled = by_kind(docs, "ScaledObject")
    config = config_data(docs)
    pools = code_pools(config["FINSENTRY_STREAM__APP_ID"])
    targeted = set()
    for name, so in scaled.items():
        spec = so["spec"]
        assert so["apiVersion"] == "keda.sh/v1alpha1"
        assert set(spec) <= SCALED_OBJECT_SPEC, name
        target = spec["scaleTargetRef"]
        assert target.get("kind", "Deployment") == "Deployment" and target["name"] in deployments, name
        targeted.add(target["name"])
        (trigger,) = spec["triggers"]
        assert set(trigger) <= TRIGGER_KEYS and trigger["type"] == "kafka", name
        meta = trigger["metadata"]
        assert set(meta) <= KAFKA_METADATA, set(meta) - KAFKA_METADATA
        # KEDA's metadata is map[string]string: a bare number or boolean is rejected.
        assert all(isinstance(v, str) for v in meta.values()), meta
        group, topic, reset = pools[stage_of(deployments[target["name"]])]
        assert (meta["consumerGroup"], meta["topic"]) == (group, topic), name
        assert meta["offsetResetPolicy"] == reset, name
        assert meta["bootstrapServers"] == config["FINSENTRY_KAFKA"], name
        # Replicas capped by the partitions: KEDA's own cap, and maxReplicaCount.
        assert meta["allowIdleConsumers"] == "false", name
        assert spec["maxReplicaCount"] == topics.PARTITIONS[topic], name
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], name
        assert int(meta["activationLagThreshold"]) <= int(meta["lagThreshold"]), name
    assert targeted == {"finsentry-enrich", "finsentry-score"}


def test_lag_threshold_is_the_documented_arithmetic() -> None:
    catch_up_s, per_worker, product, threshold = documented_threshold()
    assert catch_up_s * per_worker == product
    assert round(product, -3) == threshold
    table = documented_pools()
    docs = base_docs()
    scaled = by_kind(docs, "ScaledObject")
    assert set(table) == {so["spec"]["scaleTargetRef"]["name"] for so in scaled.values()}
    for so in scaled.values():
        meta = so["spec"]["triggers"][0]["metadata"]
        row = table[so["spec"]["scaleTargetRef"]["name"]]
        assert int(meta["lagThreshold"]) == threshold == int(row["lagThreshold"])
        assert (row["group"], row["topic"]) == (meta["consumerGroup"], meta["topic"])
        assert int(row["maxReplicaCount"]) == so["spec"]["maxReplicaCount"]
    # The header comment of autoscaling.yaml repeats the figures.
    assert f"{threshold} = {catch_up_s} s x {per_worker} events/s" in (K8S / "autoscaling.yaml").read_text()


def test_the_worker_service_scrapes_both_pools_only() -> None:
    docs = base_docs()
    svc = by_kind(docs, "Service")["finsentry-worker"]["spec"]["selector"]
    for name, d in by_kind(docs, "Deployment").items():
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert (svc.items() <= labels.items()) == (name != "finsentry-dispatcher"), name


# --- the secured overlay ------------------------------------------------------------------


def test_base_is_plaintext() -> None:
    docs = base_docs()
    assert not any(k.startswith(SECURITY_PREFIX) for k in config_data(docs))
    for d in by_kind(docs, "Deployment").values():
        assert not any("secret" in v for v in d["spec"]["template"]["spec"].get("volumes", [])), d["metadata"]["name"]
    assert not by_kind(docs, "TriggerAuthentication")


def test_secured_overlay_mounts_the_secret_in_every_kafka_client() -> None:
    docs = secured_docs()
    config = config_data(docs)
    deployments = by_kind(docs, "Deployment")
    assert set(deployments) == {"finsentry-enrich", "finsentry-score", "finsentry-dispatcher"}
    for name, d in deployments.items():
        pod = d["spec"]["template"]["spec"]
        (volume,) = [v for v in pod["volumes"] if v.get("secret", {}).get("secretName") == SECRET]
        c = container(d)
        assert any(e.get("configMapRef", {}).get("name") == "finsentry-config" for e in c["envFrom"]), name
        mounts = {m["name"]: m for m in c["volumeMounts"]}
        assert PurePosixPath(mounts[volume["name"]]["mountPath"]) == MOUNT and mounts[volume["name"]]["readOnly"]
        # No other volume may hold the mount point (a nested mount inside a ConfigMap volume).
        for other in mounts.values():
            if other["name"] != volume["name"]:
                assert not MOUNT.is_relative_to(other["mountPath"]), (name, other)
        # The settings come from the shared ConfigMap only, never per Deployment.
        assert not any(e["name"].startswith(SECURITY_PREFIX) for e in c.get("env", [])), name
    # Every *_FILE setting is one of the Secret's keys, as docs/deploy.md creates it.
    created = set(re.findall(r"--from-file=([\w.]+)=", DOCS.read_text()))
    assert created == {"ca.crt", "client.crt", "client.key", "password"}
    files = {k: v for k, v in config.items() if k.startswith(SECURITY_PREFIX) and k.endswith("_FILE")}
    assert len(files) == 4
    for key, path in files.items():
        assert PurePosixPath(path).parent == MOUNT and PurePosixPath(path).name in created, key


def test_secured_overlay_authenticates_keda_with_the_same_credentials() -> None:
    docs = secured_docs()
    config = config_data(docs)
    auths = by_kind(docs, "TriggerAuthentication")
    deployments = by_kind(docs, "Deployment")
    created = set(re.findall(r"--from-file=([\w.]+)=", DOCS.read_text()))
    for name, auth in auths.items():
        assert auth["apiVersion"] == "keda.sh/v1alpha1"
        assert set(auth["spec"]) <= {"secretTargetRef", "env", "configMapTargetRef"}, name
        refs = auth["spec"]["secretTargetRef"]
        assert {r["name"] for r in refs} == {SECRET}
        assert {r["key"] for r in refs} <= created
        for ref in auth["spec"].get("env", []):
            assert ref["name"] in config, ref  # resolved through the target's envFrom
        params = [r["parameter"] for r in refs + auth["spec"].get("env", [])]
        assert set(params) <= KAFKA_AUTH_PARAMETERS and len(params) == len(set(params)), params
    protocol = config[f"{SECURITY_PREFIX}PROTOCOL"]
    for name, so in by_kind(docs, "ScaledObject").items():
        trigger = so["spec"]["triggers"][0]
        assert trigger["authenticationRef"]["name"] in auths, name
        auth = auths[trigger["authenticationRef"]["name"]]
        target = deployments[so["spec"]["scaleTargetRef"]["name"]]
        for ref in auth["spec"].get("env", []):
            assert ref["containerName"] == container(target)["name"], (name, ref)
        meta = trigger["metadata"]
        assert set(meta) <= KAFKA_METADATA and all(isinstance(v, str) for v in meta.values()), name
        # KEDA must speak the protocol the pods speak.
        assert (meta.get("tls") == "enable") == (protocol in ("SSL", "SASL_SSL")), name
        if protocol.startswith("SASL_"):
            assert meta["sasl"] == KEDA_SASL[config[f"{SECURITY_PREFIX}SASL_MECHANISM"]], name


def test_security_env_vars_are_the_settings_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    field = Settings.model_fields.get("kafka_security")
    if field is None:
        pytest.skip("finsentry.settings has no kafka_security block yet (issue 14, secured connections)")
    env = {k: v for k, v in config_data(secured_docs()).items() if k.startswith(SECURITY_PREFIX)}
    model: Any = field.annotation
    names = {k.removeprefix(SECURITY_PREFIX).lower() for k in env}
    assert names <= set(model.model_fields), names - set(model.model_fields)
    assert {"protocol", "ca_file", "cert_file", "key_file", "sasl_mechanism", "username", "password_file"} <= names
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # Through the settings' own env parsing (prefix, `__` nesting, types), no .env file.
    security = cast(Any, Settings(_env_file=None)).kafka_security
    for name in names:
        got = getattr(security, name)
        want = env[f"{SECURITY_PREFIX}{name.upper()}"]
        assert (str(got).lower() if isinstance(got, bool) else str(got)) == want, name


# --- schemas and the real renderer --------------------------------------------------------


def test_built_in_kinds_match_the_kubernetes_schemas() -> None:
    kv = pytest.importorskip("kubernetes_validate", reason="pip install -e '.[dev]' (kubernetes-validate)")
    docs = base_docs() + secured_docs()
    if KUBECTL is not None:
        docs += kubectl_kustomize(K8S) + kubectl_kustomize(SECURED)
    checked = 0
    for doc in docs:
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: no schema in the package; the tests above check its structure
        kv.validate(doc, K8S_VERSION, strict=True)
        checked += 1
    assert checked >= 16
    # The validator does reject a broken resource (so the loop above is not vacuous).
    broken = by_kind(base_docs(), "Deployment")["finsentry-enrich"]
    container(broken)["volumeMounts"][0]["readOnly"] = "yes"
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, K8S_VERSION, strict=True)


def _essentials(docs: list[Doc]) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for d in docs:
        key = (d["kind"], d["metadata"]["name"])
        if d["kind"] == "Deployment":
            pod = d["spec"]["template"]["spec"]
            out[key] = (pod["volumes"], [c.get("volumeMounts") for c in pod["containers"]], container(d)["args"])
        elif d["kind"] == "ConfigMap":
            out[key] = d["data"]
        elif d["kind"] in ("ScaledObject", "TriggerAuthentication"):
            out[key] = d["spec"]
    return out


@pytest.mark.skipif(KUBECTL is None, reason="kubectl not installed")
@pytest.mark.parametrize("root", [K8S, SECURED], ids=["base", "secured"])
def test_kubectl_kustomize_renders_what_the_tests_check(root: Path) -> None:
    rendered = kubectl_kustomize(root)
    assert {d["metadata"].get("namespace") for d in rendered if d["kind"] != "Namespace"} == {"finsentry"}
    ours = base_docs() if root == K8S else secured_docs()
    assert _essentials(rendered) == _essentials(ours)
