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

from deploy.local.stack import ROOT, SERVICES, Stack, StackConfig

PORTS = {"users": 8001, "products": 8002, "orders": 8003, "inventory": 8004}


def main() -> int:
    # `kill` or a closing terminal stops the shop as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = dict(os.environ)
    for service in SERVICES:
        env.setdefault(
            f"{service.upper()}_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'db' / service}.sqlite3"
        )
    env.setdefault("CELERY_BROKER_URL", "filesystem://")
    (ROOT / "var" / "db").mkdir(parents=True, exist_ok=True)
    stack = Stack(StackConfig(ports=PORTS, env=env, log_dir=ROOT / "var" / "log"))

    step("databases")
    subprocess.run(
        [sys.executable, "deploy/local/create_databases.py"], cwd=ROOT, env=env, check=True
    )
    step("migrations")
    stack.migrate()
    step("demo accounts")
    stack.manage("users", "seed_demo_users")
    try:
        for name in stack.commands():
            step(f"starting {name}")
            stack.start([name])
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


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def print_urls(stack: Stack) -> None:
    print("\nThe shop is up (Ctrl-C stops it; logs in var/log/):")
    for service in SERVICES:
        base = stack.url(service)
        print(
            f"  {service:<10} API {base}/api/   admin {base}/admin/{service}/   "
            f"docs {base}/api/docs/{service}/"
        )
    print("\n  staff account:    admin / shop-admin-demo   (admin of the users service)")
    print("  demo customer:    customer / shop-customer-demo")
    print(
        f"  get a token:      curl -s -X POST {stack.url('users')}/api/auth/token/ "
        "-H 'Content-Type: application/json' "
        '-d \'{"username": "customer", "password": "shop-customer-demo"}\'\n',
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
