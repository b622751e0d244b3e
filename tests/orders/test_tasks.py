"""The orders worker's tasks: exactly the contract's names, each delivery idempotent."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from orders import tasks
from orders.models import CatalogProduct, OrderStatus, OrderStatusChange
from shop.messaging.contract import (
    INVENTORY_STOCK_RELEASE,
    MESSAGES_BY_TASK,
    USERS_NOTIFICATION_SEND,
    ProductChanged,
    StockRejected,
    StockReserved,
)
from shop.messaging.models import InboxMessage
from tests.orders.factories import CatalogProductFactory, OrderFactory
from tests.orders.helpers import drain_outbox, timeline
from workers.app import app

pytestmark = pytest.mark.django_db


def product_changed(**overrides: object) -> ProductChanged:
    values = {
        "product_id": 77,
        "version": 1,
        "sku": "LAMP-1",
        "name": "Lamp",
        "price": Decimal("30.00"),
        "currency": "USD",
        "is_active": True,
    }
    values.update(overrides)
    return ProductChanged(**values)


def deliver_twice(task, message) -> None:
    """The same message (one id) delivered twice, as RabbitMQ may after a worker dies."""
    message_id = str(uuid.uuid4())
    for _ in range(2):
        task.apply(kwargs=message.to_payload(), task_id=message_id)
    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.status, inbox.deliveries) == ("processed", 2)


def test_registered_orders_tasks_are_the_contracts_plus_the_expiry_scan():
    app.loader.import_default_modules()

    registered = {name for name in app.tasks if name.startswith("orders.")}

    contract = {name for name in MESSAGES_BY_TASK if name.startswith("orders.")}
    assert registered == contract | {"orders.order_expire_due"}


def test_beat_scans_for_expired_orders_every_configured_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["orders-expire-due"]

    assert entry["task"] == tasks.scheduled_expiry.name == "orders.order_expire_due"
    assert entry["schedule"] == settings.ORDERS_EXPIRY_SCAN_SECONDS == 10
    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE


@pytest.mark.parametrize(
    "task", [tasks.on_product_changed, tasks.on_stock_reserved, tasks.on_stock_rejected]
)
def test_every_consumer_documents_trigger_idempotency_and_retries(task):
    for part in ("Trigger:", "Idempotency:", "Retries:"):
        assert part in task.__doc__
    assert "Trigger:" in tasks.scheduled_expiry.__doc__


def test_product_sync_twice_keeps_one_copy():
    deliver_twice(tasks.on_product_changed, product_changed())

    copy = CatalogProduct.objects.get()
    assert (copy.product_id, copy.version, copy.sku, copy.price, copy.is_active) == (
        77,
        1,
        "LAMP-1",
        Decimal("30.00"),
        True,
    )


def test_product_sync_keeps_the_newest_version_whatever_the_delivery_order():
    newer = product_changed(version=3, price=Decimal("35.00"), is_active=False)
    older = product_changed(version=2, price=Decimal("32.00"))

    deliver_twice(tasks.on_product_changed, newer)
    deliver_twice(tasks.on_product_changed, older)

    copy = CatalogProduct.objects.get()
    assert (copy.version, copy.price, copy.is_active) == (3, Decimal("35.00"), False)


def test_product_sync_applies_a_newer_version():
    CatalogProductFactory(product_id=77, version=1, price=Decimal("30.00"))

    deliver_twice(tasks.on_product_changed, product_changed(version=2, name="Desk lamp"))

    copy = CatalogProduct.objects.get()
    assert (copy.version, copy.name) == (2, "Desk lamp")


def test_stock_reserved_twice_moves_the_order_once():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)

    deliver_twice(tasks.on_stock_reserved, StockReserved(order_id=order.id))

    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING_PAYMENT
    assert timeline(order) == [("pending", "placed"), ("awaiting_payment", "stock reserved")]
    assert drain_outbox() == []


def test_stock_reserved_twice_for_a_cancelled_order_releases_once():
    order = OrderFactory(status=OrderStatus.CANCELLED)

    deliver_twice(tasks.on_stock_reserved, StockReserved(order_id=order.id))

    assert [task for task, _ in drain_outbox()] == [INVENTORY_STOCK_RELEASE]


def test_stock_rejected_twice_rejects_and_emails_once():
    order = OrderFactory(status=OrderStatus.PENDING, reserved_until=None)

    deliver_twice(tasks.on_stock_rejected, StockRejected(order_id=order.id, reason="out of stock"))

    order.refresh_from_db()
    assert order.status == OrderStatus.REJECTED
    assert OrderStatusChange.objects.filter(order=order, status="rejected").count() == 1
    assert [task for task, _ in drain_outbox()] == [USERS_NOTIFICATION_SEND]


def test_expiry_task_run_twice_expires_once():
    order = OrderFactory(reserved_until=timezone.now() - timedelta(seconds=1))

    first = tasks.scheduled_expiry.apply()
    second = tasks.scheduled_expiry.apply()

    assert (first.result, second.result) == (1, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.EXPIRED
    assert [task for task, _ in drain_outbox()] == [
        INVENTORY_STOCK_RELEASE,
        USERS_NOTIFICATION_SEND,
    ]


@pytest.mark.parametrize("task", [tasks.on_stock_reserved, tasks.on_stock_rejected])
def test_an_answer_naming_no_order_id_is_dead_at_once_and_changes_nothing(task):
    # The contract refuses it where the payload is parsed, the same way in every service.
    message_id = str(uuid.uuid4())

    task.apply(kwargs={"order_id": "not-a-uuid", "reason": "out of stock"}, task_id=message_id)

    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.status, inbox.deliveries) == (InboxMessage.Status.DEAD, 1)
    assert "order_id" in inbox.last_error
    assert drain_outbox() == []
