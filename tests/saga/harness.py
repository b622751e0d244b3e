"""What the saga suite needs around the real stack: fresh databases, an isolated RabbitMQ virtual
host behind a proxy the tests can cut, and a small JSON client."""

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg2
import requests
from psycopg2 import sql

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
RABBITMQ = ("127.0.0.1", 5672)


def recreate_database(name: str) -> None:
    connection = psycopg2.connect(dbname="postgres", **POSTGRES)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def connect(database: str):
    connection = psycopg2.connect(dbname=database, **POSTGRES)
    connection.autocommit = True
    return connection


def query(database: str, statement: str, params: tuple = ()) -> list[tuple]:
    with contextlib.closing(connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def reset_vhost(vhost: str) -> str:
    """A virtual host of our own, emptied, so that leftovers of an earlier run or a developer's
    running shop on the same broker never mix with this run's messages."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        return "/"
    subprocess.run([rabbitmqctl, "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
    subprocess.run(
        [rabbitmqctl, "-q", "add_vhost", vhost], check=True, capture_output=True, timeout=60
    )
    subprocess.run(
        [rabbitmqctl, "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return vhost


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class BrokerProxy:
    """A TCP proxy in front of RabbitMQ: `cut()` makes the broker unreachable for every process
    of the stack (open connections dropped, new ones refused) without stopping the real one."""

    def __init__(self, target: tuple[str, int] = RABBITMQ) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            self.is_up = False
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def restore(self) -> None:
        self.is_up = True

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                destination.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                with contextlib.suppress(OSError):
                    sock.close()


class Api:
    """JSON over HTTP to one service of the stack, as a client would talk to it."""

    def __init__(self, base_urls: dict[str, str]) -> None:
        self.base_urls = base_urls
        self.session = requests.Session()

    def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        return self.session.request(
            method,
            self.base_urls[service] + path,
            json=json,
            headers=all_headers,
            params=params,
            timeout=30,
        )

    def token(self, username: str, password: str) -> str:
        response = self.call(
            "POST", "users", "/api/auth/token/", json={"username": username, "password": password}
        )
        response.raise_for_status()
        return response.json()["access"]


def wait_for(
    condition: Callable[[], Any], *, timeout: float = 10.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Poll until `condition()` is truthy and return it; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(interval)
