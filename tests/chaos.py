"""The chaos run: `python -m tests.chaos --seconds N --seed S`.

Customers place orders through the gateway at a steady rate and pay, cancel or leave them to
expire, while faults strike at random moments (the fault suite's, tests/faults): the RabbitMQ
server restarted, a relay SIGKILLed, a service's database away, a service's web stopped, a
worker's warm shutdown, a pool child SIGKILLed, a broker memory alarm, messages published
twice. Then it waits until nothing is in flight, checks every invariant (tests/invariants.py)
and prints what happened. Traffic goes to 127.0.0.1 only; every server it started is stopped.
Exit status 1 if an invariant broke or the API answered a 500.
"""

import argparse
import contextlib
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from tests.harness import CUSTOMER_PASSWORD, FAULT_ENV, RabbitNode, Shop, connect, running_shop
from tests.invariants import redeliveries, violations, wait_quiescent
from workers.app import app as celery_app

PAYING_CARD = "4242424242424242"
# What a client may be answered while a fault lasts: refused for now (503, 429), a conflict
# (409: the open-order cap), the gateway's word for a stopped service (502). Never a 500.
EXPECTED_REFUSALS = {409, 429, 502, 503, 504}


class Traffic:
    """Shoppers at a steady rate: place an order, then pay it, cancel it or let it expire."""

    def __init__(self, shop: Shop, rng: random.Random, products: list[int], rate: float) -> None:
        self.shop, self.rng, self.products, self.rate = shop, rng, products, rate
        self.usernames = [shop.register_customer() for _ in range(20)]
        # Signed in again when an access token expires (a long run outlives it).
        self.tokens = {name: self.sign_in(name) for name in self.usernames}
        self.accepted: list[str] = []
        self.to_follow: list[tuple[str, str, str]] = []  # token, order id, what to do
        self.answers: Counter = Counter()
        self.server_errors: list[str] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def sign_in(self, username: str) -> str:
        """A fresh access token, waiting out the gateway's sign-in limit (one address here)."""
        for _ in range(60):
            response = self.shop.api.call(
                "POST",
                "users",
                "/api/auth/token/",
                json={"username": username, "password": CUSTOMER_PASSWORD},
            )
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()["access"]
            time.sleep(float(response.headers.get("Retry-After", "1")))
        raise RuntimeError(f"could not sign {username} in")

    def call(self, method: str, path: str, username: str, json: dict | None = None):
        try:
            response = self.shop.api.call(
                method, "orders", path, token=self.tokens[username], json=json
            )
            if response.status_code == 401:
                self.tokens[username] = self.sign_in(username)
                response = self.shop.api.call(
                    method, "orders", path, token=self.tokens[username], json=json
                )
        except OSError as error:
            self.answers["no answer"] += 1
            self.server_errors.append(f"{method} {path}: {error!r}")
            return None
        self.answers[response.status_code] += 1
        if response.status_code >= 500 and response.status_code not in EXPECTED_REFUSALS:
            self.server_errors.append(f"{method} {path}: {response.status_code} {response.text}")
        return response

    def run(self) -> None:
        interval = 1 / self.rate
        next_at = time.monotonic()
        while not self.stopping.is_set():
            self.step()
            next_at += interval
            self.stopping.wait(max(0.0, next_at - time.monotonic()))

    def step(self) -> None:
        with self.lock:
            follow = self.to_follow.pop(0) if self.to_follow and self.rng.random() < 0.5 else None
            token = self.rng.choice(self.usernames)
            items = [
                {"product_id": product_id, "quantity": self.rng.randint(1, 3)}
                for product_id in self.rng.sample(self.products, self.rng.randint(1, 2))
            ]
            plan = self.rng.choices(["pay", "cancel", "expire"], weights=[5, 2, 3])[0]
        if follow is not None:
            token, order_id, plan = follow
            if plan == "pay":
                self.call(
                    "POST", f"/api/orders/{order_id}/pay/", token, {"card_number": PAYING_CARD}
                )
            elif plan == "cancel":
                self.call("POST", f"/api/orders/{order_id}/cancel/", token)
            return
        response = self.call("POST", "/api/orders/", token, {"items": items})
        if response is not None and response.status_code == 202:
            order_id = response.json()["id"]
            with self.lock:
                self.accepted.append(order_id)
                if plan != "expire":
                    self.to_follow.append((token, order_id, plan))


