"""The gateway in Kubernetes and compose runs the routes rendered from the one template
(deploy/nginx/shop.conf.template), and nginx accepts them in the gateway image's main config.

nginx resolves the upstream names (users-web, ...) when it loads its configuration, and they
resolve only inside the cluster (or the compose network). So `nginx -t` runs on the same
rendering with the four upstream addresses mapped to 127.0.0.1, which is what a name lookup in
the cluster does: the test first shows that those four `server` lines are the only difference.
"""

import difflib
import json
import subprocess
from pathlib import Path

import pytest

from deploy.nginx import render
from tests.deploy.manifests import (
    DOCKER,
    OVERLAYS,
    ROUTES,
    SERVICES,
    Workload,
    build,
    command,
    compose,
    dockerfile_stages,
    generated,
    gunicorn_settings,
    named,
)

UPSTREAM_PORT = 8000
CLUSTER_TRUSTED_PROXIES = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
CLUSTER_VALUES = {
    "LISTEN": "8080",
    **{f"{service.upper()}_UPSTREAM": f"{service}-web:{UPSTREAM_PORT}" for service in SERVICES},
    "STATIC_ROOT": "/srv/shop/static",
    "ACCESS_LOG": "/dev/stdout",
    # The Ingress controller (TLS ends there) is somewhere in the cluster's private ranges.
    "TRUSTED_PROXIES": CLUSTER_TRUSTED_PROXIES,
}
RENDER_COMMAND = (
    "python deploy/nginx/render.py --http-only --listen 8080 "
    + " ".join(f"--{service} {service}-web:{UPSTREAM_PORT}" for service in SERVICES)
    + f" --static-root /srv/shop/static --trusted-proxies {CLUSTER_TRUSTED_PROXIES}"
    + f" --output {ROUTES.relative_to(DOCKER.parents[1])}"
)


def test_the_committed_routes_are_a_fresh_rendering_of_the_template() -> None:
    assert ROUTES.read_text() == render.render_http(CLUSTER_VALUES), (
        f"deploy/nginx/shop.conf.template changed: regenerate with\n  {RENDER_COMMAND}"
    )


def test_the_routes_pass_nginx_check_in_the_images_main_config(tmp_path: Path) -> None:
    cluster = render.render_http(CLUSTER_VALUES)
    local = render.render_http(
        {**CLUSTER_VALUES, **{f"{s.upper()}_UPSTREAM": "127.0.0.1:8000" for s in SERVICES}}
    )
    changed = [
        line
        for line in difflib.unified_diff(cluster.splitlines(), local.splitlines(), n=0)
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert sorted(changed) == sorted(
        [f"-    server {s}-web:{UPSTREAM_PORT};" for s in SERVICES]
        + ["+    server 127.0.0.1:8000;"] * len(SERVICES)
    )
    # The image's layout: nginx.conf, conf.d/ beside it, -p for the pid and temp files.
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "nginx.conf").write_text((DOCKER / "gateway" / "nginx.conf").read_text())
    (tmp_path / "conf.d" / "shop.conf").write_text(local)
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    result = subprocess.run(
        [
            render.nginx_binary(),
            "-t",
            "-q",
            "-p",
            f"{prefix}/",
            "-e",
            "stderr",
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_cluster_gateway_mounts_the_rendered_routes(overlay: str) -> None:
    docs = build(overlay)
    routes = generated(docs, "ConfigMap", "gateway-routes")
    assert routes["data"] == {"shop.conf": ROUTES.read_text()}
    gateway = Workload(named(docs, "Deployment", "gateway"))
    (container,) = gateway.containers()
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volume = next(v for v in gateway.pod["volumes"] if v["name"] == mounts["/etc/nginx/conf.d"])
    assert volume["configMap"]["name"] == routes["metadata"]["name"]
    assert [p["containerPort"] for p in container["ports"]] == [int(CLUSTER_VALUES["LISTEN"])]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_upstreams_are_the_services_web_services(overlay: str) -> None:
    docs = build(overlay)
    for service in SERVICES:
        host, port = CLUSTER_VALUES[f"{service.upper()}_UPSTREAM"].split(":")
        kube_service = named(docs, "Service", host)
        assert kube_service["spec"]["selector"]["app.kubernetes.io/name"] == service
        assert int(port) in [p["port"] for p in kube_service["spec"]["ports"]]


def test_compose_runs_the_same_gateway() -> None:
    services = compose()["services"]
    gateway = services["gateway"]
    assert "../k8s/base/gateway/shop.conf:/etc/nginx/conf.d/shop.conf:ro" in gateway["volumes"]
    assert gateway["ports"] == [f"8000:{CLUSTER_VALUES['LISTEN']}"]
    for service in SERVICES:
        host, port = CLUSTER_VALUES[f"{service.upper()}_UPSTREAM"].split(":")
        web = services[host]["command"]
        assert gunicorn_settings(web)["bind"] == [f"0.0.0.0:{port}"]
        assert gateway["depends_on"][host] == {"condition": "service_healthy"}
    cluster = Workload(named(build("prod"), "Deployment", "gateway")).containers()[0]
    (image_stage,) = [stage for stage in dockerfile_stages() if stage.name == "gateway"]
    assert gateway["command"] == command(cluster) == json.loads(image_stage.all("CMD")[-1])
