"""A real nginx, configured from deploy/nginx/, in front of four stand-in services.

Each stand-in is a tiny HTTP server that answers with what it received (its name, the method,
the path, the headers the gateway sets) and counts the requests. A query string tells it to
misbehave: `?sleep=<seconds>` answers late, `?drop=1` reads the request and hangs up without an
answer (a worker that died mid-request), `?status=<code>` answers with that status, and
`?set_cookie=1` sets a cookie. As the users service, it answers the gateway's sign-in check
(`/internal/sso-check`) `ok` for SSO tokens that start with `live`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from deploy.nginx import render
from shop import SERVICES

STARTUP_SECONDS = 5.0


class Upstream:
    """A stand-in for one service on 127.0.0.1, in a thread of its own."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
        self.server.upstream = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def record(self, seen: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(seen)

    def count(self, path: str | None = None) -> int:
        with self._lock:
            return sum(1 for seen in self.requests if path is None or seen["path"] == path)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections alive, as gunicorn's threaded workers do
    server: ThreadingHTTPServer

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _answer(self) -> None:
        upstream: Upstream = self.server.upstream  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = {
            "service": upstream.name,
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "body_length": len(body),
            "host": self.headers.get("Host"),
            "connection": self.headers.get("Connection"),
            "x_request_id": self.headers.get_all("X-Request-ID"),
            "x_forwarded_for": self.headers.get_all("X-Forwarded-For"),
            "x_forwarded_proto": self.headers.get("X-Forwarded-Proto"),
            "x_request_start": self.headers.get_all("X-Request-Start"),
            "authorization": self.headers.get("Authorization"),
            "cookie": self.headers.get("Cookie"),
            "x_shop_sso_token": self.headers.get("X-Shop-Sso-Token"),
        }
        upstream.record(seen)
        query = parse_qs(urlsplit(self.path).query)
        if "drop" in query:
            self.close_connection = True
            return
        if "sleep" in query:
            time.sleep(float(query["sleep"][0]))
        payload = json.dumps(seen).encode()
        with contextlib.suppress(OSError):  # the gateway may have given up waiting
            self.send_response(int(query.get("status", ["200"])[0]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if self.path == "/internal/sso-check":
                # The users service's answer about an SSO cookie: tokens named `live...` stand.
                token = self.headers.get("X-Shop-Sso-Token") or ""
                self.send_header("X-Shop-Sso", "ok" if token.startswith("live") else "ended")
            if "set_cookie" in query:
                self.send_header("Set-Cookie", "products_csrftoken=fresh; Path=/")
            self.send_header("X-Request-ID", "set-by-the-service")
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


@dataclass
class Gateway:
    port: int
    runtime_dir: Path
    upstreams: dict[str, Upstream]
    process: subprocess.Popen | None = None
    log_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_file = self.runtime_dir / "nginx.out"

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        timeout: float = 5.0,
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def start(self) -> None:
        config = self.runtime_dir / "nginx.conf"
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [nginx(), "-c", str(config), "-p", str(self.runtime_dir), "-g", "daemon off;"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.output()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/healthz", timeout=1).status == 200:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not answer within {STARTUP_SECONDS}s:\n{self.output()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        error_log = self.runtime_dir / "error.log"
        if error_log.exists():
            text += error_log.read_text(errors="replace")
        return text

    def access_log_entry(self, request_id: str, timeout: float = 2.0) -> dict[str, Any]:
        """The access log's line for a request; nginx writes it just after the response."""
        deadline = time.monotonic() + timeout
        while True:
            for line in (self.runtime_dir / "access.log").read_text().splitlines():
                entry = json.loads(line)
                if entry["request_id"] == request_id:
                    return entry
            if time.monotonic() > deadline:
                raise AssertionError(f"no access log line for request {request_id}")
            time.sleep(0.02)


def nginx() -> str:
    """nginx's path; the gateway tests FAIL (never skip) without it."""
    try:
        return render.nginx_binary()
    except FileNotFoundError as error:
        pytest.fail(f"the gateway tests need nginx: {error}", pytrace=False)


def free_port() -> int:
    """A port that nothing listens on (just now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def config_values(
    port: int, upstreams: dict[str, str], static_root: Path, **extra: str
) -> dict[str, str]:
    return {
        "LISTEN": f"127.0.0.1:{port}",
        **{f"{service.upper()}_UPSTREAM": address for service, address in upstreams.items()},
        "STATIC_ROOT": str(static_root),
        **extra,
    }


def start_gateway(
    runtime_dir: Path,
    upstreams: dict[str, Upstream],
    static_root: Path,
    addresses: dict[str, str] | None = None,
) -> Gateway:
    """nginx rendered from the template (a short read timeout: the 504 test waits for it)."""
    port = free_port()
    addresses = {name: upstream.address for name, upstream in upstreams.items()} | (addresses or {})
    render.write_standalone(
        config_values(port, addresses, static_root, PROXY_READ_TIMEOUT="1s"),
        runtime_dir=runtime_dir,
        output=runtime_dir / "nginx.conf",
        # One worker: its cache of idle upstream connections is the one every request uses.
        worker_processes="1",
    )
    gateway = Gateway(port=port, runtime_dir=runtime_dir, upstreams=upstreams)
    gateway.start()
    return gateway


@pytest.fixture(scope="session")
def static_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    for service in SERVICES:
        folder = root / service / "shop"
        folder.mkdir(parents=True)
        (folder / "app.css").write_text(f"/* {service} */ body {{ color: black; }}\n")
    return root


@pytest.fixture(scope="session")
def upstreams() -> Iterator[dict[str, Upstream]]:
    servers = {service: Upstream(service) for service in SERVICES}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, upstreams: dict[str, Upstream], static_root: Path
) -> Iterator[Gateway]:
    gateway = start_gateway(tmp_path_factory.mktemp("nginx"), upstreams, static_root)
    yield gateway
    gateway.stop()


@pytest.fixture
def fresh_gateway(
    tmp_path: Path, upstreams: dict[str, Upstream], static_root: Path
) -> Iterator[Gateway]:
    """A gateway of its own, for a test that uses up a rate limit's allowance."""
    gateway = start_gateway(tmp_path / "nginx", upstreams, static_root)
    yield gateway
    gateway.stop()


@pytest.fixture
def dead_orders_gateway(
    tmp_path: Path, upstreams: dict[str, Upstream], static_root: Path
) -> Iterator[Gateway]:
    """A gateway whose orders upstream is a port with nothing listening."""
    gateway = start_gateway(
        tmp_path / "nginx", upstreams, static_root, {"orders": f"127.0.0.1:{free_port()}"}
    )
    yield gateway
    gateway.stop()
