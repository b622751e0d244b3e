"""Reading the deployment files: the overlays as `kubectl kustomize` builds them, their pods and
containers, label selectors and network policies, the compose file and the Dockerfile."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from deploy.local.stack import BEAT_SERVICES, ROOT
from shop import SERVICES

__all__ = ["BEAT_SERVICES", "ROOT", "SERVICES"]

K8S = ROOT / "deploy" / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if path.is_dir())
DOCKER = ROOT / "deploy" / "docker"
README = ROOT / "deploy" / "README.md"
ROUTES = K8S / "base" / "gateway" / "shop.conf"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
APP_COMPONENTS = ("web", "worker", "relay", "beat", "migrate")


def kubectl() -> str:
    found = os.environ.get("KUBECTL") or shutil.which("kubectl") or "/usr/bin/kubectl"
    if not os.access(found, os.X_OK):
        raise FileNotFoundError("kubectl is needed to build the overlays (or set KUBECTL)")
    return found


@functools.cache
def build(overlay: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize deploy/k8s/overlays/<overlay>`, parsed; built once per test run."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, f"kustomize {overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def named(docs: tuple[dict, ...], kind: str, name: str) -> dict:
    found = [doc for doc in docs if doc["kind"] == kind and doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def of_kind(docs: tuple[dict, ...], kind: str) -> list[dict]:
    return [doc for doc in docs if doc["kind"] == kind]


def generated(docs: tuple[dict, ...], kind: str, name: str) -> dict:
    """A generated ConfigMap: `name` plus kustomize's hash suffix."""
    pattern = re.compile(rf"{re.escape(name)}-[a-z0-9]{{10}}")
    found = [
        doc for doc in docs if doc["kind"] == kind and pattern.fullmatch(doc["metadata"]["name"])
    ]
    assert len(found) == 1, f"expected one generated {kind} {name}, found {len(found)}"
    return found[0]


# -- workloads, pods, containers -----------------------------------------------------------------
@dataclass(frozen=True)
class Workload:
    doc: dict

    @property
    def kind(self) -> str:
        return self.doc["kind"]

    @property
    def name(self) -> str:
        return self.doc["metadata"]["name"]

    @property
    def template(self) -> dict:
        return self.doc["spec"]["template"]

    @property
    def pod(self) -> dict:
        return self.template["spec"]

    @property
    def labels(self) -> dict[str, str]:
        return self.template["metadata"]["labels"]

    @property
    def service(self) -> str | None:
        """The shop service the pods belong to (None for the gateway, RabbitMQ, databases)."""
        name = self.labels.get("app.kubernetes.io/name")
        return name if name in SERVICES else None

    @property
    def component(self) -> str:
        return self.labels["app.kubernetes.io/component"]

    def containers(self, *, init: bool = True) -> list[dict]:
        return [*(self.pod.get("initContainers", []) if init else []), *self.pod["containers"]]

    def container(self, name: str) -> dict:
        found = [c for c in self.pod["containers"] if c["name"] == name]
        assert len(found) == 1, f"{self}: no container {name}"
        return found[0]

    def secret_volumes(self) -> dict[str, str]:
        """Volume name -> Secret name."""
        return {
            volume["name"]: volume["secret"]["secretName"]
            for volume in self.pod.get("volumes", [])
            if "secret" in volume
        }

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


def workloads(docs: tuple[dict, ...]) -> list[Workload]:
    return [Workload(doc) for doc in docs if doc["kind"] in WORKLOAD_KINDS]


def app_workloads(docs: tuple[dict, ...], service: str | None = None) -> list[Workload]:
    return [
        workload
        for workload in workloads(docs)
        if workload.service and (service is None or workload.service == service)
    ]


