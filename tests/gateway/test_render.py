"""Rendering the gateway's configuration: complete, checked by nginx, and never half filled."""

import subprocess
import sys
from pathlib import Path

import pytest

from deploy.nginx import render
from tests.gateway.conftest import config_values, nginx
from tests.harness import UNLIMITED_PLACEMENTS

ROOT = Path(__file__).resolve().parents[2]
UPSTREAMS = {
    "users": "127.0.0.1:18001",
    "products": "127.0.0.1:18002",
    "orders": "127.0.0.1:18003",
    "inventory": "127.0.0.1:18004",
}


def directives(config: str) -> str:
    """The configuration without its comment lines."""
    return "".join(
        line for line in config.splitlines(keepends=True) if not line.lstrip().startswith("#")
    )


def test_local_config_passes_nginx_check(tmp_path: Path) -> None:
    runtime = tmp_path / "nginx"
    config = render.write_standalone(
        config_values(18000, UPSTREAMS, tmp_path / "static"),
        runtime_dir=runtime,
        output=runtime / "nginx.conf",
    )
    result = subprocess.run(
        [nginx(), "-t", "-c", str(config), "-p", str(runtime)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = directives(config.read_text())
    assert "${" not in text
    for address in UPSTREAMS.values():
        assert f"server {address};" in text
    assert f'pid "{runtime / "nginx.pid"}";' in text
    assert "events {" in text and "http {" in text


def run_render(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "deploy/nginx/render.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_command_line_renders_and_checks_a_local_config(tmp_path: Path) -> None:
    runtime = tmp_path / "var" / "nginx"
    result = run_render(
        "--listen=127.0.0.1:18000",
        *(f"--{service}={address}" for service, address in UPSTREAMS.items()),
        f"--static-root={tmp_path / 'static'}",
        f"--runtime-dir={runtime}",
        f"--output={runtime / 'nginx.conf'}",
        "--check",
    )
    assert result.returncode == 0, result.stderr
    assert "listen 127.0.0.1:18000;" in (runtime / "nginx.conf").read_text()


def test_http_only_renders_the_same_rules_for_kubernetes() -> None:
    values = config_values(8080, {s: f"{s}:8000" for s in UPSTREAMS}, Path("/srv/static"))
    http = render.render_http({**values, "ACCESS_LOG": "/dev/stdout"})
    assert "server users:8000;" in http and "listen 127.0.0.1:8080;" in http
    assert 'alias "/srv/static/$shop_static_service/$shop_static_path";' in http
    assert 'access_log "/dev/stdout" shop_json;' in http
    assert "proxy_read_timeout 30s;" in http  # the default
    # Nothing that belongs to a full nginx.conf, which the image brings.
    for directive in ("events", "http {", "pid ", "worker_processes", "_temp_path "):
        assert directive not in directives(http)
    # The catalog cache lies under the container's one writable directory.
    assert f'proxy_cache_path "{render.CLUSTER_CACHE_DIR}" ' in http
    assert render.CLUSTER_CACHE_DIR.startswith("/tmp/")  # noqa: S108 (the emptyDir)
    # The standalone config is the same text with a frame around it, the access log and the
    # cache in its runtime directory.
    local = render.render_standalone(values, runtime_dir="/srv/shop/nginx")
    assert (
        http.replace('"/dev/stdout"', '"/srv/shop/nginx/access.log"').replace(
            f'"{render.CLUSTER_CACHE_DIR}"', '"/srv/shop/nginx/cache"'
        )
        in local
    )


def test_a_missing_value_is_refused_by_name() -> None:
    values = config_values(18000, UPSTREAMS, Path("/srv/static"))
    del values["ORDERS_UPSTREAM"]
    with pytest.raises(render.RenderError, match=r"\$\{ORDERS_UPSTREAM\}.*--orders"):
        render.render_standalone(values, runtime_dir="/srv/shop/nginx")
    with pytest.raises(render.RenderError, match=r"\$\{ORDERS_UPSTREAM\}"):
        render.render_http({**values, "ORDERS_UPSTREAM": ""})


def test_the_command_line_names_every_missing_value(tmp_path: Path) -> None:
    result = run_render(
        "--listen=127.0.0.1:18000",
        "--users=127.0.0.1:18001",
        f"--runtime-dir={tmp_path}",
        f"--output={tmp_path / 'nginx.conf'}",
    )
    assert result.returncode != 0
    for name in ("PRODUCTS_UPSTREAM", "ORDERS_UPSTREAM", "INVENTORY_UPSTREAM", "STATIC_ROOT"):
        assert f"${{{name}}}" in result.stderr
    assert not (tmp_path / "nginx.conf").exists()


def test_a_placeholder_unknown_to_the_renderer_is_refused() -> None:
    values = config_values(18000, UPSTREAMS, Path("/srv/static"))
    with pytest.raises(render.RenderError, match=r"\$\{CACHE_ROOT\}"):
        render.render_http(values, template="server { root ${CACHE_ROOT}; }\n")
    with pytest.raises(render.RenderError, match="USER_UPSTREAM"):
        render.render_http({**values, "USER_UPSTREAM": "127.0.0.1:1"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("USERS_UPSTREAM", "127.0.0.1:8001; include /etc/passwd"),
        ("LISTEN", "8000 ssl"),
        ("STATIC_ROOT", '/srv/static"; root /'),
        ("PROXY_READ_TIMEOUT", "30 s"),
        ("PLACEMENT_RATE", "2r/s burst=1000"),
        ("PLACEMENT_RATE", "30r/m"),
        ("PLACEMENT_BURST", "20 nodelay"),
    ],
)
def test_a_value_that_would_change_the_syntax_is_refused(name: str, value: str) -> None:
    values = config_values(18000, UPSTREAMS, Path("/srv/static"))
    with pytest.raises(render.RenderError, match=name):
        render.render_http({**values, name: value})


def test_the_placement_limit_is_a_value_a_test_stack_can_raise(tmp_path: Path) -> None:
    values = config_values(18000, UPSTREAMS, tmp_path, ACCESS_LOG="/dev/stdout")
    default = directives(render.render_http(values))
    assert "zone=shop_placement:10m rate=2r/s;" in default
    assert "limit_req zone=shop_placement burst=20 nodelay;" in default
    runtime = tmp_path / "nginx"
    config = render.write_standalone(
        config_values(18000, UPSTREAMS, tmp_path / "static", **UNLIMITED_PLACEMENTS),
        runtime_dir=runtime,
        output=runtime / "nginx.conf",
    )
    render.check(config, runtime)
    raised = directives(config.read_text())
    assert f"rate={UNLIMITED_PLACEMENTS['PLACEMENT_RATE']};" in raised
    assert f"burst={UNLIMITED_PLACEMENTS['PLACEMENT_BURST']} nodelay;" in raised
