"""deploy/docker/Dockerfile, built (app and gateway targets) and run: the app image's filesystem as
its unprivileged user on a read-only root with a tmpfs /tmp, in production mode, against the local
PostgreSQL and RabbitMQ; the gateway's nginx with its main config and the rendered routes."""

import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from deploy.local.stack import SERVICES
from deploy.nginx import render
from tests.harness import CUSTOMER_PASSWORD, free_port, wait_for
from tests.image import podman
from tests.image.conftest import TIMINGS, USER


def test_the_app_image_runs_as_its_user_on_a_read_only_root(app: podman.Sandbox) -> None:
    assert app.config["Config"]["User"] == f"{USER[0]}:{USER[1]}"
    assert "DJANGO_ENV=production" in app.config["Config"]["Env"]
    probe = (
        "import os, pathlib; print(os.getuid(), os.getgid(), os.getgroups());"
        "pathlib.Path('/tmp/shop/x').parent.mkdir(); pathlib.Path('/tmp/shop/x').write_text('');"
        "open('/app/x', 'w')"
    )
    result = app.run(["python", "-c", probe], {})
    assert result.stdout.split("\n")[0] == f"{USER[0]} {USER[1]} []"
    assert "Read-only file system: '/app/x'" in result.stderr, result.stderr


def test_the_app_image_has_no_build_tools_or_development_dependencies(app: podman.Sandbox) -> None:
    for tool in ("usr/bin/gcc", "usr/bin/cc", "usr/bin/make"):
        assert not (app.root / tool).exists(), tool
    result = app.run(["python", "-m", "pip", "list", "--format=freeze"], {})
    installed = {line.split("==")[0].lower() for line in result.stdout.split()}
    assert "django" in installed and "celery" in installed
    assert not installed & {"pytest", "ruff", "playwright", "schemathesis"}, installed


