"""`make run`: every service of the shop on this machine, until Ctrl-C.

Embedded by default (one SQLite file per service under var/db/, nothing to install); set
`USERS_DATABASE_URL`, `PRODUCTS_DATABASE_URL`, `ORDERS_DATABASE_URL` and `INVENTORY_DATABASE_URL`
to run on PostgreSQL instead, as in production.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTS = {"users": 8001, "products": 8002, "orders": 8003, "inventory": 8004}
READY_TIMEOUT_SECONDS = 60


def main() -> int:
    # `kill` or a closing terminal stops the services as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = dict(os.environ)
    for service in PORTS:
        env.setdefault(
            f"{service.upper()}_DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'db' / service}.sqlite3"
        )
    (ROOT / "var" / "db").mkdir(parents=True, exist_ok=True)
    python = sys.executable

    step("databases")
    subprocess.run([python, "deploy/local/create_databases.py"], cwd=ROOT, env=env, check=True)
    for service in PORTS:
        step(f"migrating {service}")
        manage(python, env, service, "migrate", "--noinput", "--verbosity", "0")
    step("demo accounts")
    manage(python, env, "users", "seed_demo_users")

    processes: list[subprocess.Popen] = []
    for service, port in PORTS.items():
        step(f"starting {service} on :{port}")
        processes.append(
            subprocess.Popen(
                [python, "manage.py", service, "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
            )
        )
    try:
        for service, port in PORTS.items():
            wait_until_alive(service, port)
        print_urls()
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("a service stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)


def manage(python: str, env: dict, service: str, *command: str) -> None:
    subprocess.run([python, "manage.py", service, *command], cwd=ROOT, env=env, check=True)


def wait_until_alive(service: str, port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{service} did not answer on :{port} within {READY_TIMEOUT_SECONDS}s")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def print_urls() -> None:
    print("\nThe shop is up (Ctrl-C stops it):")
    for service, port in PORTS.items():
        base = f"http://127.0.0.1:{port}"
        print(
            f"  {service:<10} API {base}/api/   admin {base}/admin/{service}/   "
            f"docs {base}/api/docs/{service}/"
        )
    print("\n  staff account:    admin / shop-admin-demo   (admin of the users service)")
    print("  demo customer:    customer / shop-customer-demo")
    print(
        "  get a token:      curl -s -X POST http://127.0.0.1:8001/api/auth/token/ "
        "-H 'Content-Type: application/json' "
        '-d \'{"username": "customer", "password": "shop-customer-demo"}\'\n',
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
