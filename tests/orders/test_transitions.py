"""Guarded transitions: a late, duplicate or out-of-place event or request changes nothing,
except that stock reserved for an order that no longer wants it is released again."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.errors import OrderNotCancellable, OrderNotFound, OrderNotPayable, PaymentUnavailable
from orders.models import Order, OrderStatus, OrderStatusChange, Payment
from orders.payment_provider import Card
from orders.services import (
    order_cancel,
    order_expire_due,
    order_pay,
    order_reserve_confirm,
    order_reserve_reject,
)
from orders.services.transitions import order_transition
from shop.messaging.contract import INVENTORY_STOCK_RELEASE, ReleaseStock
from tests.orders.factories import OrderFactory
from tests.orders.helpers import ALICE, BOB, STAFF, SUCCEEDING_CARD, drain_outbox, timeline

pytestmark = pytest.mark.django_db

ALL_STATUSES = list(OrderStatus.values)


def snapshot(order: Order) -> tuple:
    order.refresh_from_db()
    return order.status, order.reserved_until, order.updated_at, timeline(order)


def stored(order: Order) -> dict:
    return {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}


def test_a_transition_returns_the_order_as_it_stored_it_with_its_history_line():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)
    until = timezone.now() + timedelta(minutes=15)

    with transaction.atomic():
        moved = order_transition(
            order_id=str(order.id),
            from_statuses=[OrderStatus.PENDING],
            to_status=OrderStatus.AWAITING_PAYMENT,
            reason="stock reserved",
            reserved_until=until,
        )

    assert moved is not None and not moved._state.adding
    assert stored(moved) == stored(Order.objects.get(pk=order.id))
    assert (moved.status, moved.reserved_until, moved.created_at) == (
        OrderStatus.AWAITING_PAYMENT,
        until,
        order.created_at,
    )
    assert moved.updated_at > order.updated_at
    assert timeline(order) == [("pending", "placed"), ("awaiting_payment", "stock reserved")]


@pytest.mark.parametrize(
    ("from_status", "ended_minutes_from_now"),
    [(OrderStatus.PENDING, None), (OrderStatus.AWAITING_PAYMENT, 10)],
    ids=["another status", "reservation not over by then"],
)
def test_a_transition_that_does_not_apply_returns_none_and_changes_nothing(
    from_status, ended_minutes_from_now
):
    order = OrderFactory(status=OrderStatus.AWAITING_PAYMENT)  # reserved for 15 minutes
    before = snapshot(order)
    ended_by = (
        timezone.now() + timedelta(minutes=ended_minutes_from_now)
        if ended_minutes_from_now is not None
        else None
    )

    with transaction.atomic():
        moved = order_transition(
            order_id=order.id,
            from_statuses=[from_status],
            to_status=OrderStatus.EXPIRED,
            reason="reservation expired",
            reservation_ended_by=ended_by,
        )

    assert moved is None
    assert snapshot(order) == before


def test_a_transition_from_no_status_moves_nothing():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)
    before = snapshot(order)

    with transaction.atomic():
        moved = order_transition(
            order_id=order.id, from_statuses=[], to_status=OrderStatus.CANCELLED, reason="x"
        )

    assert moved is None
    assert snapshot(order) == before


def test_stock_reserved_moves_the_order_without_reading_it_back():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)

    with CaptureQueriesContext(connection) as statements:
        order_reserve_confirm(order_id=order.id)

    assert [sql.split()[0] for sql in (q["sql"] for q in statements.captured_queries)] == [
        "UPDATE",
        "INSERT",
    ]
    assert Order.objects.get(pk=order.id).status == OrderStatus.AWAITING_PAYMENT


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.EXPIRED])
def test_late_stock_reserved_releases_stock_of_order_that_no_longer_wants_it(status):
    order = OrderFactory(status=status)
    before = snapshot(order)

    order_reserve_confirm(order_id=order.id)

    assert snapshot(order) == before
    assert drain_outbox() == [
        (INVENTORY_STOCK_RELEASE, ReleaseStock(order_id=order.id, reason=status))
    ]


def test_late_stock_reserved_after_a_cancel_while_pending_keeps_it_cancelled():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)
    order_cancel(order=order, principal=ALICE)
    drain_outbox()

    order_reserve_confirm(order_id=order.id)
    order_reserve_confirm(order_id=order.id)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert timeline(order) == [("pending", "placed"), ("cancelled", "cancelled by customer")]
    # Each answer releases again: inventory's release is idempotent, stranded stock is not.
    assert (
        drain_outbox()
        == [(INVENTORY_STOCK_RELEASE, ReleaseStock(order_id=order.id, reason="cancelled"))] * 2
    )


@pytest.mark.parametrize(
    "status", [OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.REJECTED]
)
def test_stock_reserved_again_changes_nothing(status):
    order = OrderFactory(status=status)
    before = snapshot(order)

    order_reserve_confirm(order_id=order.id)

    assert snapshot(order) == before
    assert drain_outbox() == []


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != OrderStatus.PENDING])
def test_stock_rejected_for_an_order_past_pending_changes_nothing(status):
    order = OrderFactory(status=status)
    before = snapshot(order)

    order_reserve_reject(order_id=order.id, reason="out of stock")

    assert snapshot(order) == before
    assert drain_outbox() == []


def test_duplicate_stock_rejected_emails_once():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)

    order_reserve_reject(order_id=order.id, reason="out of stock")
    order_reserve_reject(order_id=order.id, reason="out of stock")

    assert timeline(order)[-1] == ("rejected", "out of stock")
    assert OrderStatusChange.objects.filter(order=order, status="rejected").count() == 1
    assert [task for task, _ in drain_outbox()] == ["users.notification_send"]


def test_answers_for_unknown_orders_change_nothing():
    order_id = uuid.uuid4()
    order_reserve_confirm(order_id=order_id)
    order_reserve_reject(order_id=order_id, reason="out of stock")

    assert not Order.objects.exists()
    assert drain_outbox() == []


@pytest.mark.parametrize("status", [s for s in ALL_STATUSES if s != OrderStatus.AWAITING_PAYMENT])
def test_pay_refuses_order_not_awaiting_payment(provider, status):
    order = OrderFactory(status=status)
    before = snapshot(order)

    with pytest.raises(OrderNotPayable) as raised:
        order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert raised.value.status_code == 409
    assert status in raised.value.message
    assert snapshot(order) == before
    assert provider.charges == []
    assert not Payment.objects.exists()
    assert drain_outbox() == []


def test_pay_refuses_order_whose_reservation_ran_out_before_the_scan(provider):
    order = OrderFactory(reserved_until=timezone.now() - timedelta(seconds=1))

    with pytest.raises(OrderNotPayable):
        order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert provider.charges == []
    assert order_expire_due() == 1


@pytest.mark.parametrize("who", [BOB, STAFF], ids=["other_customer", "staff"])
def test_only_the_customer_pays_for_an_order(provider, who):
    order = OrderFactory()

    with pytest.raises(OrderNotFound):
        order_pay(order=order, principal=who, payment=Card(number=SUCCEEDING_CARD))

    assert provider.charges == []


def test_unreachable_provider_records_nothing_and_keeps_the_order_payable(settings):
    settings.ORDERS_PAYMENT_PROVIDER = "tests.orders.providers.UnreachableProvider"
    order = OrderFactory()
    before = snapshot(order)

    with pytest.raises(PaymentUnavailable) as raised:
        order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert raised.value.status_code == 503
    assert snapshot(order) == before
    assert not Payment.objects.exists()
    assert drain_outbox() == []


def test_charge_whose_transition_lost_is_refunded_and_refused(settings):
    from tests.orders.providers import LosingRaceProvider

    LosingRaceProvider.reset()
    settings.ORDERS_PAYMENT_PROVIDER = "tests.orders.providers.LosingRaceProvider"
    order = OrderFactory()

    with pytest.raises(OrderNotPayable) as raised:
        order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert "refunded" in raised.value.message
    assert len(LosingRaceProvider.charges) == len(LosingRaceProvider.refunds) == 1
    assert list(Payment.objects.values_list("status", flat=True)) == ["refunded"]
    assert [task for task, _ in drain_outbox()] == []


@pytest.mark.parametrize(
    "status",
    [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED],
)
def test_cancel_refuses_order_past_payment(status):
    order = OrderFactory(status=status)
    before = snapshot(order)

    with pytest.raises(OrderNotCancellable) as raised:
        order_cancel(order=order, principal=ALICE)

    assert raised.value.status_code == 409
    assert f"This order is {status}" in raised.value.message
    assert snapshot(order) == before
    assert drain_outbox() == []


def test_cancel_refuses_someone_elses_order():
    order = OrderFactory()

    with pytest.raises(OrderNotFound):
        order_cancel(order=order, principal=BOB)

    assert Order.objects.get().status == OrderStatus.AWAITING_PAYMENT


def test_expiry_changes_nothing_once_the_order_is_paid_or_cancelled():
    paid = OrderFactory(status=OrderStatus.PAID, reserved_until=timezone.now())
    cancelled = OrderFactory(status=OrderStatus.CANCELLED, reserved_until=timezone.now())

    assert order_expire_due(now=timezone.now() + timedelta(hours=1)) == 0

    assert snapshot(paid)[0] == OrderStatus.PAID
    assert snapshot(cancelled)[0] == OrderStatus.CANCELLED
    assert drain_outbox() == []
