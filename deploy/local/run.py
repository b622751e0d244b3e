"""`make run`: the whole shop on this machine, until Ctrl-C.

Embedded by default: one SQLite file per service under var/db/ and a broker made of files under
var/broker/, so nothing needs installing. Set `USERS_DATABASE_URL`, `PRODUCTS_DATABASE_URL`,
`ORDERS_DATABASE_URL`, `INVENTORY_DATABASE_URL` and `CELERY_BROKER_URL` to run on PostgreSQL and
RabbitMQ instead, as in production.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.local.stack import ROOT, Stack, StackConfig, embedded_defaults

GATEWAY_PORT = 8000
# Behind the gateway; reachable directly on 127.0.0.1 only, for debugging.
PORTS = {"users": 8001, "products": 8002, "orders": 8003, "inventory": 8004}


def main() -> int:
    # `kill` or a closing terminal stops the shop as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = run_environment(dict(os.environ), ROOT / "var")
    stack = Stack(
        StackConfig(ports=PORTS, env=env, log_dir=ROOT / "var" / "log", gateway_port=GATEWAY_PORT)
    )

    step("databases")
    subprocess.run(
        [sys.executable, "deploy/local/create_databases.py"], cwd=ROOT, env=env, check=True
    )
    step("migrations")
    stack.migrate()
    step("demo data")
    stack.manage("users", "seed_demo_users")
    step("static files and the gateway's configuration")
    stack.prepare_gateway()
    try:
        for name in stack.commands():
            step(f"starting {name}")
            stack.start([name])
        step("demo catalog and stock")
        # Through the running shop: the catalog's events create the stock records.
        stack.manage("products", "seed_demo_catalog")
        stack.manage("inventory", "seed_demo_stock")
        print_urls(stack)
        while stack.running():
            time.sleep(0.5)
        print("a process of the shop stopped (see var/log/); stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        step("stopping")
        stack.stop()


def run_environment(environ: dict[str, str], var_dir: Path) -> dict[str, str]:
    """`make run`'s environment: `environ`, with the embedded default where it names no server,
    and DEBUG off unless it says otherwise.

    This is the stack people put on a reachable address: DEBUG would show its settings and
    tracebacks to anyone. The gateway serves the static files, which is all DEBUG did here.
    """
    return embedded_defaults({"DJANGO_DEBUG": "false", **environ}, var_dir)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def print_urls(stack: Stack) -> None:
    gateway = f"http://localhost:{GATEWAY_PORT}"
    print(f"\nThe shop is up at {gateway} (Ctrl-C stops it; logs in var/log/):")
    for service, api in API_ROOTS.items():
        print(
            f"  {service:<10} API {gateway}{api:<17} admin {gateway}/admin/{service}/   "
            f"docs {gateway}/api/docs/{service}/"
        )
    print("\n  staff account:    admin / shop-admin-demo   (signs in to every admin)")
    print("  demo customer:    customer / shop-customer-demo")
    print(
        f"  get a token:      curl -s -X POST {gateway}/api/auth/token/ "
        "-H 'Content-Type: application/json' "
        '-d \'{"username": "customer", "password": "shop-customer-demo"}\'\n',
        flush=True,
    )


API_ROOTS = {
    "users": "/api/users/",
    "products": "/api/products/",
    "orders": "/api/orders/",
    "inventory": "/api/inventory/",
}


if __name__ == "__main__":
    sys.exit(main())
