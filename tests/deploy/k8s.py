"""Reading deploy/k8s and the deploy/k8s-secured overlay without a cluster.

`base_docs()` loads the resources deploy/k8s/kustomization.yaml lists. `secured_docs()`
renders the overlay in Python for the patch forms it uses (a strategic merge of a ConfigMap's
`data`, and JSON-patch `add` operations on every resource of a target kind); any other form
raises, so a new kind of patch fails the tests instead of being skipped. When kubectl is
installed, the tests also compare this rendering with `kubectl kustomize`.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.promql import REPO

K8S = REPO / "deploy" / "k8s"
SECURED = REPO / "deploy" / "k8s-secured"
KUBECTL = shutil.which("kubectl")

Doc = dict[str, Any]


def _load_all(path: Path) -> list[Doc]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def kustomization(root: Path) -> Doc:
    data: Doc = yaml.safe_load((root / "kustomization.yaml").read_text())
    return data


def base_docs() -> list[Doc]:
    docs: list[Doc] = []
    for resource in kustomization(K8S)["resources"]:
        docs.extend(_load_all(K8S / resource))
    return docs


def _json_pointer_add(doc: Doc, path: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.lstrip("/").split("/")]
    node: Any = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        if last == "-":
            node.append(copy.deepcopy(value))
        else:
            node.insert(int(last), copy.deepcopy(value))
    else:
        node[last] = copy.deepcopy(value)


def _matches(doc: Doc, target: Doc) -> bool:
    unknown = set(target) - {"kind", "group", "name"}
    if unknown:
        raise NotImplementedError(f"patch target fields {sorted(unknown)}")
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    return (
        doc["kind"] == target["kind"]
        and ("group" not in target or group == target["group"])
        and ("name" not in target or doc["metadata"]["name"] == target["name"])
    )


def render(root: Path) -> list[Doc]:
    """The overlay's resources with its patches applied (namespaces left out, as in the base)."""
    k = kustomization(root)
    unknown = set(k) - {"apiVersion", "kind", "namespace", "resources", "patches"}
    if unknown:
        raise NotImplementedError(f"kustomization fields {sorted(unknown)}")
    docs: list[Doc] = []
    for resource in k["resources"]:
        path = (root / resource).resolve()
        if path == K8S:
            docs.extend(base_docs())
        elif path.is_dir():
            raise NotImplementedError(f"resource {resource}: only the base folder")
        else:
            docs.extend(_load_all(path))
    for patch in k.get("patches", []):
        body = yaml.safe_load((root / patch["path"]).read_text())
        if "target" in patch:
            # JSON 6902: a list of operations, applied to every matching resource.
            hits = [d for d in docs if _matches(d, patch["target"])]
            if not hits:
                raise LookupError(f"{patch['path']}: no resource matches {patch['target']}")
            for op in body:
                if op["op"] != "add":
                    raise NotImplementedError(f"{patch['path']}: op {op['op']}")
                for doc in hits:
                    _json_pointer_add(doc, op["path"], op["value"])
        else:
            # Strategic merge: only a ConfigMap's data, merged key by key.
            if body["kind"] != "ConfigMap" or set(body) - {"apiVersion", "kind", "metadata", "data"}:
                raise NotImplementedError(f"{patch['path']}: strategic merge of {body['kind']}")
            (cm,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == body["metadata"]["name"]]
            cm["data"].update(body["data"])
    return docs


def secured_docs() -> list[Doc]:
    return render(SECURED)


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def kubectl_kustomize(root: Path) -> list[Doc]:
    assert KUBECTL is not None
    done = subprocess.run([KUBECTL, "kustomize", str(root)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]