def env_values(docs: tuple[dict, ...], container: dict) -> dict[str, str]:
    """What the container's environment holds in plain values: its ConfigMaps (envFrom, in
    order) and literal `env` values. Secret references are left out."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            values.update(named(docs, "ConfigMap", name).get("data", {}))
    for variable in container.get("env", []):
        if "value" in variable:
            values[variable["name"]] = variable["value"]
    return values


def secret_refs(workload: Workload) -> Iterator[tuple[str, str | None]]:
    """(Secret name, key) for every Secret the pod uses; key None for a whole Secret."""
    for container in workload.containers():
        for variable in container.get("env", []):
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                yield ref["name"], ref["key"]
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                yield source["secretRef"]["name"], None
    for secret in workload.secret_volumes().values():
        yield secret, None


def command(container: dict) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def gunicorn_settings(command: list[str]) -> dict[str, Any]:
    """The settings a `... gunicorn <app> [options]` command line runs with, resolved by gunicorn
    itself as it starts: the config file it names (relative paths from the repository root, the
    image's working directory), then the command line's options, which win."""
    from gunicorn.app.wsgiapp import WSGIApplication

    arguments = command[command.index("gunicorn") + 1 :]
    saved = sys.argv
    sys.argv = ["gunicorn", *arguments]
    try:
        with contextlib.chdir(ROOT):
            application = WSGIApplication()
    finally:
        sys.argv = saved
    return {name: setting.get() for name, setting in application.cfg.settings.items()}


# -- label selectors and network policies --------------------------------------------------------
def selects(selector: dict | None, labels: dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels, matchExpressions) selects these labels; {} selects
    everything."""
    selector = selector or {}
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def policies_for(docs: tuple[dict, ...], labels: dict[str, str], direction: str) -> list[dict]:
    """The NetworkPolicies that select these pod labels for `direction` (Ingress or Egress)."""
    return [
        policy
        for policy in of_kind(docs, "NetworkPolicy")
        if direction in policy["spec"].get("policyTypes", ["Ingress"])
        and selects(policy["spec"]["podSelector"], labels)
    ]


@dataclass(frozen=True)
class Rule:
    """One allowed peer of one rule: pods (a podSelector in the policy's namespace), another
    namespace's pods, or addresses; with the rule's ports (empty: every port)."""

    peer: dict
    ports: frozenset[tuple[str, int | str]]

    def reaches_pod(self, labels: dict[str, str]) -> bool:
        if "ipBlock" in self.peer or "namespaceSelector" in self.peer:
            return False
        return selects(self.peer.get("podSelector"), labels)

    def allows(self, port: int, protocol: str = "TCP") -> bool:
        return not self.ports or (protocol, port) in self.ports


def rules(policies: list[dict], direction: str) -> list[Rule]:
    """Every allowed peer of these policies' ingress (`from`) or egress (`to`) rules. A rule
    without peers allows everyone: its peer is {}."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    found = []
    for policy in policies:
        for rule in policy["spec"].get(key, []):
            ports = frozenset(
                (port.get("protocol", "TCP"), port["port"]) for port in rule.get("ports", [])
            )
            for peer in rule.get(peers_key) or [{}]:
                found.append(Rule(peer=peer, ports=ports))
    return found


# -- the other files -----------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]]

    def all(self, instruction: str) -> list[str]:
        return [value for name, value in self.instructions if name == instruction]


def dockerfile_stages(path: Path = DOCKER / "Dockerfile") -> list[Stage]:
    """The Dockerfile's stages: FROM (ARG defaults substituted), AS name, and the instructions
    (continuation lines joined, comments dropped)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, value = line.partition(" ")
        instruction = instruction.upper()
        value = value.strip()
        if instruction == "ARG" and not stages:
            name, _, default = value.partition("=")
            args[name] = default
        elif instruction == "FROM":
            parts = value.split()
            image = re.sub(r"\$\{(\w+)\}", lambda match: args[match[1]], parts[0])
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(image=image, name=name, instructions=[]))
        else:
            stages[-1].instructions.append((instruction, value))
    return stages


def image_is_pinned(image: str) -> bool:
    """A digest, or a tag that names a version: never `latest`, never no tag."""
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and bool(re.search(r"\d", tag))
