"""What the suites that run the real stack need: fresh databases, an isolated RabbitMQ virtual
host behind a proxy the tests can cut, the processes themselves and a small JSON client."""

import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import requests
from psycopg2 import sql

from deploy.local.stack import ROOT, SERVICES, Stack, StackConfig

STAFF = ("test-admin", "test-admin-password")
CUSTOMER_PASSWORD = "a perfectly fine password 42"
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
RABBITMQ = ("127.0.0.1", 5672)
# Every client of a test stack is 127.0.0.1, and the saga, e2e and benchmark runs place orders
# far faster than any one shopper: the gateway's placement limit is raised out of their way
# (tests/gateway checks the limit itself).
UNLIMITED_PLACEMENTS = {"PLACEMENT_RATE": "100000r/s", "PLACEMENT_BURST": "100000"}
# What the fault suite and the chaos run start the stack with: retries a few tenths of a second
# apart (capped at two seconds, so that a long outage does not leave a message waiting a
# minute), a second between expiry scans, and Celery's prefork pool (its children are a case).
FAULT_ENV = {
    "SHOP_MESSAGE_RETRY_BACKOFF_SECONDS": "0.2",
    "SHOP_MESSAGE_RETRY_BACKOFF_MAX_SECONDS": "2",
    "ORDERS_EXPIRY_SCAN_SECONDS": "1",
    "CELERY_WORKER_POOL": "prefork",
    # A few customers keep placing orders through every fault: the open-order cap (tests/orders
    # checks it) must not be what they meet.
    "ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER": "100000",
}


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
    delete_vhost(vhost)
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