class Faults:
    """One fault at a time, at random moments, each undone before the next."""

    def __init__(self, shop: Shop, rng: random.Random, mean_gap: float) -> None:
        self.shop, self.rng, self.mean_gap = shop, rng, mean_gap
        self.injected: Counter = Counter()
        self.stopping = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        kinds = [
            self.rabbitmq_restart,
            self.relay_killed,
            self.database_away,
            self.web_stopped,
            self.worker_warm_shutdown,
            self.pool_child_killed,
            self.memory_alarm,
            self.messages_twice,
        ]
        while not self.stopping.wait(self.rng.expovariate(1 / self.mean_gap)):
            fault = self.rng.choice(kinds)
            try:
                fault()
                self.injected[fault.__name__.replace("_", " ")] += 1
            except Exception as error:  # a fault that could not be made is reported, not fatal
                self.errors.append(f"{fault.__name__}: {error!r}")

    def rabbitmq_restart(self) -> None:
        self.shop.rabbit.restart(down_seconds=self.rng.uniform(1, 4))

    def relay_killed(self) -> None:
        """The process that runs a service's relay: the relay's own, or the worker it runs in
        (SHOP_RELAY_IN_WORKER, the stack's default), with whatever tasks it was running."""
        service = self.rng.choice(("products", "orders", "inventory"))
        name = f"{service}-worker" if self.shop.stack.relay_in_worker else f"{service}-relay"
        self.shop.stack.kill(name)
        time.sleep(self.rng.uniform(0.2, 2))
        self.shop.stack.start([name])

    def database_away(self) -> None:
        database = self.shop.database(self.rng.choice(("orders", "inventory")))
        with contextlib.closing(connect("postgres")) as admin, admin.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
            try:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                )
                time.sleep(self.rng.uniform(1, 4))
            finally:
                cursor.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

    def web_stopped(self) -> None:
        name = f"{self.rng.choice(('products', 'orders', 'inventory'))}-web"
        self.shop.stack.kill(name, signal.SIGTERM)
        time.sleep(self.rng.uniform(1, 3))
        self.shop.stack.start([name])

    def worker_warm_shutdown(self) -> None:
        name = f"{self.rng.choice(('orders', 'inventory'))}-worker"
        process = self.shop.stack.processes[name]
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        self.shop.stack.processes.pop(name)
        self.shop.stack.start([name])

    def pool_child_killed(self) -> None:
        process = self.shop.stack.processes[f"{self.rng.choice(('orders', 'inventory'))}-worker"]
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        if children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(self.rng.choice(children)), signal.SIGKILL)

    def memory_alarm(self) -> None:
        self.shop.rabbit.set_memory_alarm(True)
        try:
            time.sleep(self.rng.uniform(1, 4))
        finally:
            self.shop.rabbit.set_memory_alarm(False)

    def messages_twice(self) -> None:
        """The last messages of a service published a second time, under their ids."""
        service = self.rng.choice(("orders", "inventory"))
        rows = self.shop.query(
            service,
            "SELECT id::text, task_name, payload, headers FROM messaging_outboxmessage"
            " WHERE sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 20",
        )
        url = self.shop.stack.config.env["CELERY_BROKER_URL"]
        with celery_app.connection_for_write(url) as connection:
            for message_id, task_name, payload, headers in rows:
                celery_app.send_task(
                    task_name,
                    kwargs=payload,
                    task_id=message_id,
                    headers=headers,
                    connection=connection,
                )


