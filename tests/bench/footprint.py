"""What the shop costs when nobody uses it: memory after the load, and CPU at rest."""

import time

from tests.bench.context import Bench, rounded
from tests.bench.processes import MACHINE, POSTGRES_FOREIGN, RABBITMQ, cpu_delta, pss_mib_by_name

# After the last phase the relays, workers and beat finish what is left; idle starts after.
SETTLE_SECONDS = 3


def measure_memory(bench: Bench) -> None:
    """PSS of every process of the stack (shared pages split among their sharers), after the
    load; PostgreSQL and RabbitMQ apart, since they are shared servers in production."""
    stack_names = set(bench.shop.stack.processes)
    by_name = pss_mib_by_name(bench.accounting.snapshot())
    bench.results["stack_pss_mib"] = rounded(
        sum(mib for name, mib in by_name.items() if name in stack_names), 1
    )
    for name in sorted(stack_names):
        bench.results[f"stack_pss_mib__{name}"] = rounded(by_name.get(name, 0.0), 1)
    bench.results["postgres_pss_mib"] = rounded(
        sum(
            mib
            for name, mib in by_name.items()
            if name.startswith("postgres ") and name != POSTGRES_FOREIGN
        ),
        1,
    )
    bench.results["rabbitmq_pss_mib"] = rounded(by_name.get(RABBITMQ, 0.0), 1)


def measure_idle(bench: Bench) -> None:
    """CPU of the stack, PostgreSQL and RabbitMQ over `plan.idle_seconds` without traffic, as a
    percentage of one core."""
    time.sleep(SETTLE_SECONDS)
    started = time.monotonic()
    before = bench.accounting.snapshot()
    time.sleep(bench.plan.idle_seconds)
    cpu = cpu_delta(before, bench.accounting.snapshot())
    seconds = time.monotonic() - started
    stack_names = set(bench.shop.stack.processes)
    counted = {
        name: milliseconds
        for name, milliseconds in cpu.items()
        if name in stack_names
        or name == RABBITMQ
        or (name.startswith("postgres ") and name != POSTGRES_FOREIGN)
    }
    bench.results["idle_seconds"] = rounded(seconds, 1)
    # What the rest of the machine did meanwhile: idle CPU is only meaningful when this is small.
    bench.results["idle_machine_cpu_percent_of_one_core"] = rounded(
        cpu.get(MACHINE, 0.0) / 1000 / seconds * 100, 2
    )
    bench.results["idle_cpu_percent_of_one_core"] = rounded(
        sum(counted.values()) / 1000 / seconds * 100, 2
    )
    for name, milliseconds in sorted(counted.items()):
        bench.results[f"idle_cpu_percent__{name}"] = rounded(milliseconds / 1000 / seconds * 100, 2)
