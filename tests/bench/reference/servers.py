"""Start and stop the reference servers: gunicorn serving tests.bench.reference (the shop's own
gunicorn command line and worker count) and an nginx in front of it that also answers a fixed
JSON body itself, proxied with the gateway's upstream settings."""

import contextlib
import json
import os
import pwd
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deploy.local.stack import ROOT, gunicorn_command
from deploy.nginx import render
from tests.bench.reference.urls import BODY

NGINX_PATH = "/nginx/"
DJANGO_PATH = "/django/"
READY_TIMEOUT_SECONDS = 30


@dataclass
class References:
    url: str
    processes: dict[str, subprocess.Popen]


def nginx_config(*, listen: int, upstream: int, runtime_dir: Path) -> str:
    temp_paths = "\n".join(
        f'    {kind}_temp_path "{runtime_dir / "tmp" / kind}";' for kind in render.TEMP_DIRS
    )
    # The body nginx answers: the Django view's, so both references send the same bytes.
    body = json.dumps(BODY, separators=(", ", ": "))
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    # What matters for a fair comparison is copied from deploy/nginx/shop.conf.template: the
    # JSON access log, the request id header, an upstream with idle connections kept, HTTP/1.1
    # to it with the Connection header cleared, and the same proxy headers.
    return f"""{user}worker_processes auto;
pid "{runtime_dir / "nginx.pid"}";
error_log "{runtime_dir / "error.log"}" warn;
events {{
    worker_connections 1024;
}}
http {{
{temp_paths}
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    log_format bench_json escape=json
        '{{"time":"$time_iso8601","request_id":"$request_id","remote_addr":"$remote_addr",'
        '"method":"$request_method","uri":"$request_uri","status":$status,'
        '"bytes_sent":$body_bytes_sent,"request_time":$request_time,'
        '"upstream":"$upstream_addr","upstream_status":"$upstream_status",'
        '"upstream_response_time":"$upstream_response_time","host":"$host",'
        '"user_agent":"$http_user_agent"}}';
    upstream bench_django {{
        server 127.0.0.1:{upstream};
        keepalive 16;
        keepalive_timeout 1s;
    }}
    server {{
        listen 127.0.0.1:{listen};
        server_name _;
        server_tokens off;
        access_log "{runtime_dir / "access.log"}" bench_json;
        default_type application/json;
        add_header X-Request-ID $request_id always;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Request-ID $request_id;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout 2s;
        proxy_read_timeout 30s;
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 2;
        location = {NGINX_PATH} {{
            return 200 '{body}';
        }}
        location {DJANGO_PATH} {{
            proxy_pass http://bench_django;
        }}
    }}
}}
"""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own local URL
            return response.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextlib.contextmanager
def running_references(
    *, nginx_port: int, django_port: int, workers: int, runtime_dir: Path
) -> Iterator[References]:
    """Both reference servers, running; stopped (with their process groups) on the way out."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    (runtime_dir / "tmp").mkdir(exist_ok=True)
    config = runtime_dir / "nginx.conf"
    config.write_text(
        nginx_config(listen=nginx_port, upstream=django_port, runtime_dir=runtime_dir)
    )
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
        "DJANGO_SETTINGS_MODULE": "tests.bench.reference.settings",
    }
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in (
            (
                "reference-django",
                gunicorn_command(
                    "tests.bench.reference.wsgi:application",
                    bind=f"127.0.0.1:{django_port}",
                    workers=workers,
                ),
            ),
            (
                "reference-nginx",
                [render.nginx_binary(), "-c", str(config), "-p", str(runtime_dir),
                 "-g", "daemon off;"],
            ),
        ):  # fmt: skip
            log = open(runtime_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
            processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
        url = f"http://127.0.0.1:{nginx_port}"
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not (_answers(url + NGINX_PATH) and _answers(url + DJANGO_PATH)):
            for name, process in processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited; see {runtime_dir / name}.log")
            if time.monotonic() > deadline:
                raise RuntimeError(f"reference servers not ready; see {runtime_dir}")
            time.sleep(0.1)
        yield References(url=url, processes=processes)
    finally:
        for process in processes.values():
            _stop(process)
