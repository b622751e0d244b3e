"""How long and how hard each phase runs: the full benchmark and its QUICK version."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    quick: bool
    # Repetitions of every read and closed-loop figure (reported as median, min and max).
    runs: int
    read_seconds: float
    placement_seconds: float
    saga_rates_per_s: tuple[int, ...]
    saga_seconds: float
    overload_seconds: float
    idle_seconds: float
    drain_timeout_seconds: float
    overload_drain_timeout_seconds: float
    products: int = 1000
    categories: int = 15
    customers: int = 50
    # Stock per product: far more than the benchmark can sell, so that no order is rejected
    # for want of stock and every order exercises the same path.
    stock_per_product: int = 1_000_000
    # Orders placed before the read phase, so that GET /api/orders/{id}/ has orders to read.
    readable_orders: int = 200

    @classmethod
    def full(cls) -> "Plan":
        return cls(
            quick=False,
            runs=3,
            read_seconds=10,
            placement_seconds=10,
            saga_rates_per_s=(25, 50, 100, 150, 200),
            saga_seconds=30,
            overload_seconds=30,
            idle_seconds=15,
            drain_timeout_seconds=120,
            overload_drain_timeout_seconds=240,
        )

    @classmethod
    def short(cls) -> "Plan":
        return cls(
            quick=True,
            runs=1,
            read_seconds=5,
            placement_seconds=5,
            saga_rates_per_s=(25, 50, 100, 200),
            saga_seconds=10,
            overload_seconds=15,
            idle_seconds=10,
            drain_timeout_seconds=60,
            overload_drain_timeout_seconds=120,
        )
