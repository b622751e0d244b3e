"""The deploy tree is written once: one template of a service's workloads that every service
folder includes, one gunicorn.conf.py that every way of running the web processes uses, and a
new service that is one short folder (the one deploy/README.md shows, built here)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deploy.local import stack
from tests.deploy.manifests import (
    K8S,
    OVERLAYS,
    README,
    SERVICES,
    Workload,
    build,
    command,
    compose,
    dockerfile_stages,
    gunicorn_settings,
    kubectl,
    named,
)

TEMPLATE = K8S / "templates" / "service"
GUNICORN_CONFIG = "deploy/gunicorn.conf.py"
# What a service folder may hold: its kustomization, its settings and what is its own (users'
# private key and mail). Workloads are the template's.
SERVICE_FOLDER_MAX_LINES = 110
WORKLOAD_KINDS = re.compile(
    r"^kind: (Deployment|StatefulSet|Job|Service|HorizontalPodAutoscaler|PodDisruptionBudget)$",
    re.MULTILINE,
)
# The container's settings, as the flags on every web command line were before the config file.
CONTAINER_GUNICORN = {
    "bind": ["0.0.0.0:8000"],
    "workers": 2,
    "worker_class": "gthread",
    "threads": 4,
    "keepalive": 5,
    "graceful_timeout": 25,
    "worker_tmp_dir": "/tmp",  # noqa: S108
    "control_socket_disable": True,
    "preload_app": True,
}


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


# -- kustomize ------------------------------------------------------------------------------------
def test_kubectls_kustomize_runs_components_after_generators() -> None:
    """The template takes the service's name from the ConfigMap its folder generates: kustomize
    5.1 (kubectl 1.31) and later apply components after the generators."""
    result = subprocess.run(
        [kubectl(), "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    version = json.loads(result.stdout)["kustomizeVersion"]
    major, minor = (int(part) for part in re.match(r"v(\d+)\.(\d+)", version).groups())
    assert (major, minor) >= (5, 1), f"kustomize {version}: kubectl 1.31 or later is needed"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_placeholder_is_left(overlay: str) -> None:
    text = json.dumps(build(overlay))
    assert not re.search(r"\bSERVICE\b", text), "a field the template names is not replaced"
    assert not [doc for doc in build(overlay) if doc["kind"] == "ServiceName"]


def test_each_service_folder_is_short_and_defines_no_workload() -> None:
    for service in SERVICES:
        folder = K8S / "base" / service
        total = sum(lines(path) for path in folder.iterdir())
        assert total <= SERVICE_FOLDER_MAX_LINES, f"{service}: {total} lines"
        for path in folder.iterdir():
            assert not WORKLOAD_KINDS.search(path.read_text()), f"{path}: the template's job"
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
        assert kustomization["components"] == ["../../templates/service"], service
        (config,) = kustomization["configMapGenerator"]
        assert config["name"] == f"{service}-config"


def test_the_template_is_the_one_source_of_every_services_workloads() -> None:
    """Every service's web, worker, relay and migration Job are the template's, its name put in:
    replacing the name gives the same object for every service (users' own key and mail aside)."""
    docs = build("prod")

    def shaped(service: str, kind: str, name: str) -> str:
        doc = json.dumps(named(docs, kind, f"{service}-{name}"))
        doc = re.sub(rf"\b{service}\b", "SERVICE", doc)
        return re.sub(r"(SERVICE-config|shop-common)-[a-z0-9]{10}", r"\1", doc)

    parts = {"Deployment": ("web", "worker", "relay"), "Job": ("migrate",), "StatefulSet": ("db",)}
    for kind, names in parts.items():
        for name in names:
            shapes = {shaped(service, kind, name) for service in SERVICES if service != "users"}
            assert len(shapes) == 1, f"{kind} {name} differs between services"


# -- gunicorn -------------------------------------------------------------------------------------
def test_every_web_process_runs_with_the_one_gunicorn_config() -> None:
    docs = build("prod")
    services = compose()["services"]
    local = stack.Stack.__new__(stack.Stack)
    local.config = stack.StackConfig(ports=dict.fromkeys(SERVICES, 8001), env={}, log_dir=Path())
    local_commands = local.commands()
    for service in SERVICES:
        cluster = command(Workload(named(docs, "Deployment", f"{service}-web")).container("web"))
        for web in (
            cluster,
            services[f"{service}-web"]["command"],
            local_commands[f"{service}-web"],
        ):
            config = web[web.index("--config") + 1]
            assert Path(config).resolve() == (stack.ROOT / GUNICORN_CONFIG).resolve(), web
        # Everything but the application and the config file is in the file.
        assert cluster == [
            "python", "-m", "gunicorn", f"{service}.wsgi:application", "--config", GUNICORN_CONFIG
        ]  # fmt: skip


def test_the_containers_gunicorn_settings_are_the_former_flags() -> None:
    web = ["python", "-m", "gunicorn", "products.wsgi:application", "--config", GUNICORN_CONFIG]
    settings = gunicorn_settings(web)
    assert {name: settings[name] for name in CONTAINER_GUNICORN} == CONTAINER_GUNICORN


def test_the_local_stack_keeps_its_own_address_workers_and_graceful_timeout() -> None:
    """make run, the saga tests and the benchmark run what they ran before the config file: the
    containers' settings but for their address, worker count and a graceful timeout within the
    stack's stop bound."""
    web = stack.gunicorn_command("products.wsgi:application", bind="127.0.0.1:8002", workers=3)
    settings = gunicorn_settings(web)
    expected = {
        **CONTAINER_GUNICORN,
        "bind": ["127.0.0.1:8002"],
        "workers": 3,
        "graceful_timeout": 10,
    }
    assert {name: settings[name] for name in CONTAINER_GUNICORN} == expected
    assert settings["graceful_timeout"] < stack.STOP_SECONDS


def test_the_image_has_the_gunicorn_config() -> None:
    (build_stage,) = [stage for stage in dockerfile_stages() if stage.name == "build"]
    assert f"{GUNICORN_CONFIG} ./{GUNICORN_CONFIG}" in build_stage.all("COPY")
    ignore = (K8S.parent / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    assert f"!{GUNICORN_CONFIG}" in ignore


# -- a new service --------------------------------------------------------------------------------
def readme_files(prefix: str) -> dict[str, str]:
    """The code blocks of deploy/README.md whose first line names a file under `prefix`."""
    files = {}
    for block in re.findall(r"```[a-z]*\n(.*?)```", README.read_text(), re.DOTALL):
        first, _, body = block.partition("\n")
        if first.startswith(f"# {prefix}"):
            files[first.removeprefix("# ")] = body
    return files


def test_a_new_service_is_one_short_folder(tmp_path: Path) -> None:
    """The folder deploy/README.md shows (plus its line in base/kustomization.yaml) gives the new
    service everything products has, its name put in."""
    folder = "deploy/k8s/base/reviews/"
    files = readme_files(folder)
    assert set(files) == {f"{folder}kustomization.yaml", f"{folder}config.env"}
    documented = int(re.search(r"(\d+) lines in all", README.read_text())[1])
    assert sum(len(body.splitlines()) for body in files.values()) == documented

    k8s = tmp_path / "k8s"
    shutil.copytree(K8S, k8s)
    for name, body in files.items():
        path = k8s / name.removeprefix("deploy/k8s/")
        path.parent.mkdir(exist_ok=True)
        path.write_text(body)
    base = k8s / "base" / "kustomization.yaml"
    base.write_text(base.read_text().replace("  - inventory\n", "  - inventory\n  - reviews\n"))
    result = subprocess.run(
        [kubectl(), "kustomize", str(k8s / "overlays" / "dev")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    def owned(service: str) -> set[str]:
        found = set()
        for doc in docs:
            text = json.dumps(doc)
            if not re.search(rf'"{service}-', text) or doc["kind"] == "Namespace":
                continue
            if doc["metadata"]["name"].split("-")[0] != service:
                continue
            text = re.sub(r"-config-[a-z0-9]{10}", "-config", text)
            text = re.sub(r"shop-common-[a-z0-9]{10}", "shop-common", text)
            found.add(re.sub(rf"\b{service}\b", "SERVICE", text))
        return found

    products = owned("products")
    assert len(products) >= 15
    # The ConfigMaps hold each service's own settings; everything else is the same.
    assert {t for t in owned("reviews") if '"ConfigMap"' not in t} == {
        t for t in products if '"ConfigMap"' not in t
    }
