"""The database itself refuses orders that break the model's invariants."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by(constraint: str) -> Iterator[None]:
    # The savepoint keeps the test's transaction usable after the database refuses a write.
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        yield


def _line_values(order: Order, **overrides: object) -> dict:
    values = {
        "order": order,
        "product_id": 99,
        "sku": "SKU-99",
        "name": "Mug",
        "unit_price": Decimal("10.00"),
        "quantity": 1,
        "line_total": Decimal("10.00"),
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("quantity", [0, 1001])
def test_database_rejects_line_quantity_outside_1_to_1000(quantity):
    order = OrderFactory(lines=[])

    with refused_by("orders_orderline_quantity_1_to_1000"):
        OrderLine.objects.create(
            **_line_values(order, quantity=quantity, line_total=Decimal("10.00") * quantity)
        )

    assert not order.lines.exists()


@pytest.mark.parametrize("quantity", [1, 1000])
def test_database_accepts_line_quantity_at_the_bounds(quantity):
    order = OrderFactory(lines=[])

    line = OrderLine.objects.create(
        **_line_values(order, quantity=quantity, line_total=Decimal("10.00") * quantity)
    )

    assert line.quantity == quantity


def test_database_rejects_negative_order_total():
    order = OrderFactory(lines=[])

    with refused_by("orders_order_total_gte_0"):
        Order.objects.filter(pk=order.pk).update(total=Decimal("-0.01"))

    order.refresh_from_db()
    assert order.total == Decimal("0.00")


@pytest.mark.parametrize("unit_price", [Decimal("0.00"), Decimal("-1.00")])
def test_database_rejects_line_unit_price_not_above_zero(unit_price):
    order = OrderFactory(lines=[])

    with refused_by("orders_orderline_unit_price_gt_0"):
        OrderLine.objects.create(
            **_line_values(order, unit_price=unit_price, line_total=unit_price)
        )


def test_database_rejects_line_total_other_than_price_times_quantity():
    order = OrderFactory(lines=[])

    with refused_by("orders_orderline_line_total_is_price_times_quantity"):
        OrderLine.objects.create(**_line_values(order, quantity=2, line_total=Decimal("10.00")))


def test_database_rejects_second_line_for_same_product_in_one_order():
    order = OrderFactory(lines=[])
    OrderLine.objects.create(**_line_values(order))

    with refused_by("orders_orderline_one_per_product"):
        OrderLine.objects.create(**_line_values(order))

    assert order.lines.count() == 1


def test_same_product_may_appear_in_different_orders():
    first, second = OrderFactory(lines=[]), OrderFactory(lines=[])

    OrderLine.objects.create(**_line_values(first))
    OrderLine.objects.create(**_line_values(second))

    assert OrderLine.objects.filter(product_id=99).count() == 2


def test_database_rejects_unknown_order_status():
    order = OrderFactory()

    with refused_by("orders_order_status_valid"):
        Order.objects.filter(pk=order.pk).update(status="shipped")


def test_new_order_defaults_to_pending_in_shop_currency(settings):
    settings.SHOP_CURRENCY = "EUR"

    order = Order.objects.create(user_id=1001, username="alice", total=Decimal("0.00"))

    assert order.status == OrderStatus.PENDING
    assert order.currency == "EUR"
    assert order.id.version == 4


def test_deleting_an_order_deletes_its_lines_and_history():
    order = OrderFactory(status=OrderStatus.PAID)

    order.delete()

    assert not OrderLine.objects.filter(order_id=order.pk).exists()
    assert not OrderStatusChange.objects.filter(order_id=order.pk).exists()