def settle_latency(shop: Shop) -> float:
    """The longest time an order waited between placement and its first answer from inventory."""
    (latency,) = shop.query(
        "orders",
        "SELECT coalesce(max(extract(epoch FROM first.at - o.created_at)), 0) FROM orders_order o"
        " JOIN LATERAL (SELECT min(at) AS at FROM orders_orderstatuschange c"
        " WHERE c.order_id = o.id AND c.status <> 'pending') first ON first.at IS NOT NULL",
    )[0]
    return float(latency)


def run(seconds: float, seed: int, rate: float, ttl: int) -> int:
    rng = random.Random(seed)
    rabbit = RabbitNode("shopchaos")
    rabbit.start()
    try:
        env = {
            **FAULT_ENV,
            "ORDERS_RESERVATION_TTL_SECONDS": str(ttl),
        }
        with running_shop("chaos", gateway=True, rabbit=rabbit, env=env) as shop:
            return drive(shop, rng, seconds, rate, ttl, seed)
    finally:
        rabbit.close()


def drive(shop: Shop, rng: random.Random, seconds: float, rate: float, ttl: int, seed: int) -> int:
    products = [shop.new_product(stock=rng.randint(50, 150)) for _ in range(5)]
    traffic = Traffic(shop, random.Random(rng.random()), products, rate)
    faults = Faults(shop, random.Random(rng.random()), mean_gap=max(4.0, seconds / 20))
    threads = [threading.Thread(target=traffic.run), threading.Thread(target=faults.run)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        time.sleep(seconds)
    finally:
        traffic.stopping.set()
        faults.stopping.set()
        for thread in threads:
            thread.join()
    quiet_after = wait_quiescent(shop, timeout=180)
    # Orders left to expire do so within their TTL and a scan.
    time.sleep(ttl + 3)
    wait_quiescent(shop, timeout=60)
    problems = violations(shop, traffic.accepted)
    statuses = Counter(
        dict(shop.query("orders", "SELECT status, count(*) FROM orders_order GROUP BY 1"))
    )
    rows = [
        ("seed", seed),
        ("seconds", f"{time.monotonic() - started:.0f} ({seconds:.0f} of traffic)"),
        ("orders accepted", len(traffic.accepted)),
        *((f"orders {status}", count) for status, count in sorted(statuses.items())),
        *((f"fault: {kind}", count) for kind, count in sorted(faults.injected.items())),
        ("faults injected", sum(faults.injected.values())),
        ("messages redelivered", redeliveries(shop)),
        ("max settle latency (s)", f"{settle_latency(shop):.2f}"),
        ("quiescent after traffic (s)", f"{quiet_after:.1f}"),
        *((f"answers {code}", count) for code, count in sorted(traffic.answers.items(), key=str)),
        ("API 500s / no answer", len(traffic.server_errors)),
        ("invariant violations", len(problems)),
    ]
    width = max(len(str(name)) for name, _ in rows)
    print(f"{'chaos run':<{width}} | value")
    print(f"{'-' * width}-|-------")
    for name, value in rows:
        print(f"{name:<{width}} | {value}")
    for line in [*faults.errors, *traffic.server_errors[:20], *problems[:50]]:
        print(line, file=sys.stderr)
    return 1 if problems or traffic.server_errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument(
        "--seconds", type=float, default=120, help="traffic and faults for this long"
    )
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--rate", type=float, default=4, help="customer actions per second")
    parser.add_argument("--ttl", type=int, default=8, help="reservation TTL in seconds")
    arguments = parser.parse_args(argv)
    # Stopped by a signal, it still stops every server it started (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orders.settings")
    import django

    django.setup()
    return run(arguments.seconds, arguments.seed, arguments.rate, arguments.ttl)


if __name__ == "__main__":
    sys.exit(main())
