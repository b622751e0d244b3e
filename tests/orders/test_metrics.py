"""Orders' metrics: orders by status, the oldest pending order and the settle-time histogram,
against real rows; and the indexes that keep a scrape cheap."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from prometheus_client import CollectorRegistry

from orders import metrics
from orders.metrics import OrdersCollector
from orders.models import Order, OrderStatus
from orders.services import order_reserve_confirm, order_reserve_reject
from shop.observability.metrics import WORKER_REGISTRY
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def scrape() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(OrdersCollector())
    return registry


def placed(status: str, *, seconds_ago: float) -> Order:
    order = OrderFactory(status=status)
    Order.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return order


def test_orders_are_counted_by_status_every_status_present():
    placed(OrderStatus.PENDING, seconds_ago=1)
    placed(OrderStatus.PENDING, seconds_ago=2)
    placed(OrderStatus.AWAITING_PAYMENT, seconds_ago=3)
    placed(OrderStatus.PAID, seconds_ago=4)
    placed(OrderStatus.REJECTED, seconds_ago=5)

    registry = scrape()

    counts = {
        status: registry.get_sample_value("shop_orders", {"status": status})
        for status in OrderStatus.values
    }
    assert counts == {
        "pending": 2,
        "awaiting_payment": 1,
        "paid": 1,
        "cancelled": 0,
        "expired": 0,
        "rejected": 1,
    }


def test_a_finished_status_beyond_the_exact_limit_is_the_planners_estimate(monkeypatch):
    monkeypatch.setattr(metrics, "EXACT_COUNT_LIMIT", 2)
    for seconds_ago in (1, 2, 3):
        placed(OrderStatus.PAID, seconds_ago=seconds_ago)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")

    registry = scrape()

    # At least the limit, whatever the statistics say; exact below it.
    assert registry.get_sample_value("shop_orders", {"status": "paid"}) >= 2
    assert registry.get_sample_value("shop_orders", {"status": "expired"}) == 0


def test_the_oldest_pending_order_is_aged_and_other_statuses_do_not_count():
    placed(OrderStatus.AWAITING_PAYMENT, seconds_ago=600)
    placed(OrderStatus.PENDING, seconds_ago=75)
    placed(OrderStatus.PENDING, seconds_ago=10)

    age = scrape().get_sample_value("shop_orders_oldest_pending_age_seconds")

    assert 75 <= age < 85


def test_no_pending_order_is_an_age_of_zero():
    placed(OrderStatus.PAID, seconds_ago=600)

    assert scrape().get_sample_value("shop_orders_oldest_pending_age_seconds") == 0


def settled(outcome: str) -> tuple[float, float]:
    labels = {"outcome": outcome}
    count = WORKER_REGISTRY.get_sample_value("shop_order_settle_seconds_count", labels) or 0.0
    total = WORKER_REGISTRY.get_sample_value("shop_order_settle_seconds_sum", labels) or 0.0
    return count, total


@pytest.mark.django_db(transaction=True)
def test_inventorys_answer_observes_placement_to_settled_seconds_once():
    reserved = placed(OrderStatus.PENDING, seconds_ago=30)
    rejected = placed(OrderStatus.PENDING, seconds_ago=4)
    before_reserved, before_rejected = settled("reserved"), settled("rejected")

    order_reserve_confirm(order_id=str(reserved.pk))
    order_reserve_confirm(order_id=str(reserved.pk))  # a duplicate answer: not observed
    order_reserve_reject(order_id=str(rejected.pk), reason="out of stock")

    count, total = settled("reserved")
    assert count - before_reserved[0] == 1
    assert 30 <= total - before_reserved[1] < 40
    count, total = settled("rejected")
    assert count - before_rejected[0] == 1
    assert 4 <= total - before_rejected[1] < 14


@pytest.mark.django_db(transaction=True)
def test_a_settling_rolled_back_is_not_observed():
    order = placed(OrderStatus.PENDING, seconds_ago=5)
    before = settled("reserved")

    with pytest.raises(RuntimeError), transaction.atomic():
        order_reserve_confirm(order_id=str(order.pk))
        raise RuntimeError("the consumer's transaction fails after the handler")

    assert settled("reserved") == before


def plan(queryset) -> str:
    statement, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_pending_queries_read_an_index_not_the_table():
    pending = Order.objects.filter(status=OrderStatus.PENDING).order_by()

    # orders_pending_oldest_first on a big table; on the test's few rows the planner may take
    # another index of the status: what matters is that no scan reads the whole table.
    for query in (pending.values("created_at"), pending.values("id")):
        chosen = plan(query)
        assert "Seq Scan" not in chosen and "Index" in chosen, chosen


def test_the_open_counts_read_a_partial_index_of_open_orders():
    open_orders = Order.objects.filter(status__in=[OrderStatus.AWAITING_PAYMENT]).order_by()

    chosen = plan(open_orders.values("status"))
    assert "Seq Scan" not in chosen and "Index" in chosen, chosen
