"""Every path of the order saga, driven by calling the handlers as the consumers would: the
status, the timeline and exactly the messages recorded after each step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.errors import PaymentDeclined
from orders.models import Order, OrderStatus, Payment
from orders.payment_provider import Card
from orders.services import (
    order_cancel,
    order_expire_due,
    order_pay,
    order_place,
    order_reserve_confirm,
    order_reserve_reject,
)
from shop.messaging.contract import (
    INVENTORY_STOCK_COMMIT,
    INVENTORY_STOCK_RELEASE,
    INVENTORY_STOCK_RESERVE,
    MESSAGES_BY_TASK,
    NOTIFICATION_KINDS,
    USERS_NOTIFICATION_SEND,
    CommitStock,
    ReleaseStock,
    ReserveStock,
    SendNotification,
    StockLine,
)
from shop.messaging.models import OutboxMessage
from tests.orders.conftest import MUG_ID, TEE_ID
from tests.orders.helpers import (
    ALICE,
    DECLINING_CARD,
    STAFF,
    SUCCEEDING_CARD,
    drain_outbox,
    timeline,
)

pytestmark = pytest.mark.django_db

PLACED = ("pending", "placed")
RESERVED = ("awaiting_payment", "stock reserved")


def placed_order() -> Order:
    order, _ = order_place(
        principal=ALICE,
        items=[{"product_id": MUG_ID, "quantity": 2}, {"product_id": TEE_ID, "quantity": 1}],
    )
    assert drain_outbox() == [
        (
            INVENTORY_STOCK_RESERVE,
            ReserveStock(order_id=order.id, lines=(StockLine(MUG_ID, 2), StockLine(TEE_ID, 1))),
        )
    ]
    return order


def reserved_order() -> Order:
    order = placed_order()
    order_reserve_confirm(order_id=order.id)
    assert drain_outbox() == []
    return Order.objects.get(pk=order.pk)


def notification(order: Order, kind: str, **extra: str) -> tuple[str, SendNotification]:
    context = {"order_id": str(order.id), "total": "45.00", "currency": "USD", **extra}
    return USERS_NOTIFICATION_SEND, SendNotification(user_id=1001, kind=kind, context=context)


def test_reservation_makes_order_payable_for_the_configured_time(catalog, settings):
    settings.ORDERS_RESERVATION_TTL_SECONDS = 120
    before = timezone.now()

    order = reserved_order()

    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert before + timedelta(seconds=120) <= order.reserved_until
    assert order.reserved_until <= timezone.now() + timedelta(seconds=120)
    assert timeline(order) == [PLACED, RESERVED]


def test_paid_path_commits_stock_and_emails_the_customer(catalog, provider):
    order = reserved_order()

    paid = order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert paid.status == OrderStatus.PAID
    assert timeline(paid) == [PLACED, RESERVED, ("paid", "payment captured")]
    assert drain_outbox() == [
        (INVENTORY_STOCK_COMMIT, CommitStock(order_id=order.id)),
        notification(order, "order_paid"),
    ]
    payment = Payment.objects.get()
    assert (payment.status, payment.amount, payment.currency, payment.card_last4) == (
        "succeeded",
        Decimal("45.00"),
        "USD",
        "4242",
    )
    assert payment.provider_reference.startswith("test_ch_")
    assert [charge["amount"] for charge in provider.charges] == [Decimal("45.00")]


def test_declined_then_paid_path_keeps_the_order_payable_between(catalog, provider):
    order = reserved_order()

    with pytest.raises(PaymentDeclined) as declined:
        order_pay(order=order, principal=ALICE, payment=Card(number=DECLINING_CARD))

    assert declined.value.status_code == 402
    # One message for every decline (issue 9); the reason stays on the payment record.
    assert declined.value.message == "The card was declined."
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert timeline(order) == [PLACED, RESERVED]
    assert drain_outbox() == []
    assert list(Payment.objects.values_list("status", "card_last4", "failure_reason")) == [
        ("declined", "0002", "card declined")
    ]

    paid = order_pay(order=order, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))

    assert paid.status == OrderStatus.PAID
    assert timeline(paid) == [PLACED, RESERVED, ("paid", "payment captured")]
    assert drain_outbox() == [
        (INVENTORY_STOCK_COMMIT, CommitStock(order_id=order.id)),
        notification(order, "order_paid"),
    ]
    assert list(Payment.objects.values_list("status", flat=True)) == ["declined", "succeeded"]
    # Each attempt its own idempotency key at the provider: a retry of one never charges twice,
    # and a new attempt is never mistaken for the declined one.
    keys = [charge["idempotency_key"] for charge in provider.charges]
    assert keys == [f"order-{order.id}-payment-1", f"order-{order.id}-payment-2"]


def test_cancelled_while_pending_path_releases_stock(catalog):
    order = placed_order()

    cancelled = order_cancel(order=order, principal=ALICE)

    assert cancelled.status == OrderStatus.CANCELLED
    assert timeline(cancelled) == [PLACED, ("cancelled", "cancelled by customer")]
    assert drain_outbox() == [
        (INVENTORY_STOCK_RELEASE, ReleaseStock(order_id=order.id, reason="cancelled"))
    ]


def test_cancelled_while_awaiting_payment_path_releases_stock(catalog):
    order = reserved_order()

    cancelled = order_cancel(order=order, principal=STAFF)

    assert cancelled.status == OrderStatus.CANCELLED
    assert timeline(cancelled) == [PLACED, RESERVED, ("cancelled", "cancelled by staff")]
    assert drain_outbox() == [
        (INVENTORY_STOCK_RELEASE, ReleaseStock(order_id=order.id, reason="cancelled"))
    ]


def test_rejected_path_emails_the_customer_why(catalog):
    order = placed_order()

    order_reserve_reject(order_id=order.id, reason="out of stock: MUG-1")

    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert order.reserved_until is None
    assert timeline(order) == [PLACED, ("rejected", "out of stock: MUG-1")]
    assert drain_outbox() == [notification(order, "order_rejected", reason="out of stock: MUG-1")]


def test_expired_path_releases_stock_and_emails_the_customer(catalog):
    order = reserved_order()

    expired_count = order_expire_due(now=order.reserved_until)

    order.refresh_from_db()
    assert expired_count == 1
    assert order.status == OrderStatus.EXPIRED
    assert timeline(order) == [PLACED, RESERVED, ("expired", "reservation expired")]
    assert drain_outbox() == [
        (INVENTORY_STOCK_RELEASE, ReleaseStock(order_id=order.id, reason="expired")),
        notification(order, "order_expired"),
    ]


def test_expiry_leaves_orders_whose_reservation_still_runs(catalog):
    order = reserved_order()

    expired_count = order_expire_due(now=order.reserved_until - timedelta(seconds=1))

    order.refresh_from_db()
    assert expired_count == 0
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert drain_outbox() == []


def test_expiry_takes_every_due_order_each_in_its_own_transition(catalog):
    orders = [reserved_order() for _ in range(3)]
    later = max(order.reserved_until for order in orders)

    assert order_expire_due(now=later) == 3
    assert order_expire_due(now=later) == 0

    assert set(Order.objects.values_list("status", flat=True)) == {"expired"}
    messages = drain_outbox()
    releases = [message for task, message in messages if task == INVENTORY_STOCK_RELEASE]
    assert sorted(release.order_id for release in releases) == sorted(o.id for o in orders)
    assert len(messages) == 6


def test_every_message_this_service_records_parses_in_its_consumer(catalog, provider):
    # given every path that records a message, nothing drained in between
    def placed() -> Order:
        order, _ = order_place(principal=ALICE, items=[{"product_id": MUG_ID, "quantity": 1}])
        return order

    paid = placed()
    order_reserve_confirm(order_id=paid.id)
    order_pay(order=paid, principal=ALICE, payment=Card(number=SUCCEEDING_CARD))
    order_reserve_reject(order_id=placed().id, reason="out of stock")
    cancelled = placed()
    order_cancel(order=cancelled, principal=ALICE)
    order_reserve_confirm(order_id=cancelled.id)
    expiring = placed()
    order_reserve_confirm(order_id=expiring.id)
    order_expire_due(now=timezone.now() + timedelta(days=1))

    # then each row parses as its consumer parses it, and survives the round trip
    rows = list(OutboxMessage.objects.all())
    for row in rows:
        message = MESSAGES_BY_TASK[row.task_name].from_payload(row.payload)
        assert message.to_payload() == row.payload
    assert {row.task_name for row in rows} == {
        INVENTORY_STOCK_RESERVE,
        INVENTORY_STOCK_COMMIT,
        INVENTORY_STOCK_RELEASE,
        USERS_NOTIFICATION_SEND,
    }
    kinds = {row.payload["kind"] for row in rows if row.task_name == USERS_NOTIFICATION_SEND}
    assert kinds == {"order_paid", "order_rejected", "order_expired"} <= set(NOTIFICATION_KINDS)
