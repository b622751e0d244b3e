"""Races on real connections: each thread is its own PostgreSQL session, so these tests need
committed data (`transaction=True`) and prove what the row lock, the guarded UPDATEs and the
unique constraint promise: one charge, one winner, one order."""

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from orders.errors import OrderNotCancellable, OrderNotPayable
from orders.models import CatalogProduct, IdempotencyKey, Order, OrderStatus, Payment
from orders.payment_provider import Card
from orders.services import (
    catalog_product_sync,
    order_cancel,
    order_expire_due,
    order_pay,
    order_place,
)
from shop.messaging.contract import (
    INVENTORY_STOCK_COMMIT,
    INVENTORY_STOCK_RELEASE,
    INVENTORY_STOCK_RESERVE,
    ProductChanged,
)
from tests.orders.conftest import MUG_ID
from tests.orders.factories import OrderFactory
from tests.orders.helpers import ALICE, SUCCEEDING_CARD, outbox_messages, timeline

pytestmark = pytest.mark.django_db(transaction=True)

CARD = Card(number=SUCCEEDING_CARD)


def run_at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, released together; each result or raised exception."""
    results: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def thread_main(index: int) -> None:
        try:
            start.wait()
            results[index] = calls[index]()
        except BaseException as error:  # reported to the test through the results
            results[index] = error
        finally:
            # Each thread opened its own connection; left open it blocks the database teardown.
            connection.close()

    threads = [threading.Thread(target=thread_main, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a call hung"
    return results


def test_two_payments_at_once_charge_once(provider):
    provider.reset(charge_seconds=0.2)
    order = OrderFactory()

    results = run_at_once(
        lambda: order_pay(order=order, principal=ALICE, payment=CARD),
        lambda: order_pay(order=order, principal=ALICE, payment=CARD),
    )

    paid = [result for result in results if isinstance(result, Order)]
    refused = [result for result in results if isinstance(result, OrderNotPayable)]
    assert (len(paid), len(refused)) == (1, 1), results
    assert len(provider.charges) == 1
    assert list(Payment.objects.values_list("status", flat=True)) == ["succeeded"]
    assert Order.objects.get().status == OrderStatus.PAID
    assert [task for task, _ in outbox_messages()].count(INVENTORY_STOCK_COMMIT) == 1


@pytest.mark.parametrize("attempt", range(4))
def test_payment_racing_expiry_has_exactly_one_winner(provider, attempt):
    provider.reset(charge_seconds=0.05)
    # Payable now, yet due for a scan that looks a minute ahead.
    order = OrderFactory(reserved_until=timezone.now() + timedelta(seconds=5))

    paid, expired_count = run_at_once(
        lambda: order_pay(order=order, principal=ALICE, payment=CARD),
        lambda: order_expire_due(now=timezone.now() + timedelta(minutes=1)),
    )

    order.refresh_from_db()
    tasks = [task for task, _ in outbox_messages()]
    if isinstance(paid, Order):
        assert expired_count == 0
        assert order.status == OrderStatus.PAID
        assert INVENTORY_STOCK_RELEASE not in tasks
        assert len(provider.charges) == 1
    else:
        assert isinstance(paid, OrderNotPayable), paid
        assert expired_count == 1
        assert order.status == OrderStatus.EXPIRED
        assert INVENTORY_STOCK_COMMIT not in tasks
        assert provider.charges == []
    assert [status for status, _ in timeline(order)].count(order.status) == 1


def test_expiry_scan_skips_an_order_while_its_payment_runs(provider):
    provider.reset(charge_seconds=0.5)
    order = OrderFactory(reserved_until=timezone.now() + timedelta(seconds=5))

    def scan_during_the_charge() -> int:
        assert provider.charging.wait(timeout=5)
        return order_expire_due(now=timezone.now() + timedelta(minutes=1))

    paid, expired_count = run_at_once(
        lambda: order_pay(order=order, principal=ALICE, payment=CARD), scan_during_the_charge
    )

    assert isinstance(paid, Order) and paid.status == OrderStatus.PAID
    assert expired_count == 0


def test_cancel_during_a_payment_waits_for_it_and_is_refused(provider):
    provider.reset(charge_seconds=0.3)
    order = OrderFactory()

    def cancel_during_the_charge() -> Order:
        assert provider.charging.wait(timeout=5)
        return order_cancel(order=order, principal=ALICE)

    paid, cancelled = run_at_once(
        lambda: order_pay(order=order, principal=ALICE, payment=CARD), cancel_during_the_charge
    )

    assert isinstance(paid, Order) and paid.status == OrderStatus.PAID
    assert isinstance(cancelled, OrderNotCancellable)
    assert Order.objects.get().status == OrderStatus.PAID
    assert INVENTORY_STOCK_RELEASE not in [task for task, _ in outbox_messages()]


def test_one_idempotency_key_from_ten_threads_places_one_order(catalog):
    items = [{"product_id": MUG_ID, "quantity": 2}]

    results = run_at_once(
        *[
            lambda: order_place(principal=ALICE, items=items, idempotency_key="checkout-42")
            for _ in range(10)
        ]
    )

    assert all(isinstance(result, tuple) for result in results), results
    assert {order.id for order, _ in results} == {Order.objects.get().id}
    assert sorted(is_replay for _, is_replay in results) == [False] + [True] * 9
    assert IdempotencyKey.objects.count() == 1
    assert [task for task, _ in outbox_messages()] == [INVENTORY_STOCK_RESERVE]


@pytest.mark.parametrize("attempt", range(3))
def test_first_versions_of_a_product_racing_leave_the_newest(attempt):
    def sync(version: int) -> None:
        catalog_product_sync(
            message=ProductChanged(
                product_id=88,
                version=version,
                sku="DESK-1",
                name=f"Desk v{version}",
                price=Decimal(version),
                currency="USD",
                is_active=True,
            )
        )

    run_at_once(*[lambda version=version: sync(version) for version in (1, 2, 3, 2, 1)])

    assert CatalogProduct.objects.get().version == 3
