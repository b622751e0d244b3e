"""Benchmark: how long an order takes from its 202 to `awaiting_payment` on the local stack.

    .venv/bin/python -m tests.bench.saga_latency [--orders 200] [--clients 4]

Starts the real stack (gunicorn, workers, relays, beat) on PostgreSQL and RabbitMQ in databases
and a virtual host of its own, places the orders from `--clients` concurrent customers, and reads
each order's latency from its own history (the `pending` and `awaiting_payment` timestamps the
orders service wrote), so polling adds nothing to what is measured. Results are written to
var/bench/saga-latency-<rate|burst>.json. Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import datetime

from deploy.local.stack import ROOT
from tests.harness import CUSTOMER_PASSWORD, Api, Shop, running_shop, wait_for


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--orders", type=int, default=200)
    arguments.add_argument("--clients", type=int, default=4)
    arguments.add_argument(
        "--rate",
        type=float,
        default=0,
        help="orders per second from all clients together (0: as fast as they can)",
    )
    options = arguments.parse_args()

    with running_shop("bench", env={"DJANGO_DEBUG": "false"}) as shop:
        result = measure(shop, orders=options.orders, clients=options.clients, rate=options.rate)
    label = f"rate-{options.rate:g}" if options.rate else "burst"
    output = ROOT / "var" / "bench" / f"saga-latency-{label}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def measure(shop: Shop, *, orders: int, clients: int, rate: float) -> dict:
    api = shop.api
    staff = shop.staff_token
    product = api.call(
        "POST",
        "products",
        "/api/products/",
        token=staff,
        json={"sku": "BENCH-1", "name": "Bench item", "price": "1.00"},
    ).json()
    wait_for(
        lambda: api.call("GET", "inventory", f"/api/inventory/{product['id']}/").status_code == 200,
        timeout=10,
        what="the stock record",
    )
    api.call(
        "POST",
        "inventory",
        f"/api/inventory/{product['id']}/adjust/",
        token=staff,
        json={"delta": orders, "reason": "benchmark"},
    )
    time.sleep(1)  # orders learns the product from the same event; let it land
    tokens = []
    for number in range(clients):
        username = f"bench{number}"
        api.call(
            "POST",
            "users",
            "/api/auth/register/",
            json={
                "username": username,
                "email": f"{username}@example.com",
                "password": CUSTOMER_PASSWORD,
            },
        )
        tokens.append(api.token(username, CUSTOMER_PASSWORD))

    placed: list[tuple[str, str]] = []
    lock = threading.Lock()
    per_client = orders // clients

    pause_seconds = clients / rate if rate else 0

    def place(token: str) -> None:
        client = Api(api.base_urls)
        for _ in range(per_client):
            time.sleep(pause_seconds)
            response = client.call(
                "POST",
                "orders",
                "/api/orders/",
                token=token,
                json={"items": [{"product_id": product["id"], "quantity": 1}]},
            )
            assert response.status_code == 202, response.text
            with lock:
                placed.append((token, response.json()["id"]))

    started = time.monotonic()
    threads = [threading.Thread(target=place, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    placing_seconds = time.monotonic() - started

    latencies_ms = []
    for token, order_id in placed:
        order = wait_for(
            lambda token=token, order_id=order_id: (
                (o := api.call("GET", "orders", f"/api/orders/{order_id}/", token=token).json())[
                    "status"
                ]
                != "pending"
                and o
            ),
            timeout=60,
            what=f"order {order_id}",
        )
        at = {step["status"]: datetime.fromisoformat(step["at"]) for step in order["history"]}
        latencies_ms.append((at["awaiting_payment"] - at["pending"]).total_seconds() * 1000)
    settled_seconds = time.monotonic() - started
    latencies_ms.sort()
    return {
        "what": "202 (order pending) to awaiting_payment, from each order's own history",
        "orders": len(latencies_ms),
        "concurrent_clients": clients,
        "target_rate_per_second": rate or "unlimited",
        "median_ms": round(statistics.median(latencies_ms), 1),
        "p90_ms": round(latencies_ms[int(len(latencies_ms) * 0.90) - 1], 1),
        "p99_ms": round(latencies_ms[int(len(latencies_ms) * 0.99) - 1], 1),
        "max_ms": round(latencies_ms[-1], 1),
        "placement_throughput_per_second": round(len(placed) / placing_seconds, 1),
        "all_settled_seconds": round(settled_seconds, 2),
        "machine": f"{os.cpu_count()} cores",
        "python": sys.version.split()[0],
        "measured_at": datetime.now().isoformat(timespec="seconds"),
        "stack": "gunicorn 2 workers/service, Celery prefork (orders 2, inventory 2), "
        "relay poll 50 ms, PostgreSQL 15, RabbitMQ 3.10",
    }


if __name__ == "__main__":
    sys.exit(main())
