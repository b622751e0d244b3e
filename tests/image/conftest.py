"""The images, built once per run, and what it takes to run the app image's processes: their own
databases (image_<service>), their own RabbitMQ virtual host, a JWT key pair, production mode."""

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from deploy.local.stack import SERVICES
from shop.auth.keys import PRIVATE_KEY_FILENAME, PUBLIC_KEY_FILENAME, ensure_dev_key_pair
from tests.harness import free_port, recreate_database, reset_vhost, wait_for
from tests.image import podman

VHOST = "shop-image"
DATABASE_PREFIX = "image"
# Where compose mounts the key pair (the image makes the directory, so a read-only root needs
# no mount point of its own).
KEYS_INSIDE = "/var/lib/shop/jwt"
USER = (10001, 10001)
TIMINGS: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter) -> None:
    for what, figure in TIMINGS.items():
        terminalreporter.write_line(f"image: {what}: {figure}")


def _timed(what: str, started: float) -> None:
    TIMINGS[what] = f"{time.monotonic() - started:.1f} s"


@pytest.fixture(scope="session")
def bases() -> dict[str, str]:
    missing = [tool for tool in ("podman", "bwrap", "setpriv", "unshare") if not shutil.which(tool)]
    assert not missing, f"{missing} missing: `make test-image` installs them"
    assert os.geteuid() == 0, "podman's store, image mounts and setpriv need root"
    started = time.monotonic()
    images = podman.base_images()
    _timed("base images (debootstrap, cached by podman)", started)
    return images


@pytest.fixture(scope="session")
def app_image(bases: dict[str, str]) -> Iterator[podman.Built]:
    started = time.monotonic()
    for stage, name in podman.STAGES.items():
        podman.build(stage, name, bases)
    built = podman.build("app", podman.APP, bases)
    seconds = time.monotonic() - started
    TIMINGS["app image"] = f"built in {seconds:.1f} s, {built.size_bytes / 1e6:.0f} MB"
    yield built
    podman.prune_replaced()


@pytest.fixture(scope="session")
def gateway_image(bases: dict[str, str], app_image: podman.Built) -> podman.Built:
    built = podman.build("gateway", podman.GATEWAY, bases)
    TIMINGS["gateway image"] = f"built in {built.seconds:.1f} s, {built.size_bytes / 1e6:.0f} MB"
    return built


@pytest.fixture(scope="session")
def reachable() -> Iterator[Path]:
    """A directory the unprivileged user can reach (pytest's tmp_path is root's alone)."""
    directory = Path(tempfile.mkdtemp(prefix="shop-image-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory)


@pytest.fixture(scope="session")
def keys(reachable: Path) -> Path:
    """The key pair the users service signs with, readable by the image's user only."""
    directory = reachable / "jwt"
    ensure_dev_key_pair(directory)
    (directory / ".lock").unlink()
    for path in (directory, *directory.iterdir()):
        os.chown(path, *USER)
    directory.chmod(0o500)
    return directory


def _sandbox(name: str, root: Path, view: Path, binds=()) -> podman.Sandbox:
    view.mkdir(mode=0o755)
    return podman.Sandbox(root=root, config=podman.image_config(name), view=view, binds=binds)


@pytest.fixture(scope="session")
def app(app_image: podman.Built, reachable: Path, keys: Path) -> Iterator[podman.Sandbox]:
    with podman.mounted(app_image.name) as root:
        yield _sandbox(app_image.name, root, reachable / "app", ((str(keys), KEYS_INSIDE),))


@pytest.fixture(scope="session")
def broker_url() -> str:
    vhost = reset_vhost(VHOST)
    assert vhost == VHOST, "rabbitmqctl is needed for the suite's own virtual host"
    return f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"


@pytest.fixture(scope="session")
def production(broker_url: str) -> dict[str, dict[str, str]]:
    """Each service's environment, as the manifests give it (deploy/k8s/base/common.env and the
    services' config.env), minus what the defaults of production mode already are: the image
    itself sets DJANGO_ENV=production, so DEBUG is off and TLS settings are production's."""
    common = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DJANGO_NUM_PROXIES": "1",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_WORKER_POOL": "threads",
        "JWT_PUBLIC_KEY_FILE": f"{KEYS_INSIDE}/{PUBLIC_KEY_FILENAME}",
        "JWT_AUDIENCE": "shop",
        "JWT_ISSUER": "shop-users",
    }
    environments = {}
    for service in SERVICES:
        database = f"{DATABASE_PREFIX}_{service}"
        recreate_database(database)
        environments[service] = {
            **common,
            "DJANGO_SETTINGS_MODULE": f"{service}.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        }
    environments["users"]["JWT_PRIVATE_KEY_FILE"] = f"{KEYS_INSIDE}/{PRIVATE_KEY_FILENAME}"
    return environments


@pytest.fixture(scope="session")
def migrated(app: podman.Sandbox, production: dict[str, dict[str, str]]) -> dict[str, str]:
    """`manage.py <service> migrate` for every service, as the migrate Jobs run it: the output."""
    started = time.monotonic()
    outputs = {}
    for service in SERVICES:
        result = app.run(
            ["python", "manage.py", service, "migrate", "--noinput"], production[service]
        )
        assert result.returncode == 0, f"{service} migrate:\n{result.stdout}\n{result.stderr}"
        outputs[service] = result.stdout
    _timed("migrate, four services", started)
    return outputs


@pytest.fixture(scope="session")
def users_web(
    app: podman.Sandbox, production: dict[str, dict[str, str]], migrated, reachable: Path
) -> Iterator[str]:
    """The users web process, gunicorn as the Deployment starts it; its base URL."""
    port = free_port()
    process = app.start(
        [
            "python",
            "-m",
            "gunicorn",
            "users.wsgi:application",
            # The image's own gunicorn settings, as the Deployment runs them; only the address
            # (loopback, a free port) and one worker instead of two differ here.
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        production["users"],
        reachable / "users-web.log",
    )
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        wait_for(
            lambda: process.poll() is not None or _answers(f"{url}/healthz"),
            timeout=60,
            what="the users web process to answer /healthz",
        )
        assert process.poll() is None, (reachable / "users-web.log").read_text()[-3000:]
        _timed("web up (gunicorn to /healthz)", started)
        yield url
    finally:
        podman.stop(process)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, headers={"Host": "localhost"}, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False
