"""The shop's benchmark: the whole stack through the gateway, as production runs it.

    .venv/bin/python -m tests.bench [--quick] [--output-dir var/bench]     (make bench [QUICK=1])

Starts the stack (DEBUG off, PostgreSQL, RabbitMQ without the test proxy, the gateway, the
gunicorn and Celery settings of deploy/local/stack.py) on databases and a virtual host of its
own, seeds 1,000 products with ample stock and 50 customers through the API, then measures:
read endpoints against two references (nginx alone, a minimal Django), closed-loop order
placement, the saga at fixed offered rates (open loop) and overload, CPU per process for each
phase, memory and idle CPU, and checks the invariants. Writes results.json, results.md and
settle-latency.png. Traffic goes to 127.0.0.1 only; every phase is bounded in time, and the run
stops every process it started.
"""

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

from deploy.local.stack import ROOT, SERVICES
from tests.bench import report
from tests.bench.context import Bench
from tests.bench.footprint import measure_idle, measure_memory
from tests.bench.invariants import check_invariants
from tests.bench.plan import Plan
from tests.bench.processes import ProcessAccounting
from tests.bench.reads import run_reads
from tests.bench.reference.servers import running_references
from tests.bench.saga import (
    SPREAD,
    place_readable_orders,
    run_half_sustainable,
    run_overload,
    run_placement,
    run_series,
)
from tests.bench.seed import Accounts, seed_catalog
from tests.harness import free_port, running_shop

# As production runs: DEBUG off. Everything else is deploy/local/stack.py's and the harness's,
# except the per-customer caps on open orders: the benchmark's 50 customers hold thousands of
# orders awaiting payment (and thousands of units of its one product), which no real customer
# may; with the caps off placement skips their check (one indexed query and a lock).
STACK_ENV = {
    "DJANGO_DEBUG": "false",
    "ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER": "0",
    "ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT": "0",
}


def _git(*arguments: str) -> str:
    try:
        return subprocess.run(
            ["git", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "machine": f"{os.cpu_count()} cores, {model or platform.machine()}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "git_commit": (_git("rev-parse", "--short", "HEAD") or "unknown")
        + ("-dirty" if dirty else ""),
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def run(plan: Plan, output_dir: Path) -> dict[str, Any]:
    work_dir = output_dir / "work"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    # The stack's logs (the gateway's access log among them) next to the results.
    os.environ["SHOP_TEST_ARTIFACTS"] = str(output_dir / "stack")
    results: dict[str, Any] = {"quick": plan.quick, **machine(), "completed": False}
    started = time.monotonic()
    try:
        with running_shop("bench", gateway=True, env=STACK_ENV, broker_proxy=False) as shop:
            config = shop.stack.config
            results["stack"] = (
                f"gunicorn {config.web_workers} workers x 4 threads per service, Celery threads "
                + ", ".join(f"{s} {n}" for s, n in config.worker_concurrency.items())
                + (
                    ", each relay a thread of its worker"
                    if shop.stack.relay_in_worker
                    else ", one relay process per service"
                )
                + (", beat in orders' worker" if config.beat_in_worker else ", orders beat")
                + ", nginx gateway; PostgreSQL, RabbitMQ"
            )
            accounts = Accounts(shop)
            accounting = ProcessAccounting(
                {name: process.pid for name, process in shop.stack.processes.items()},
                database_labels={
                    shop.database(service): f"postgres {service}" for service in SERVICES
                },
            )
            try:
                results["seconds_to_start"] = round(time.monotonic() - started, 1)
                print(f"[bench] stack up in {results['seconds_to_start']} s; seeding", flush=True)
                product_ids = seed_catalog(
                    shop,
                    accounts,
                    products=plan.products,
                    categories=plan.categories,
                    stock=plan.stock_per_product,
                )
                accounts.register_customers(plan.customers)
                bench = Bench(
                    shop=shop,
                    accounts=accounts,
                    accounting=accounting,
                    plan=plan,
                    work_dir=work_dir,
                    product_ids=product_ids,
                    results=results,
                )
                accounts.fresh_tokens()
                place_readable_orders(bench)
                results["seconds_to_seed"] = round(time.monotonic() - started, 1)
                bench.say(f"seeded {len(product_ids)} products, {plan.customers} customers")
                with running_references(
                    nginx_port=free_port(),
                    django_port=free_port(),
                    workers=config.web_workers,
                    runtime_dir=work_dir / "reference",
                ) as references:
                    for name, process in references.processes.items():
                        accounting.add_group(name, process.pid)
                    run_reads(bench, references)
                for name in references.processes:
                    accounting.groups.pop(name, None)
                run_placement(bench)
                sustainable = run_series(bench)
                run_half_sustainable(bench, sustainable[SPREAD])
                run_overload(bench, sustainable[SPREAD])
                measure_memory(bench)
                bench.say("idle")
                measure_idle(bench)
                results.update(check_invariants(bench))
                results["completed"] = True
            finally:
                accounting.close()
    except (Exception, KeyboardInterrupt):  # whatever failed: write what was measured, then fail
        results["error"] = traceback.format_exc()[-4000:]
        print(results["error"], file=sys.stderr)
    results.setdefault("invariants_ok", False)
    results["duration_s"] = round(time.monotonic() - started, 1)
    report.write(results, output_dir)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="one run per figure, short windows")
    parser.add_argument(
        "--output-dir", type=Path, default=ROOT / "var" / "bench", help="where results go"
    )
    arguments = parser.parse_args(argv)
    plan = Plan.short() if arguments.quick else Plan.full()
    results = run(plan, arguments.output_dir.resolve())
    print(f"[bench] done in {results['duration_s']} s: {arguments.output_dir}/results.md")
    return 0 if results["completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
