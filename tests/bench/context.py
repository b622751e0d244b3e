"""What every phase of the benchmark shares: the running shop, its accounts and data, the CPU
accounting, and the flat results being collected."""

import contextlib
import math
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bench.plan import Plan
from tests.bench.processes import MACHINE, POSTGRES_FOREIGN, ProcessAccounting, cpu_delta
from tests.bench.seed import Accounts
from tests.harness import Shop, connect

LOADGEN = "loadgen"
# Names that are not the shop: reported, never summed into its CPU.
NOT_THE_SHOP_PREFIXES = ("reference-", "bench sql", LOADGEN, POSTGRES_FOREIGN, MACHINE)


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def shop_cpu_ms(cpu: dict[str, float]) -> float:
    return sum(
        milliseconds
        for name, milliseconds in cpu.items()
        if not name.startswith(NOT_THE_SHOP_PREFIXES)
    )


def rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@dataclass
class Bench:
    shop: Shop
    accounts: Accounts
    accounting: ProcessAccounting
    plan: Plan
    work_dir: Path
    product_ids: list[int]
    results: dict[str, Any] = field(default_factory=dict)
    # Seeded: the same run picks the same products and pages every time.
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    # 5xx answers any load generator saw, over the whole run (an invariant: none).
    loadgen_server_errors: int = 0
    # Orders the benchmark placed and which customer's token reads each.
    readable_orders: list[tuple[str, int]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    # Each open-loop series run by (series, rate), for the phases that reuse one.
    series_runs: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The benchmark's own connection for polling: kept open, so that polling does not
        # fork a PostgreSQL backend a second; its CPU is "bench sql", not the shop's.
        self.orders_connection = connect(self.shop.database("orders"))
        with self.orders_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.accounting.own_backends.add(cursor.fetchone()[0])

    def say(self, message: str) -> None:
        line = f"[bench {time.strftime('%H:%M:%S')}] {message}"
        self.log.append(line)
        print(line, flush=True)

    def pending_orders(self) -> int:
        with self.orders_connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM orders_order WHERE status = 'pending'")
            return cursor.fetchone()[0]

    def drain(self, timeout_seconds: float) -> tuple[bool, float]:
        """Wait until no order is pending; (drained, seconds waited). Bounded by the timeout."""
        started = time.monotonic()
        while True:
            if self.pending_orders() == 0:
                return True, time.monotonic() - started
            if time.monotonic() - started > timeout_seconds:
                return False, time.monotonic() - started
            time.sleep(0.2)

    @contextlib.contextmanager
    def cpu_window(self) -> Iterator[dict[str, float]]:
        """CPU milliseconds per process name over the `with` block (filled in at its end)."""
        before = self.accounting.snapshot()
        cpu: dict[str, float] = {}
        yield cpu
        cpu.update(cpu_delta(before, self.accounting.snapshot()))

    def record_series(self, key: str, values: Sequence[float | None], digits: int = 2) -> None:
        """The median of the runs under `key`, with `key_min` and `key_max`."""
        present = [value for value in values if value is not None]
        if not present:
            self.results[key] = self.results[f"{key}_min"] = self.results[f"{key}_max"] = None
            return
        self.results[key] = round(statistics.median(present), digits)
        self.results[f"{key}_min"] = round(min(present), digits)
        self.results[f"{key}_max"] = round(max(present), digits)

    def record_cpu_split(
        self, prefix: str, cpu_runs: Sequence[dict[str, float]], per: Sequence[float]
    ) -> None:
        """`prefix__<process>`: each process's CPU-ms divided by `per` (requests or orders),
        the median over runs; `prefix` alone the shop's total (no load generator)."""
        names = sorted({name for cpu in cpu_runs for name in cpu})
        for name in names:
            values = [
                cpu.get(name, 0.0) / count
                for cpu, count in zip(cpu_runs, per, strict=True)
                if count
            ]
            # The median only: min and max of every process would bury the table.
            self.results[f"{prefix}__{name}"] = (
                round(statistics.median(values), 3) if values else None
            )
        totals = [
            shop_cpu_ms(cpu) / count if count else None
            for cpu, count in zip(cpu_runs, per, strict=True)
        ]
        self.record_series(prefix, totals, digits=3)
