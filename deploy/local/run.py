"""`make run`: the whole shop on this machine, until Ctrl-C.

Embedded by default: one SQLite file per service under var/db/ and a broker made of files under
var/broker/, so nothing needs installing. Set `USERS_DATABASE_URL`, `PRODUCTS_DATABASE_URL`,
`ORDERS_DATABASE_URL`, `INVENTORY_DATABASE_URL` and `CELERY_BROKER_URL` to run on PostgreSQL and
RabbitMQ instead, as in production.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from deploy.local.stack import ROOT, Stack, StackConfig, embedded_defaults
from shop import SERVICES

# The gateway's port, and the services' after it (8001-8004), reachable directly on 127.0.0.1
# only, for debugging. SHOP_RUN_PORT moves them all (a second shop next to a first one).
GATEWAY_PORT = int(os.environ.get("SHOP_RUN_PORT", "8000"))
PORTS = {service: GATEWAY_PORT + offset for offset, service in enumerate(SERVICES, start=1)}
# Each service's Celery worker serves its own metrics a hundred ports further (8101-8104).
WORKER_METRICS_PORTS = {service: port + 100 for service, port in PORTS.items()}
# What stops the shop: Ctrl-C, `kill` (a supervisor, `kill -- -PGID`) and a closing terminal.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopRequested(Exception):
    """A stop signal arrived."""


class SignalHandler:
    """The first stop signal interrupts whatever the runner does; every later one, while it
    stops the shop, is ignored. The same signal often comes twice (a process group signalled:
    make passes it on, and the runner gets it directly), and a second interruption in the
    middle of stopping would leave the processes not yet stopped running."""

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise StopRequested(signal.Signals(signum).name)

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self)


def main() -> int:
    handler = SignalHandler()
    handler.install()
    var_dir = Path(os.environ.get("SHOP_VAR_DIR", ROOT / "var"))
    env = run_environment(dict(os.environ), var_dir)
    stack = Stack(
        StackConfig(
            ports=PORTS,
            env=env,
            log_dir=var_dir / "log",
            gateway_port=GATEWAY_PORT,
            worker_metrics_ports=WORKER_METRICS_PORTS,
        )
    )
    try:
        return run(stack, env)
    except StopRequested:
        return 0
    finally:
        # From here on no signal interrupts: stopping is bounded by itself (Stack.stop).
        handler.stopping = True
        step("stopping")
        stack.stop()


def run(stack: Stack, env: dict[str, str]) -> int:
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


def run_environment(environ: dict[str, str], var_dir: Path) -> dict[str, str]:
    """`make run`'s environment: `environ`, with the embedded default where it names no server,
    and DEBUG off unless it says otherwise.

    This is the stack people put on a reachable address: DEBUG would show its settings and
    tracebacks to anyone. The gateway serves the static files, which is all DEBUG did here.
    """
    return embedded_defaults({"DJANGO_DEBUG": "false", **environ}, var_dir)


def step(message: str) -> None:
    # The terminal may be gone (SIGHUP): stopping must go on without it.
    with contextlib.suppress(OSError):
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
