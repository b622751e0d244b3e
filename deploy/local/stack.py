"""The shop's processes, started and stopped together: per service a web server (gunicorn) and a
Celery worker running the service's outbox relay in a thread (or, with SHOP_RELAY_IN_WORKER
off, the relay as a process of its own), orders' beat inside orders' worker (or, with
`beat_in_worker` off, as a process of its own), and (when a gateway port is given) the Nginx
gateway in front of them all.

`make run`, the saga tests and the benchmark all use this, so they run the same thing.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import environ

from deploy.nginx import render
from shop import SERVICES
from shop.auth.keys import ensure_dev_key_pair

ROOT = Path(__file__).resolve().parents[2]
# Services with periodic tasks (CELERY_BEAT_SCHEDULE in their settings): one beat each.
BEAT_SERVICES = ("orders",)
READY_TIMEOUT_SECONDS = 60
# How long the processes get to finish what they do (a worker its tasks, a web server its
# requests) once asked to stop; then they are killed. README.md gives this bound.
STOP_SECONDS = 20
# Set for every process as the deployments set them (deploy/k8s/base/common.env); what the
# stack's env sets wins.
PROCESS_DEFAULTS = {"SHOP_OUTBOX_PUBLISH_ON_COMMIT": "true", "SHOP_RELAY_IN_WORKER": "true"}
# What each kind of process logs once it is ready to work.
READY_LINES = {"worker": b" ready.", "relay": b"relay started", "beat": b"beat: Starting"}


def embedded_defaults(env: dict[str, str], var_dir: Path) -> dict[str, str]:
    """`env` completed with the embedded default where it names no server: one SQLite file per
    service and the file broker, all under `var_dir` (their folders made here: the settings
    make none). What `env` sets wins."""
    for folder in ("db", "broker/messages", "broker/control"):
        (var_dir / folder).mkdir(parents=True, exist_ok=True)
    defaults = {
        **{
            f"{service.upper()}_DATABASE_URL": f"sqlite:///{var_dir / 'db' / service}.sqlite3"
            for service in SERVICES
        },
        "CELERY_BROKER_URL": "filesystem://",
    }
    return {**defaults, **env}


def ensure_dev_keys(env: dict[str, str]) -> None:
    """The development key pair where the settings look for it under `env` (JWT_KEYS_DIR, else
    SHOP_VAR_DIR/jwt), made once: loading the settings makes none. Production's are mounted."""
    if env.get("DJANGO_ENV", "development") == "production":
        return
    var_dir = Path(env.get("SHOP_VAR_DIR", ROOT / "var"))
    ensure_dev_key_pair(Path(env.get("JWT_KEYS_DIR", var_dir / "jwt")))


@dataclass
class StackConfig:
    ports: dict[str, int]
    env: dict[str, str]
    log_dir: Path
    web_workers: int = 2
    worker_concurrency: dict[str, int] = field(
        default_factory=lambda: {"users": 1, "products": 1, "orders": 2, "inventory": 2}
    )
    # The gateway's port; None runs the services without it (each on its own port only).
    gateway_port: int | None = None
    # Values for the gateway's template beyond the addresses (deploy/nginx/render.py's
    # placeholders, e.g. PLACEMENT_RATE); what is not given keeps the renderer's default.
    gateway_values: dict[str, str] = field(default_factory=dict)
    # Beat runs inside its service's worker (Celery's --beat: a forked child that shares the
    # worker's memory) rather than as a process of its own: one machine runs one worker per
    # service, so there is still exactly one beat. Kubernetes keeps beat a Deployment of its own.
    beat_in_worker: bool = True
    # Where each service's Celery worker serves its own metrics (127.0.0.1 only); a service not
    # named serves none.
    worker_metrics_ports: dict[str, int] = field(default_factory=dict)


# The web processes' settings, the same file as in the containers (its values are theirs).
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# Shorter than the containers' 25 s: a web process finishes its requests within STOP_SECONDS.
GRACEFUL_TIMEOUT_SECONDS = 10


