"""What an operator meets, with orders flowing through the gateway; every case ends on the
invariants (tests/invariants.py)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from deploy.local.stack import ROOT
from shop import SERVICES
from tests.deploy.manifests import build, named
from tests.harness import connect, wait_for
from tests.invariants import assert_invariants
from workers.app import app as celery_app

PAYING_CARD = "4242424242424242"


class Flow:
    """Orders placed (and the settled ones paid) through the gateway in a thread, one after
    another, until stopped: what the shop is doing when the fault strikes."""

    def __init__(self, shop, product_id: int, *, pay: bool = True, pause: float = 0.05) -> None:
        self.shop, self.product_id, self.pay, self.pause = shop, product_id, pay, pause
        self.tokens = [shop.new_customer() for _ in range(3)]
        self.accepted: list[tuple[str, str]] = []
        self.answers: Counter = Counter()
        self.bad: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Flow":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=60)

    def _run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            token = self.tokens[number % len(self.tokens)]
            number += 1
            try:
                response = self.shop.api.call(
                    "POST",
                    "orders",
                    "/api/orders/",
                    token=token,
                    json={"items": [{"product_id": self.product_id, "quantity": 1}]},
                )
            except OSError as error:
                self.bad.append(repr(error))
                continue
            self.answers[response.status_code] += 1
            if response.status_code == 202:
                self.accepted.append((token, response.json()["id"]))
            elif response.status_code not in (409, 429, 503):
                self.bad.append(f"{response.status_code} {response.text[:200]}")
            time.sleep(self.pause)

    def settle(self, timeout: float = 90) -> list[str]:
        """Wait for every accepted order to leave pending; pay the reserved ones."""
        statuses = []
        for token, order_id in self.accepted:
            order = self.shop.wait_status(
                token, order_id, "awaiting_payment", "rejected", timeout=timeout
            )
            if self.pay and order["status"] == "awaiting_payment":
                paid = self.shop.api.call(
                    "POST",
                    "orders",
                    f"/api/orders/{order_id}/pay/",
                    token=token,
                    json={"card_number": PAYING_CARD},
                )
                assert paid.status_code == 200, paid.text
                order = paid.json()
            statuses.append(order["status"])
        return statuses

    @property
    def order_ids(self) -> list[str]:
        return [order_id for _, order_id in self.accepted]


def test_rabbitmq_server_restarted_twice_mid_flow_everything_resumes(shop):
    product_id = shop.new_product(stock=1000)
    workers = SERVICES
    assert answering(shop, workers) == set(workers)
    with Flow(shop, product_id) as flow:
        time.sleep(2)
        shop.rabbit.restart(down_seconds=2)
        # 30 s apart, as an operator's rolling restart would be: long enough for every client
        # to have reconnected in between, so the second restart hits a recovered stack.
        time.sleep(28)
        shop.rabbit.restart(down_seconds=2)
        time.sleep(3)
    settled = flow.settle()

    # Placement only writes the database: the broker's absence costs a client nothing.
    assert flow.bad == []
    assert len(flow.accepted) > 20
    assert set(settled) == {"paid"}
    # Every worker and relay came back on its own: nothing was restarted but the broker.
    assert shop.stack.running()
    assert_invariants(shop, flow.order_ids)
    # And every worker consumes again: its liveness probe (Celery's ping through the broker to
    # that very worker, as the k8s manifests run it) answers.
    assert answering(shop, workers) == set(workers)


def answering(shop, services) -> set[str]:
    """The workers whose liveness probe passes: the k8s manifests' command, Celery's ping
    through the broker to that very worker (`<service>@<host name>`)."""
    ping = [sys.executable, "-m", "celery", "-A", "workers.app", "inspect", "ping"]
    probes = {
        service: subprocess.Popen(
            [*ping, "--destination", f"{service}@{socket.gethostname()}", "--timeout", "10"],
            env={**shop.stack.config.env, "DJANGO_SETTINGS_MODULE": f"{service}.settings"},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for service in services
    }
    return {service for service, probe in probes.items() if probe.wait(timeout=60) == 0}


@pytest.fixture
def orders_relay_publishes_everything(shop):
    """Orders' processes with publishing on commit off, so that its relay publishes every
    message, woken by each commit (the relay's own case), and with the relay as a process of
    its own, which the test kills; as the suite runs them afterwards."""

    def restart_orders() -> None:
        names = ["orders-web", "orders-worker", "orders-relay"]
        for name in names:
            if name in shop.stack.processes:
                shop.stack.kill(name, signal.SIGTERM)
        commands = shop.stack.commands()
        shop.stack.start([name for name in names if name in commands])

    env = shop.stack.config.env
    switched = {"SHOP_OUTBOX_PUBLISH_ON_COMMIT": "false", "SHOP_RELAY_IN_WORKER": "false"}
    before = {name: env.get(name) for name in switched}
    env.update(switched)
    restart_orders()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                env.pop(name)
            else:
                env[name] = value
        restart_orders()


@pytest.mark.usefixtures("orders_relay_publishes_everything")
def test_relay_killed_after_publishing_before_marking_sent_duplicates_are_deduplicated(
    shop, customer
):
    product_id = shop.new_product(stock=5)
    database = shop.database("orders")
    # Between the broker's confirm and the commit of `sent_at`: the relay's UPDATE waits here.
    with contextlib.closing(connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION faults_hold_sent() RETURNS trigger AS"
            " $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER faults_hold_sent BEFORE UPDATE ON messaging_outboxmessage"
            " FOR EACH ROW WHEN (OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL)"
            " EXECUTE FUNCTION faults_hold_sent()"
        )
    try:
        order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
        (message_id,) = wait_for(
            lambda: shop.query(
                "inventory",
                "SELECT message_id::text FROM messaging_inboxmessage"
                " WHERE task_name = 'inventory.stock_reserve' AND payload->>'order_id' = %s",
                (order["id"],),
            ),
            timeout=10,
            what="the reservation to reach inventory",
        )[0]
        shop.stack.kill("orders-relay")
    finally:
        with contextlib.closing(connect(database)) as connection, connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER faults_hold_sent ON messaging_outboxmessage")
    unsent = shop.query(
        "orders", "SELECT 1 FROM messaging_outboxmessage WHERE id = %s AND sent_at IS NULL",
        (message_id,),
    )  # fmt: skip
    shop.stack.start(["orders-relay"])
    wait_for(
        lambda: shop.query(
            "inventory",
            "SELECT 1 FROM messaging_inboxmessage WHERE message_id = %s AND deliveries >= 2",
            (message_id,),
        ),
        timeout=15,
        what="the relay to publish the message again",
    )

    assert unsent, "the relay's kill left the message marked sent"
    assert shop.wait_status(customer, order["id"], "awaiting_payment")["status"]
    assert shop.stock(product_id)["reserved"] == 2
    assert_invariants(shop, [order["id"]])


def test_web_killed_after_publishing_before_marking_sent_the_relay_sweeps_it_up_once(
    shop, customer
):
    """Orders' web process publishes its messages after commit; killed before its marks reached
    the database, its relay publishes them again, and the consumer takes them once."""
    product_id = shop.new_product(stock=5)
    database = shop.database("orders")
    # The database refuses the marks, so the web process still holds them when it is killed.
    with contextlib.closing(connect(database)) as connection, connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION faults_refuse_sent() RETURNS trigger AS"
            " $$ BEGIN RAISE EXCEPTION 'faults: not marked'; END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            "CREATE TRIGGER faults_refuse_sent BEFORE UPDATE ON messaging_outboxmessage"
            " FOR EACH ROW WHEN (OLD.sent_at IS NULL AND NEW.sent_at IS NOT NULL)"
            " EXECUTE FUNCTION faults_refuse_sent()"
        )
    try:
        order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
        (message_id,) = wait_for(
            lambda: shop.query(
                "inventory",
                "SELECT message_id::text FROM messaging_inboxmessage"
                " WHERE task_name = 'inventory.stock_reserve' AND payload->>'order_id' = %s",
                (order["id"],),
            ),
            timeout=10,
            what="the reservation to reach inventory",
        )[0]
        shop.stack.kill("orders-web")
    finally:
        with contextlib.closing(connect(database)) as connection, connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER faults_refuse_sent ON messaging_outboxmessage")
    unsent = shop.query(
        "orders", "SELECT 1 FROM messaging_outboxmessage WHERE id = %s AND sent_at IS NULL",
        (message_id,),
    )  # fmt: skip
    shop.stack.start(["orders-web"])
    wait_for(
        lambda: shop.query(
            "inventory",
            "SELECT 1 FROM messaging_inboxmessage WHERE message_id = %s AND deliveries >= 2",
            (message_id,),
        ),
        timeout=15,
        what="the relay to sweep the message up and publish it again",
    )

    assert unsent, "the web process's kill left the message marked sent"
    assert shop.wait_status(customer, order["id"], "awaiting_payment")["status"]
    assert shop.stock(product_id)["reserved"] == 2
    assert wait_for(
        lambda: shop.query(
            "orders",
            "SELECT 1 FROM messaging_outboxmessage WHERE id = %s AND sent_at IS NOT NULL",
            (message_id,),
        ),
        timeout=5,
        what="the relay to mark it sent",
    )
    assert_invariants(shop, [order["id"]])


def test_service_database_away_during_a_burst_answers_503_and_recovers(shop):
    product_id = shop.new_product(stock=1000)
    database = shop.database("orders")
    token = shop.new_customer()
    seen: Counter = Counter()
    with Flow(shop, product_id, pay=False, pause=0.02) as flow:
        time.sleep(1)
        with contextlib.closing(connect("postgres")) as admin, admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
            try:
                away_until = time.monotonic() + 4
                while time.monotonic() < away_until:
                    response = shop.api.call("GET", "orders", "/api/orders/", token=token)
                    seen[response.status_code] += 1
                    assert response.status_code == 503, response.text
                    assert response.headers["Content-Type"].startswith("application/json")
                    assert int(response.headers["Retry-After"]) > 0
                    assert response.json()["detail"]
                    time.sleep(0.1)
            finally:
                cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        # Straight after: no stale connection answers an error.
        after = [
            shop.api.call("GET", "orders", "/api/orders/", token=token).status_code
            for _ in range(20)
        ]
        time.sleep(2)
    settled = flow.settle()

    assert seen[503] > 5
    assert after == [200] * 20
    assert flow.bad == []
    assert flow.answers[503] > 0 and flow.answers[202] > 0
    assert set(settled) == {"awaiting_payment"}
    assert_invariants(shop, flow.order_ids)


def test_service_web_stopped_behind_the_gateway_answers_502_fast_others_keep_working(
    shop, customer
):
    product_id = shop.new_product(stock=10)
    shop.stack.kill("inventory-web", signal.SIGTERM)
    try:
        started = time.monotonic()
        response = shop.api.call("GET", "inventory", f"/api/inventory/{product_id}/")
        elapsed = time.monotonic() - started
        catalog = shop.api.call("GET", "products", f"/api/products/{product_id}/")
        order = shop.place(customer, [{"product_id": product_id, "quantity": 1}])
        settled = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=15)
    finally:
        shop.stack.start(["inventory-web"])
    back = shop.api.call("GET", "inventory", f"/api/inventory/{product_id}/")

    assert response.status_code in (502, 503), response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["detail"]
    assert elapsed < 1
    assert catalog.status_code == 200
    # The saga needs no inventory web: the worker reserves.
    assert settled["status"] == "awaiting_payment"
    assert back.status_code == 200
    assert_invariants(shop, [order["id"]])


@contextlib.contextmanager
def stock_row_held(shop, product_id: int):
    """Hold the stock row, so that a reservation of it blocks inside its UPDATE: a long task."""
    blocker = connect(shop.database("inventory"))
    blocker.autocommit = False
    with blocker.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM inventory_stockrecord WHERE product_id = %s FOR UPDATE", (product_id,)
        )
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def test_warm_shutdown_during_a_long_task_finishes_or_redelivers_it(shop, customer):
    product_id = shop.new_product(stock=5)
    worker = shop.stack.processes["inventory-worker"]
    with stock_row_held(shop, product_id):
        order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
        shop.wait_reservation_blocked()
        # SIGTERM to the worker's main process only, as Kubernetes sends it to PID 1.
        os.kill(worker.pid, signal.SIGTERM)
        time.sleep(1)
    worker.wait(timeout=30)
    shop.stack.processes.pop("inventory-worker")
    shop.stack.start(["inventory-worker"])
    settled = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=30)

    assert settled["status"] == "awaiting_payment"
    assert shop.stock(product_id)["reserved"] == 2
    assert_invariants(shop, [order["id"]])


def test_pool_child_killed_mid_task_redelivers_once(shop, customer):
    product_id = shop.new_product(stock=5)
    worker = shop.stack.processes["inventory-worker"]
    children_file = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    children = [int(pid) for pid in children_file.read_text().split()]
    # The suite's stack runs the prefork pool (FAULT_ENV), whose children this case kills.
    assert children, "the inventory worker runs no pool children: not the prefork pool"
    with stock_row_held(shop, product_id):
        order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
        shop.wait_reservation_blocked()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
    settled = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=30)

    assert settled["status"] == "awaiting_payment"
    assert shop.stack.processes["inventory-worker"].poll() is None
    assert shop.stock(product_id)["reserved"] == 2
    assert_invariants(shop, [order["id"]])


def test_memory_alarm_placement_still_accepted_nothing_lost_all_delivered_after(shop):
    product_id = shop.new_product(stock=1000)
    shop.rabbit.set_memory_alarm(True)
    try:
        with Flow(shop, product_id, pay=False) as flow:
            time.sleep(4)
        during = [shop.query("orders", "SELECT status FROM orders_order WHERE id = %s",
                             (order_id,))[0][0] for order_id in flow.order_ids]  # fmt: skip
        # What the relay marked sent, the broker confirmed: nothing it dropped is marked.
        sent_during = shop.query(
            "orders",
            "SELECT count(*) FROM messaging_outboxmessage WHERE sent_at IS NOT NULL"
            " AND payload->>'order_id' = ANY(%s)",
            (flow.order_ids,),
        )[0][0]
    finally:
        shop.rabbit.set_memory_alarm(False)
    settled = flow.settle()

    assert flow.bad == []
    assert flow.answers[202] > 10
    assert sent_during == 0
    assert set(during) == {"pending"}
    assert set(settled) == {"awaiting_payment"}
    assert_invariants(shop, flow.order_ids)


def scripted_run(shop, duplicate: bool) -> tuple[list[str], tuple[int, int]]:
    """Orders placed, paid, cancelled and rejected on a fresh product; with `duplicate`, every
    message the relays publish is published a second time, under its id, as it is sent."""
    product_id = shop.new_product(stock=6)
    token = shop.new_customer()
    stop = threading.Event()
    republished: set[str] = set()

    def duplicator() -> None:
        url = shop.stack.config.env["CELERY_BROKER_URL"]
        with celery_app.connection_for_write(url) as connection:
            while not stop.is_set():
                for service in ("products", "orders", "inventory"):
                    for message_id, task_name, payload, headers in shop.query(
                        service,
                        "SELECT id::text, task_name, payload, headers"
                        " FROM messaging_outboxmessage WHERE sent_at IS NOT NULL",
                    ):
                        if message_id not in republished:
                            republished.add(message_id)
                            celery_app.send_task(
                                task_name,
                                kwargs=payload,
                                task_id=message_id,
                                headers=headers,
                                connection=connection,
                            )
                time.sleep(0.05)

    if duplicate:
        # Only what this run sends twice: everything sent before it counts as done.
        for service in ("products", "orders", "inventory"):
            republished.update(
                message_id
                for (message_id,) in shop.query(
                    service, "SELECT id::text FROM messaging_outboxmessage"
                )
            )
        thread = threading.Thread(target=duplicator, daemon=True)
        thread.start()
    placed = []
    for _ in range(4):
        # One after another, so that which one finds the stock gone is the same in both runs.
        placed.append(shop.place(token, [{"product_id": product_id, "quantity": 2}]))
        shop.wait_status(token, placed[-1]["id"], "awaiting_payment", "rejected", timeout=30)
    for number, order in enumerate(placed):
        settled = shop.order(token, order["id"])
        if settled["status"] == "awaiting_payment" and number == 0:
            shop.api.call("POST", "orders", f"/api/orders/{order['id']}/pay/", token=token,
                          json={"card_number": PAYING_CARD})  # fmt: skip
        elif settled["status"] == "awaiting_payment" and number == 1:
            shop.api.call("POST", "orders", f"/api/orders/{order['id']}/cancel/", token=token)
    assert_invariants(shop, [order["id"] for order in placed])
    if duplicate:
        time.sleep(1)
        stop.set()
        thread.join(timeout=10)
        assert_invariants(shop, [order["id"] for order in placed])
    statuses = [shop.order(token, order["id"])["status"] for order in placed]
    stock = shop.stock(product_id)
    return statuses, (stock["on_hand"], stock["reserved"])


def test_every_message_delivered_twice_ends_as_a_clean_run(shop):
    clean = scripted_run(shop, duplicate=False)
    twice = scripted_run(shop, duplicate=True)

    assert clean == (["paid", "cancelled", "awaiting_payment", "rejected"], (4, 2))
    assert twice == clean
    duplicated = sum(
        shop.query(service, "SELECT count(*) FROM messaging_inboxmessage WHERE deliveries >= 2")[0][
            0
        ]
        for service in ("orders", "inventory")
    )
    assert duplicated > 5


def liveness_probe(shop, service: str) -> list[str]:
    """The worker's liveness command as the production manifests render it."""
    deployment = named(build("prod"), "Deployment", f"{service}-worker")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container["livenessProbe"]["exec"]["command"]


def run_in_pod(shop, service: str, command: list[str]) -> int:
    """`command` as the worker's pod would run it: its environment, its host name."""
    env = {
        **shop.stack.config.env,
        "DJANGO_SETTINGS_MODULE": f"{service}.settings",
        "HOSTNAME": socket.gethostname(),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=60).returncode


def test_a_worker_alive_but_not_consuming_fails_its_liveness_probe(shop, customer):
    product_id = shop.new_product(stock=5)
    probe = liveness_probe(shop, "inventory")
    node = f"inventory@{socket.gethostname()}"
    control = [sys.executable, "-m", "celery", "-A", "workers.app", "control"]
    ping_only = [sys.executable, "-m", "celery", "-A", "workers.app", "inspect", "ping",
                 "--destination", node, "--timeout", "10"]  # fmt: skip
    assert run_in_pod(shop, "inventory", probe) == 0
    cancel = [*control, "cancel_consumer", "inventory", "--destination", node]
    assert run_in_pod(shop, "inventory", cancel) == 0
    try:
        order = shop.place(customer, [{"product_id": product_id, "quantity": 1}])
        time.sleep(2)
        while_cancelled = shop.order(customer, order["id"])["status"]
        pinged = run_in_pod(shop, "inventory", ping_only)
        probed = run_in_pod(shop, "inventory", probe)
    finally:
        resume = [*control, "add_consumer", "inventory", "--destination", node]
        run_in_pod(shop, "inventory", resume)
    settled = shop.wait_status(customer, order["id"], "awaiting_payment", timeout=15)

    # Its main loop runs (the ping answers) but it takes no message: only the probe that asks
    # for its queues sees it.
    assert while_cancelled == "pending"
    assert pinged == 0
    assert probed != 0
    assert settled["status"] == "awaiting_payment"
    assert run_in_pod(shop, "inventory", probe) == 0
    assert_invariants(shop, [order["id"]])
