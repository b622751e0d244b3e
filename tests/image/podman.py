"""deploy/docker/Dockerfile built by Debian's podman, and what it built run from its filesystem.

This machine can build images (podman's chroot isolation needs no OCI runtime) but cannot run
containers. So an image is run the way a container runtime would start it, minus the runtime: its
filesystem (`podman image mount`) as a read-only root, a tmpfs /tmp, the image's environment,
working directory and user (a real uid 10001 without capabilities, not root in a user
namespace), in its own pid, uts and ipc namespaces (bubblewrap), on the host's network (the
local PostgreSQL and RabbitMQ on loopback).

When the registry's python and nginx images cannot be pulled, Debian bookworm stand-ins are made
from a debootstrap root (bases.Containerfile), cached in podman's store under a tag keyed by what
went into them: debootstrap runs once per machine.
"""

import contextlib
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy/docker/Dockerfile"
IGNOREFILE = ROOT / "deploy/docker/Dockerfile.dockerignore"
BASES = Path(__file__).with_name("bases.Containerfile")

SUITE = "bookworm"
MIRROR = os.environ.get("SHOP_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# What the official slim images leave out of a Debian root too.
TRIMMED = (
    "var/cache/apt/archives",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/locale",
)
PYTHON_BASE = f"localhost/shop-python-base:{SUITE}"
NGINX_BASE = f"localhost/shop-nginx-base:{SUITE}"
# The registry's images, tried first (a machine that can pull them builds what production does).
REGISTRY_BASES = {
    "python": "docker.io/library/python:3.11.13-slim-bookworm",
    "nginx": "docker.io/library/nginx:1.28.0-alpine",
}
APP = "localhost/shop/shop:test"
GATEWAY = "localhost/shop/gateway:test"
# The stages the final images copy from, tagged so that their layers (the pip install above all)
# stay podman's cache: untagged, `podman image prune` would take them for leftovers.
STAGES = {"deps": "localhost/shop/deps:test", "build": "localhost/shop/build:test"}


def podman(*args: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    """podman, failing with its own words."""
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if result.returncode != 0:
        raise AssertionError(
            f"podman {shlex.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def image_exists(name: str) -> bool:
    return subprocess.run(["podman", "image", "exists", name], timeout=60).returncode == 0


def image_id(name: str) -> str | None:
    if not image_exists(name):
        return None
    return podman("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()


def image_config(name: str) -> dict:
    return json.loads(podman("image", "inspect", name).stdout)[0]


def debootstrap_image() -> str:
    """A minimal Debian root, imported into podman once and kept under a tag that names it."""
    key = hashlib.sha256(json.dumps([SUITE, MIRROR, "minbase", TRIMMED]).encode()).hexdigest()
    name = f"localhost/shop-debootstrap:{SUITE}-{key[:12]}"
    if image_exists(name):
        return name
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    # /var/tmp: on the disk, and not mounted nodev as a /tmp may be (debootstrap makes devices).
    with tempfile.TemporaryDirectory(prefix="shop-debootstrap-", dir="/var/tmp") as directory:
        root = Path(directory) / "root"
        result = subprocess.run(
            [debootstrap, "--variant=minbase", SUITE, str(root), MIRROR],
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert result.returncode == 0, (
            f"debootstrap failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
        for path in TRIMMED:
            for entry in (root / path).glob("*"):
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        try:
            podman("import", "-", name, stdin=tar.stdout)
        finally:
            tar.stdout.close()
            assert tar.wait() == 0, "tar of the debootstrap root failed"
    return name


def base_images() -> dict[str, str]:
    """PYTHON_IMAGE and NGINX_IMAGE: the registry's when they can be pulled, else Debian's."""
    if all(_pulled(image) for image in REGISTRY_BASES.values()):
        return {"PYTHON_IMAGE": REGISTRY_BASES["python"], "NGINX_IMAGE": REGISTRY_BASES["nginx"]}
    debootstrapped = debootstrap_image()
    for target, tag in (("python", PYTHON_BASE), ("nginx", NGINX_BASE)):
        podman(
            "build",
            "--isolation=chroot",
            "--layers",
            "--quiet",
            "--file",
            str(BASES),
            "--build-arg",
            f"DEBOOTSTRAP_IMAGE={debootstrapped}",
            "--target",
            target,
            "--tag",
            tag,
            str(BASES.parent),
            timeout=900,
        )
    return {"PYTHON_IMAGE": PYTHON_BASE, "NGINX_IMAGE": NGINX_BASE}


def _pulled(image: str) -> bool:
    if image_exists(image):
        return True
    pull = subprocess.run(["podman", "pull", "--quiet", image], capture_output=True, timeout=120)
    return pull.returncode == 0


@dataclass(frozen=True)
class Built:
    name: str
    seconds: float
    size_bytes: int


def build(target: str, name: str, bases: dict[str, str]) -> Built:
    """One target of deploy/docker/Dockerfile, from the repository root as its header says.

    podman's layer cache makes a rebuild of unchanged code a matter of seconds. The image a
    rebuild replaces loses its tag; prune_replaced() removes such images, so runs don't pile up.
    """
    previous = image_id(name)
    started = time.monotonic()
    with _pip_home() as pip_volume:
        podman(
            "build",
            "--isolation=chroot",
            "--layers",
            "--file",
            str(DOCKERFILE),
            "--ignorefile",
            str(IGNOREFILE),
            *(arg for key, value in bases.items() for arg in ("--build-arg", f"{key}={value}")),
            *pip_volume,
            "--target",
            target,
            "--tag",
            name,
            str(ROOT),
            timeout=900,
        )
    seconds = time.monotonic() - started
    if previous and previous != image_id(name):
        # Fails, harmlessly, while another tag or image still uses it.
        subprocess.run(["podman", "rmi", previous], capture_output=True, timeout=120)
    size = int(podman("image", "inspect", "--format", "{{.Size}}", name).stdout)
    return Built(name=name, seconds=seconds, size_bytes=size)


def prune_replaced() -> None:
    """The untagged images earlier builds left: the layers of replaced images and stages (the
    current ones are tagged). podman is the image suite's alone on these machines."""
    podman("image", "prune", "--force", timeout=300)


@contextlib.contextmanager
def _pip_home() -> Iterator[list[str]]:
    """On a machine whose TLS to PyPI passes a proxy with its own CA (PIP_CERT), the build's pip
    must trust that CA too: a pip.conf naming it, in a HOME mounted for the RUN steps only (over
    /root, which every base has: no mount point is left in a layer, nothing in the image)."""
    cert = os.environ.get("PIP_CERT")
    if not cert:
        yield []
        return
    with tempfile.TemporaryDirectory(prefix="shop-pip-home-") as home:
        shutil.copy(cert, Path(home) / "ca.crt")
        (Path(home) / ".config/pip").mkdir(parents=True)
        (Path(home) / ".config/pip/pip.conf").write_text("[global]\ncert = /root/ca.crt\n")
        yield ["--volume", f"{home}:/root:ro"]


@contextlib.contextmanager
def mounted(name: str) -> Iterator[Path]:
    """The image's filesystem (read-only use only: it is the image's own layers)."""
    path = Path(podman("image", "mount", name).stdout.strip())
    try:
        yield path
    finally:
        podman("image", "umount", name)


@dataclass(frozen=True)
class Sandbox:
    """How to run a command from a mounted image as its container would be run."""

    root: Path
    config: dict
    # An empty directory the unprivileged user can reach, where the root is bind-mounted.
    view: Path
    binds: tuple[tuple[str, str], ...] = ()  # (host path, path inside), read-only

    @property
    def user(self) -> tuple[int, int]:
        uid, _, gid = self.config["Config"]["User"].partition(":")
        return int(uid), int(gid or uid)

    def environment(self, extra: dict[str, str]) -> dict[str, str]:
        image_env = dict(item.split("=", 1) for item in self.config["Config"].get("Env", []))
        return {**image_env, **extra}

    def command(self, argv: list[str], *, hostname: str = "image-smoke") -> list[str]:
        uid, gid = self.user
        inner = [
            "/usr/bin/setpriv",
            f"--reuid={uid}",
            f"--regid={gid}",
            "--clear-groups",
            "/usr/bin/bwrap",
            "--die-with-parent",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--hostname",
            hostname,
            "--ro-bind",
            str(self.view),
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--tmpfs",
            "/tmp",  # noqa: S108 (the sandbox's own tmpfs)
            *(arg for source, target in self.binds for arg in ("--ro-bind", source, target)),
            "--chdir",
            self.config["Config"].get("WorkingDir") or "/",
            "--",
            *argv,
        ]
        # The layers' directory is root's only: the image's root is bind-mounted (in a mount
        # namespace of its own, gone with the process) where the unprivileged user can reach it.
        mount = shlex.join(["mount", "--bind", str(self.root), str(self.view)])
        return [
            "/usr/bin/unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            f"{mount} && exec {shlex.join(inner)}",
        ]

    def run(
        self, argv: list[str], env: dict[str, str], *, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        with self._output() as stdout, self._output() as stderr:
            result = subprocess.run(
                self.command(argv),
                env=self.environment(env),
                stdout=stdout,
                stderr=stderr,
                timeout=timeout,
            )
            stdout.seek(0)
            stderr.seek(0)
            return subprocess.CompletedProcess(
                argv, result.returncode, stdout.read().decode(), stderr.read().decode()
            )

    def start(self, argv: list[str], env: dict[str, str], log: Path, **kwargs) -> subprocess.Popen:
        with log.open("wb") as output:
            os.fchown(output.fileno(), *self.user)
            return subprocess.Popen(
                self.command(argv, **kwargs),
                env=self.environment(env),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @contextlib.contextmanager
    def _output(self) -> Iterator:
        """A file for the standard streams that the user owns, as a container's are: a process
        that opens /dev/stdout (nginx's access log) reopens it, which root's pipe would refuse."""
        with tempfile.TemporaryFile() as output:
            os.fchown(output.fileno(), *self.user)
            yield output


def stop(process: subprocess.Popen) -> None:
    """The sandbox and everything in it (bwrap's pid namespace dies with its first process)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=15)