def gunicorn_command(application: str, *, bind: str, workers: int) -> list[str]:
    """How every web process of the local stack runs (and the benchmark's reference app): the
    containers' gunicorn.conf.py, with what differs on one machine given on the command line
    (which wins over the file): its address, its worker count, the graceful timeout."""
    return [
        sys.executable, "-m", "gunicorn", application,
        "--config", str(GUNICORN_CONFIG),
        "--bind", bind,
        "--workers", str(workers),
        "--graceful-timeout", str(GRACEFUL_TIMEOUT_SECONDS),
    ]  # fmt: skip


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        # Where each process's output of its current run starts in its log file.
        self.log_offsets: dict[str, int] = {}
        # Before any of its processes loads the settings, which read the keys.
        ensure_dev_keys(config.env)
        config.log_dir.mkdir(parents=True, exist_ok=True)
        for old_log in config.log_dir.glob("*.log"):
            old_log.unlink()

    # -- one-off commands -------------------------------------------------------------------
    def manage(self, service: str, *command: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", service, *command],
            cwd=ROOT,
            env=self.config.env,
            check=True,
        )

    def manage_each(self, *command: str) -> None:
        """`manage.py <service> <command>` for every service at once: each has a database and
        files of its own, and most of each run is Django starting, so four in parallel take
        half the time of four in a row on two cores (every stack start does this twice)."""
        processes = {
            service: subprocess.Popen(
                [sys.executable, "manage.py", service, *command], cwd=ROOT, env=self.config.env
            )
            for service in SERVICES
        }
        try:
            failed = [service for service, process in processes.items() if process.wait() != 0]
        finally:
            for process in processes.values():
                if process.poll() is None:  # interrupted (a stop requested): take them along
                    process.kill()
                    process.wait()
        if failed:
            raise subprocess.CalledProcessError(
                processes[failed[0]].returncode, ["manage.py", failed[0], *command]
            )

    def migrate(self) -> None:
        self.manage_each("migrate", "--noinput", "--verbosity", "0")

    # -- long-running processes -------------------------------------------------------------
    def commands(self) -> dict[str, list[str]]:
        python = sys.executable
        commands = {}
        for service in SERVICES:
            commands[f"{service}-web"] = gunicorn_command(
                f"{service}.wsgi:application",
                bind=f"127.0.0.1:{self.config.ports[service]}",
                workers=self.config.web_workers,
            )
            commands[f"{service}-worker"] = [
                python, "-m", "workers", service, "worker",
                "--concurrency", str(self.config.worker_concurrency[service]),
            ]  # fmt: skip
            if service in BEAT_SERVICES and self.config.beat_in_worker:
                commands[f"{service}-worker"].append("--beat")
            if not self.relay_in_worker:
                commands[f"{service}-relay"] = [python, "-m", "workers", service, "relay"]
        if not self.config.beat_in_worker:
            for service in BEAT_SERVICES:
                commands[f"{service}-beat"] = [python, "-m", "workers", service, "beat"]
        if self.config.gateway_port:
            commands["gateway"] = [
                render.nginx_binary(), "-c", str(self.nginx_dir / "nginx.conf"),
                "-p", str(self.nginx_dir), "-g", "daemon off;",
            ]  # fmt: skip
        return commands

    @property
    def relay_in_worker(self) -> bool:
        """Whether each service's relay runs in its worker (SHOP_RELAY_IN_WORKER, the local
        stack's default) or as a process of its own, `<service>-relay`."""
        value = {**PROCESS_DEFAULTS, **self.config.env}["SHOP_RELAY_IN_WORKER"]
        return value.strip().lower() in environ.Env.BOOLEAN_TRUE_STRINGS

    def prepare_gateway(self) -> None:
        """Collect every service's static files and render the gateway's configuration."""
        self.manage_each("collectstatic", "--noinput", "--verbosity", "0")
        values = {
            "LISTEN": f"127.0.0.1:{self.config.gateway_port}",
            "STATIC_ROOT": str(Path(self.config.env.get("SHOP_VAR_DIR", ROOT / "var")) / "static"),
            **{
                f"{service.upper()}_UPSTREAM": f"127.0.0.1:{self.config.ports[service]}"
                for service in SERVICES
            },
            **self.config.gateway_values,
        }
        config = render.write_standalone(
            values, runtime_dir=self.nginx_dir, output=self.nginx_dir / "nginx.conf"
        )
        render.check(config, self.nginx_dir)

    @property
    def nginx_dir(self) -> Path:
        return self.config.log_dir / "nginx"

    def start(self, names: Iterable[str] | None = None) -> None:
        commands = self.commands()
        names = list(names or commands)
        for name in names:
            self.start_process(name, commands[name])
        for name in names:
            self.wait_ready(name)

    def start_process(self, name: str, command: list[str] | None = None) -> None:
        command = command or self.commands()[name]
        service = name.split("-", 1)[0]
        env = {
            **PROCESS_DEFAULTS,
            **self.config.env,
            "DJANGO_SETTINGS_MODULE": f"{service}.settings",
        }
        if self.config.gateway_port:
            # Behind the gateway, which sets X-Forwarded-For to the client's address.
            env.setdefault("DJANGO_NUM_PROXIES", "1")
        if name.endswith("-worker") and service in self.config.worker_metrics_ports:
            env["SHOP_WORKER_METRICS_PORT"] = str(self.config.worker_metrics_ports[service])
            env["SHOP_WORKER_METRICS_ADDRESS"] = "127.0.0.1"
        log = open(self.log_path(name), "ab")  # noqa: SIM115 - the child owns it from here
        self.log_offsets[name] = log.tell()
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A process group of its own, so that killing it also kills its prefork children.
            start_new_session=True,
        )
        log.close()

    def wait_ready(self, name: str) -> None:
        service, _, role = name.partition("-")
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}; see {self.log_path(name)}"
                )
            if role == "web" and self._answers(f"{self.url(service)}/healthz"):
                return
            if name == "gateway" and self._answers(f"{self.gateway_url}/healthz"):
                return
            if role in READY_LINES and READY_LINES[role] in self.current_log(name):
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"{name} not ready after {READY_TIMEOUT_SECONDS}s; see {self.log_path(name)}"
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal a process and its children (a Celery worker's pool) at once."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop(self) -> None:
        """Stop every process within STOP_SECONDS plus a moment: SIGTERM to each one, which
        stops its own children (gunicorn's and nginx's workers, a Celery prefork pool: signalled
        directly as well, a prefork child dies and leaves its worker waiting for it), and
        SIGKILL to whatever of its process group is left at the deadline, children that
        outlived their parent included. Never raises for a process that is gone already."""
        processes = list(self.processes.values())
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
        for process in processes:
            _signal_group(process, signal.SIGKILL)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self.processes.clear()

    def running(self) -> bool:
        return all(process.poll() is None for process in self.processes.values())

    # -- helpers ----------------------------------------------------------------------------
    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[service]}"

    def worker_metrics_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.config.worker_metrics_ports[service]}/metrics"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.config.gateway_port}"

    def current_log(self, name: str) -> bytes:
        with open(self.log_path(name), "rb") as log:
            log.seek(self.log_offsets[name])
            return log.read()

    def log_path(self, name: str) -> Path:
        return self.config.log_dir / f"{name}.log"

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - our own local URL
                return True
        except OSError:
            return False


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    # Each process leads a group of its own (start_new_session): the group outlives a leader
    # that exited before its children did.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
