"""What the order saga tells Prometheus: orders by status, the oldest pending one, and how long
orders took from placement to inventory's answer.

The gauges are read from the database at scrape time (see shop.messaging.metrics for why). The
open statuses are counted exactly on partial indexes that hold only open orders. The finished
ones (paid, cancelled, expired, rejected) grow forever: each is counted on the status index up
to EXACT_COUNT_LIMIT rows, and beyond that it is the planner's estimate from the table's
statistics (ANALYZE keeps it within a few percent), never a count of millions of rows every
fifteen seconds.
"""

import json
from collections.abc import Iterator
from datetime import datetime

from django.db import DatabaseError, connection
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from orders.models import OPEN_ORDER_STATUSES, Order, OrderStatus
from shop.observability.metrics import WORKER_REGISTRY

EXACT_COUNT_LIMIT = 10_000

# Observed by the orders worker, where inventory's answer moves an order out of `pending`.
ORDER_SETTLE_SECONDS = Histogram(
    "shop_order_settle_seconds",
    "Seconds from an order's placement to inventory's answer (it leaves pending), by outcome: "
    "reserved (now awaiting payment) or rejected.",
    ["outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
    registry=WORKER_REGISTRY,
)


def order_settled_observe(*, placed_at: datetime, outcome: str) -> None:
    ORDER_SETTLE_SECONDS.labels(outcome=outcome).observe(
        max(0.0, (timezone.now() - placed_at).total_seconds())
    )


class OrdersCollector(Collector):
    def describe(self) -> list[Metric]:
        return []  # see shop.messaging.metrics.MessagingCollector.describe

    def collect(self) -> Iterator[Metric]:
        try:
            by_status = order_counts_by_status()
            oldest_pending = Order.objects.filter(status=OrderStatus.PENDING).aggregate(
                oldest=Min("created_at")
            )["oldest"]
        except DatabaseError:
            return  # see shop.messaging.metrics: missing series, not a failed scrape
        family = GaugeMetricFamily(
            "shop_orders",
            "Orders by status: exact for pending and awaiting_payment, the planner's estimate "
            "from the table's statistics for the finished statuses (PostgreSQL).",
            labels=["status"],
        )
        for status in OrderStatus.values:
            family.add_metric([status], by_status.get(status, 0))
        yield family
        yield GaugeMetricFamily(
            "shop_orders_oldest_pending_age_seconds",
            "How long the oldest pending order has waited for inventory's answer (0: none).",
            value=max(0.0, (timezone.now() - oldest_pending).total_seconds())
            if oldest_pending
            else 0.0,
        )


def order_counts_by_status() -> dict[str, int]:
    counts = dict(
        Order.objects.filter(status__in=OPEN_ORDER_STATUSES)
        .values_list("status")
        .annotate(count=Count("id"))
        .order_by()
    )
    for status in OrderStatus.values:
        if status not in OPEN_ORDER_STATUSES:
            counts[status] = _finished_count(status)
    return counts


def _finished_count(status: str) -> int:
    """Exact up to EXACT_COUNT_LIMIT (a bounded walk of the status index), estimated beyond."""
    orders = Order.objects.filter(status=status).order_by()
    bounded = orders.values("id")[:EXACT_COUNT_LIMIT].count()
    if bounded < EXACT_COUNT_LIMIT or connection.vendor != "postgresql":
        return bounded
    statement, params = orders.values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        # EXPLAIN plans the query and runs nothing.
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return max(EXACT_COUNT_LIMIT, int(plan[0]["Plan"]["Plan Rows"]))