def delete_vhost(vhost: str) -> None:
    """Gone with its queues: idle quorum queues left behind keep the shared broker busy (about
    0.3 % of a core for one stack's 33)."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is not None and vhost != "/":
        subprocess.run([rabbitmqctl, "-q", "delete_vhost", vhost], capture_output=True, timeout=60)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RabbitNode:
    """A RabbitMQ server of the suite's own (Debian's rabbitmq-server), so that a test can stop,
    start and alarm the server process itself: its own node name, ports, Erlang cookie and data
    under a temporary directory. The machine's own RabbitMQ is shared and never touched."""

    def __init__(self, name: str, *, cookie: str | None = None) -> None:
        self.node = f"{name}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix=f"shop-rabbit-{name}-"))
        cookie_file = self.directory / ".erlang.cookie"
        # Nodes of one cluster share theirs (see RabbitCluster).
        cookie_file.write_text(cookie or uuid.uuid4().hex.upper())
        cookie_file.chmod(0o400)
        (self.directory / "enabled_plugins").write_text("[].\n")
        (self.directory / "rabbitmq.conf").write_text("")
        (self.directory / "rabbitmq-env.conf").write_text("")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            # The Erlang cookie is read from $HOME: this one is the node's own.
            "HOME": str(self.directory),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.directory / "rabbitmq"),
            "RABBITMQ_CONF_ENV_FILE": str(self.directory / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.directory / "rabbit.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }
        self.process: subprocess.Popen | None = None
        self.restarts = 0

    @staticmethod
    def available() -> bool:
        return Path(_rabbit_binary("rabbitmq-server")).exists()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def ctl(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run(
            [_rabbit_binary("rabbitmqctl"), "-q", "-n", self.node, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return result.stdout

    def start(self) -> None:
        """Start the server process and wait until it takes AMQP connections."""
        self.launch()
        self.await_startup()

    def launch(self) -> None:
        """Start the server process without waiting for it (nodes of a cluster boot together)."""
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - the child owns it
        # The scripts in /usr/lib/rabbitmq/bin run as whoever calls them (/usr/sbin's switch
        # to the rabbitmq user, whose home holds the machine's cookie).
        self.process = subprocess.Popen(
            [_rabbit_binary("rabbitmq-server")],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def await_startup(self) -> None:
        assert self.process is not None, "launch() the node first"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited; see {self.directory}/server.log")
            try:
                self.ctl("await_startup", "--timeout", "5", timeout=20)
                return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.5)
        raise RuntimeError(f"rabbitmq-server not up after 60 s; see {self.directory}")

    def stop(self) -> None:
        """Stop the server process (rabbitmqctl stop halts the Erlang VM itself)."""
        if self.process is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.ctl("stop", timeout=60)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the node's Erlang VM, as a crash or a lost machine would end it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def restart(self, down_seconds: float = 0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def set_memory_alarm(self, on: bool) -> None:
        """Below its memory watermark RabbitMQ blocks every publishing connection."""
        self.ctl("set_vm_memory_high_watermark", "0.0000001" if on else "0.4")

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class RabbitCluster:
    """Nodes of Debian's rabbitmq-server (RabbitNode each: own names, ports and data) sharing one
    Erlang cookie, joined into one cluster with `rabbitmqctl join_cluster`."""

    def __init__(self, name: str, size: int = 3) -> None:
        cookie = uuid.uuid4().hex.upper()
        self.nodes = [RabbitNode(f"{name}{number}", cookie=cookie) for number in range(1, size + 1)]

    @property
    def url(self) -> str:
        """Every node's URL, as kombu takes a cluster: `;`-separated, tried in turn."""
        return ";".join(node.url for node in self.nodes)

    @property
    def port(self) -> int:
        return self.nodes[0].port

    def start(self) -> None:
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.await_startup()
        first, *others = self.nodes
        for node in others:
            node.ctl("stop_app")
            node.ctl("join_cluster", first.node)
            node.ctl("start_app")
        running = self.running_nodes()
        assert running == {node.node for node in self.nodes}, f"not all joined: {running}"

    def running_nodes(self) -> set[str]:
        """The nodes the cluster counts as running (rabbitmqctl cluster_status)."""
        return set(json.loads(self.ctl("cluster_status", "--formatter", "json"))["running_nodes"])

    def node(self, name: str) -> RabbitNode:
        return next(node for node in self.nodes if node.node == name)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """rabbitmqctl against the first node that answers."""
        for node in self.nodes:
            if node.process is None:
                continue
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                return node.ctl(*args, timeout=timeout)
        raise RuntimeError("no node of the cluster answers rabbitmqctl")

    def leaders(self, queues: Iterable[str]) -> dict[str, str]:
        """The node that leads each of `queues` (quorum queues), by queue name."""
        rows = self.ctl("list_queues", "name", "leader", "--no-table-headers")
        found = dict(line.split("\t")[:2] for line in rows.splitlines() if "\t" in line)
        return {queue: found[queue] for queue in queues if queue in found}

    def close(self) -> None:
        for node in self.nodes:
            node.close()


def _rabbit_binary(name: str) -> str:
    direct = Path("/usr/lib/rabbitmq/bin") / name
    return str(direct) if direct.exists() else (shutil.which(name) or name)


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


_sequence = itertools.count(1)


@dataclass
class Shop:
    """The running stack and what a test needs to drive and inspect it."""

    stack: Stack
    api: Api
    broker: BrokerProxy
    staff_token: str

    database_prefix: str
    # The suite's own RabbitMQ server or cluster, when the stack runs on one (see RabbitNode).
    rabbit: "RabbitNode | RabbitCluster | None" = None

    def database(self, service: str) -> str:
        return f"{self.database_prefix}{service}"

    def query(self, service: str, statement: str, params: tuple = ()) -> list[tuple]:
        return query(self.database(service), statement, params)

    def new_customer(self) -> str:
        """Register a fresh customer through the API and return an access token."""
        return self.api.token(self.register_customer(), CUSTOMER_PASSWORD)

    def register_customer(self) -> str:
        """Register a fresh customer (password CUSTOMER_PASSWORD); return the username."""
        username = f"customer{next(_sequence)}-{uuid.uuid4().hex[:6]}"
        response = self.api.call(
            "POST",
            "users",
            "/api/auth/register/",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": CUSTOMER_PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        return username

    def new_product(self, *, price: str = "10.00", stock: int = 0) -> int:
        """Create a product as staff; wait until inventory and orders know it; stock it."""
        number = next(_sequence)
        response = self.api.call(
            "POST",
            "products",
            "/api/products/",
            token=self.staff_token,
            json={
                "sku": f"SAGA-{number}-{uuid.uuid4().hex[:6]}",
                "name": f"Saga item {number}",
                "price": price,
            },
        )
        assert response.status_code == 201, response.text
        product_id = response.json()["id"]
        wait_for(
            lambda: (
                self.api.call("GET", "inventory", f"/api/inventory/{product_id}/").status_code
                == 200
            ),
            timeout=5,
            what=f"inventory to learn product {product_id}",
        )
        wait_for(
            lambda: self.query(
                "orders", "SELECT 1 FROM orders_catalogproduct WHERE product_id = %s", (product_id,)
            ),
            timeout=5,
            what=f"orders to learn product {product_id}",
        )
        if stock:
            self.adjust_stock(product_id, stock)
        return product_id

    def adjust_stock(self, product_id: int, delta: int) -> dict:
        response = self.api.call(
            "POST",
            "inventory",
            f"/api/inventory/{product_id}/adjust/",
            token=self.staff_token,
            json={"delta": delta, "reason": "saga test stock"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def stock(self, product_id: int) -> dict:
        response = self.api.call(
            "GET", "inventory", f"/api/inventory/{product_id}/", token=self.staff_token
        )
        assert response.status_code == 200, response.text
        return response.json()

    def wait_reservation_blocked(self, *, timeout: float = 10.0) -> None:
        """Wait until a reservation is mid-task, its stock UPDATE waiting for a row lock that
        the test holds. (The consumer's row of a first delivery commits with the reservation,
        so it cannot tell that the task started.)"""
        wait_for(
            lambda: self.query(
                "inventory",
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE %%inventory_stockrecord%%'",
            ),
            timeout=timeout,
            what="the reservation to start and wait for the held stock row",
        )

    def movements(self, product_id: int) -> list[dict]:
        response = self.api.call(
            "GET",
            "inventory",
            f"/api/inventory/{product_id}/movements/",
            token=self.staff_token,
            params={"page_size": 100},
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def place(self, token: str, items: list[dict], **extra) -> dict:
        response = self.api.call(
            "POST", "orders", "/api/orders/", token=token, json={"items": items}, **extra
        )
        assert response.status_code == 202, response.text
        return response.json()

    def order(self, token: str, order_id: str) -> dict:
        response = self.api.call("GET", "orders", f"/api/orders/{order_id}/", token=token)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_status(self, token: str, order_id: str, *statuses: str, timeout: float = 10) -> dict:
        return wait_for(
            lambda: (order := self.order(token, order_id))["status"] in statuses and order,
            timeout=timeout,
            what=f"order {order_id} to become {' or '.join(statuses)}",
        )


@contextlib.contextmanager
def running_shop(
    name: str,
    *,
    gateway: bool = False,
    env: dict[str, str] | None = None,
    broker_proxy: bool = True,
    rabbit: "RabbitNode | RabbitCluster | None" = None,
) -> Iterator[Shop]:
    """The whole shop as real processes on fresh `shop_<name>_*` databases and a RabbitMQ
    virtual host of its own, reached through a proxy the tests can cut (without `broker_proxy`,
    directly, as the benchmark needs: the proxy is Python and costs CPU); with `gateway`, every
    request goes through Nginx as a client's would."""
    database_prefix = f"shop_{name}_"
    for service in SERVICES:
        recreate_database(f"{database_prefix}{service}")
    if rabbit is None:
        vhost = reset_vhost(f"shop_{name}")
        broker = BrokerProxy()
        broker_port = broker.port if broker_proxy else RABBITMQ[1]
        broker_url = f"amqp://guest:guest@127.0.0.1:{broker_port}/{vhost}"
    else:
        # A server (or cluster) of the test's own: the default virtual host, reached directly,
        # so that stopping it is what every process of the stack meets.
        broker = BrokerProxy(target=("127.0.0.1", rabbit.port))
        broker_url = rabbit.url
    artifacts = Path(os.environ.get("SHOP_TEST_ARTIFACTS", ROOT / "test-artifacts"))
    full_env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
        **{
            f"{service.upper()}_DATABASE_URL": (
                f"postgres://postgres@127.0.0.1:5432/{database_prefix}{service}"
            )
            for service in SERVICES
        },
        "CELERY_BROKER_URL": broker_url,
        "SHOP_VAR_DIR": str(artifacts / name / "var"),
        "DJANGO_SUPERUSER_USERNAME": STAFF[0],
        "DJANGO_SUPERUSER_EMAIL": f"{STAFF[0]}@example.com",
        "DJANGO_SUPERUSER_PASSWORD": STAFF[1],
        "USERS_LOGIN_RATE": "10000/minute",
        "USERS_REGISTER_RATE": "10000/minute",
        # The suites hammer the sign-in with wrong passwords from one address to test the
        # gateway's limit, and expect it to lift within seconds: the service's lockout (15
        # minutes by default, tested in tests/users) must not be what they meet.
        "USERS_LOGIN_FAILURES_PER_ACCOUNT": "10000",
        "USERS_LOGIN_FAILURES_PER_ADDRESS": "10000",
        **(env or {}),
    }
    stack = Stack(
        StackConfig(
            ports={service: free_port() for service in SERVICES},
            env=full_env,
            log_dir=artifacts / name / "logs",
            gateway_port=free_port() if gateway else None,
            gateway_values=UNLIMITED_PLACEMENTS,
            worker_metrics_ports={service: free_port() for service in SERVICES},
        )
    )
    stack.migrate()
    stack.manage("users", "createsuperuser", "--noinput")
    if gateway:
        stack.prepare_gateway()
    try:
        stack.start()
        api = Api(
            {service: stack.gateway_url if gateway else stack.url(service) for service in SERVICES}
        )
        yield Shop(
            stack=stack,
            api=api,
            broker=broker,
            staff_token=api.token(*STAFF),
            database_prefix=database_prefix,
            rabbit=rabbit,
        )
    finally:
        stack.stop()
        broker.close()
        if rabbit is None:
            delete_vhost(vhost)