@pytest.mark.parametrize("service", SERVICES)
def test_check_deploy_is_clean(
    app: podman.Sandbox, production: dict[str, dict[str, str]], service: str
) -> None:
    result = app.run(
        ["python", "manage.py", service, "check", "--deploy", "--fail-level", "WARNING"],
        production[service],
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "System check identified no issues" in result.stdout


def test_migrate_applies_every_services_migrations(migrated: dict[str, str]) -> None:
    for service, output in migrated.items():
        assert "Applying contenttypes.0001_initial... OK" in output, (service, output)


def test_the_web_process_is_ready_and_serves_the_api(users_web: str) -> None:
    ready = requests.get(f"{users_web}/readyz", headers={"Host": "localhost"}, timeout=10)
    assert ready.status_code == 200, ready.text
    # Production mode: plain http is redirected to https (the probes excepted).
    plain = requests.get(
        f"{users_web}/api/auth/jwks/",
        headers={"Host": "localhost"},
        allow_redirects=False,
        timeout=10,
    )
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
    https = {"Host": "localhost", "X-Forwarded-Proto": "https"}
    jwks = requests.get(f"{users_web}/api/auth/jwks/", headers=https, timeout=10)
    assert jwks.status_code == 200 and jwks.json()["keys"][0]["kty"] == "RSA", jwks.text
    assert "Strict-Transport-Security" in jwks.headers
    username = f"image-{uuid.uuid4().hex[:8]}"
    registered = requests.post(
        f"{users_web}/api/auth/register/",
        headers=https,
        json={
            "username": username,
            "email": f"{username}@example.com",
            "password": CUSTOMER_PASSWORD,
        },
        timeout=20,
    )
    assert registered.status_code == 201, registered.text
    token = requests.post(
        f"{users_web}/api/auth/token/",
        headers=https,
        json={"username": username, "password": CUSTOMER_PASSWORD},
        timeout=20,
    )
    assert token.status_code == 200 and token.json()["access"], token.text


def test_a_worker_answers_celerys_ping(
    app: podman.Sandbox, production: dict[str, dict[str, str]], reachable: Path, migrated
) -> None:
    """The worker as its Deployment starts it; the probe its manifest runs (Celery's ping
    through the broker to this node, and the users queue among those it consumes)."""
    hostname = f"image-{uuid.uuid4().hex[:6]}"
    log = reachable / "users-worker.log"
    worker = app.start(
        ["python", "-m", "workers", "users", "worker", "--concurrency", "2", "--without-mingle"],
        production["users"],
        log,
        hostname=hostname,
    )
    started = time.monotonic()
    try:

        def ping() -> subprocess.CompletedProcess | None:
            assert worker.poll() is None, log.read_text()[-3000:]
            result = app.run(
                [
                    "celery",
                    "-A",
                    "workers.app",
                    "inspect",
                    "active_queues",
                    "--json",
                    "--destination",
                    f"users@{hostname}",
                    "--timeout",
                    "5",
                ],
                production["users"],
            )
            return result if result.returncode == 0 else None

        answer = wait_for(ping, timeout=90, interval=1, what="the worker to answer Celery's ping")
        TIMINGS["worker up (start to Celery's answer)"] = f"{time.monotonic() - started:.1f} s"
        assert '"name": "users"' in answer.stdout, answer.stdout
        pong = app.run(
            [
                "celery",
                "-A",
                "workers.app",
                "inspect",
                "ping",
                "--destination",
                f"users@{hostname}",
                "--timeout",
                "10",
            ],
            production["users"],
        )
        assert pong.returncode == 0 and "pong" in pong.stdout, f"{pong.stdout}\n{pong.stderr}"
    finally:
        podman.stop(worker)


def test_the_gateway_serves_static_files_and_routes_to_the_app(
    gateway_image: podman.Built, users_web: str, reachable: Path
) -> None:
    """The gateway image's nginx as its Deployment runs it (its user, -p /tmp/, a read-only
    root), the routes rendered as for the cluster but with loopback upstreams."""
    port = free_port()
    upstream = users_web.removeprefix("http://")
    routes = reachable / "conf.d"
    routes.mkdir(mode=0o755)
    (routes / "shop.conf").write_text(
        render.render_http(
            {
                "LISTEN": f"127.0.0.1:{port}",
                **{f"{service.upper()}_UPSTREAM": upstream for service in SERVICES},
                "STATIC_ROOT": "/srv/shop/static",
                "ACCESS_LOG": "/dev/stdout",
                "TRUSTED_PROXIES": "127.0.0.1",
            }
        )
    )
    (routes / "shop.conf").chmod(0o644)
    with podman.mounted(gateway_image.name) as root:
        gateway = podman.Sandbox(
            root=root,
            config=podman.image_config(gateway_image.name),
            view=reachable / "gateway",
            binds=((str(routes), "/etc/nginx/conf.d"),),
        )
        gateway.view.mkdir(mode=0o755)
        assert gateway.user == (101, 101)
        command = gateway.config["Config"]["Cmd"]
        checked = gateway.run([*command, "-t"], {})
        assert checked.returncode == 0, checked.stderr
        log = reachable / "gateway.log"
        process = gateway.start(command, {}, log)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(
                lambda: process.poll() is not None or _up(base),
                timeout=30,
                what="the gateway to listen",
            )
            assert process.poll() is None, log.read_text()[-3000:]
            static = requests.get(f"{base}/static/users/admin/css/base.css", timeout=10)
            assert static.status_code == 200 and "text/css" in static.headers["Content-Type"]
            # As the Ingress sends it: the public name, and that TLS ended there.
            ingress = {"Host": "localhost", "X-Forwarded-Proto": "https"}
            jwks = requests.get(f"{base}/api/auth/jwks/", headers=ingress, timeout=10)
            assert jwks.status_code == 200 and jwks.json()["keys"], jwks.text
        finally:
            podman.stop(process)


def _up(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
        return True
    except requests.ConnectionError:
        return False
