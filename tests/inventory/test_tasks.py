"""Inventory's Celery consumers: registered under the contract's names, and once per message."""

import uuid

import pytest

from inventory import tasks
from inventory.models import Reservation, StockMovement, StockRecord
from shop.messaging.contract import (
    MESSAGES_BY_TASK,
    ORDERS_ORDER_RESERVE_CONFIRM,
    ORDERS_ORDER_RESERVE_REJECT,
    ProductChanged,
    ReleaseStock,
    ReserveStock,
    StockLine,
    StockRejected,
    StockReserved,
)
from shop.messaging.models import InboxMessage, OutboxMessage
from tests.inventory.factories import StockRecordFactory
from tests.inventory.outbox import sent_messages
from tests.inventory.snapshots import snapshot
from workers.app import app

INVENTORY_TASK_NAMES = {name for name in MESSAGES_BY_TASK if name.startswith("inventory.")}


def deliver_twice(task, payload: dict) -> None:
    """The same message delivered twice, as RabbitMQ may: one task id, two runs."""
    message_id = str(uuid.uuid4())
    for _ in range(2):
        result = task.apply(kwargs=payload, task_id=message_id)
        assert result.successful(), result.traceback
    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.status, inbox.deliveries) == (InboxMessage.Status.PROCESSED, 2)


def reserve_payload(order_id: uuid.UUID | str, *pairs: tuple[int, int]) -> dict:
    message = ReserveStock(
        order_id=order_id, lines=tuple(StockLine(product_id=p, quantity=q) for p, q in pairs)
    )
    return message.to_payload()


def test_registered_inventory_tasks_are_exactly_the_contracts():
    registered = {name for name in app.tasks if name.startswith("inventory.")}

    assert registered == INVENTORY_TASK_NAMES
    assert {
        tasks.on_reserve_stock.name,
        tasks.on_release_stock.name,
        tasks.on_commit_stock.name,
        tasks.on_product_changed.name,
    } == INVENTORY_TASK_NAMES


@pytest.mark.parametrize("task_name", sorted(INVENTORY_TASK_NAMES))
def test_inventory_tasks_are_routed_to_the_inventory_queue(task_name):
    route = app.amqp.router.route({}, task_name)

    assert route["queue"].name == "inventory"


@pytest.mark.parametrize(
    "task",
    [
        tasks.on_reserve_stock,
        tasks.on_release_stock,
        tasks.on_commit_stock,
        tasks.on_product_changed,
    ],
)
def test_every_task_documents_trigger_idempotency_and_retries(task):
    doc = task.__doc__

    assert all(word in doc for word in ("Trigger:", "Idempotency:", "Retries:"))


@pytest.mark.django_db
def test_reserve_delivered_twice_reserves_and_answers_once():
    record = StockRecordFactory(product_id=1, on_hand=5)
    order_id = uuid.uuid4()

    deliver_twice(tasks.on_reserve_stock, reserve_payload(order_id, (1, 2)))

    assert (snapshot(record).reserved, snapshot(record).movement_count) == (2, 1)
    assert sent_messages() == [StockReserved(order_id=order_id)]


@pytest.mark.django_db
def test_rejected_reserve_delivered_twice_answers_once():
    record = StockRecordFactory(product_id=1, on_hand=1)
    order_id = uuid.uuid4()

    deliver_twice(tasks.on_reserve_stock, reserve_payload(order_id, (1, 2)))

    assert snapshot(record).reserved == 0
    assert sent_messages() == [
        StockRejected(order_id=order_id, reason=Reservation.objects.get().reason)
    ]


@pytest.mark.django_db
def test_release_delivered_twice_releases_once():
    record = StockRecordFactory(product_id=1, on_hand=5)
    order_id = uuid.uuid4()
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(order_id, (1, 2)))
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(uuid.uuid4(), (1, 1)))

    deliver_twice(
        tasks.on_release_stock, ReleaseStock(order_id=order_id, reason="cancel").to_payload()
    )

    assert snapshot(record).reserved == 1
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RELEASE).count() == 1


@pytest.mark.django_db
def test_commit_delivered_twice_commits_once():
    record = StockRecordFactory(product_id=1, on_hand=5)
    order_id = uuid.uuid4()
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(order_id, (1, 2)))

    deliver_twice(tasks.on_commit_stock, {"order_id": str(order_id)})

    assert (snapshot(record).on_hand, snapshot(record).reserved) == (3, 0)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COMMIT).count() == 1
    assert Reservation.objects.get().status == Reservation.Status.COMMITTED


@pytest.mark.django_db
def test_product_event_delivered_twice_creates_one_record():
    event = ProductChanged(
        product_id=9,
        version=1,
        sku="CAP",
        name="Cap",
        price="12.50",
        currency="USD",
        is_active=True,
    )

    deliver_twice(tasks.on_product_changed, event.to_payload())

    record = StockRecord.objects.get()
    assert (record.product_id, record.sku, record.on_hand, record.product_version) == (
        9,
        "CAP",
        0,
        1,
    )


@pytest.mark.django_db
def test_consumer_ignores_fields_added_by_a_newer_producer():
    StockRecordFactory(product_id=1, on_hand=5)
    payload = {**reserve_payload(str(uuid.uuid4()), (1, 2)), "placed_by": 1001}

    tasks.on_reserve_stock.apply(kwargs=payload)

    assert StockRecord.objects.get().reserved == 2


@pytest.mark.django_db
def test_a_malformed_reserve_request_is_dead_at_once_and_changes_nothing():
    record = StockRecordFactory(product_id=1, on_hand=5)
    message_id = str(uuid.uuid4())
    payload = {"order_id": str(uuid.uuid4()), "lines": [{"product_id": 1}]}

    tasks.on_reserve_stock.apply(kwargs=payload, task_id=message_id)

    assert InboxMessage.objects.get(message_id=message_id).status == InboxMessage.Status.DEAD
    assert snapshot(record).reserved == 0
    assert not Reservation.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_request_with_a_malformed_order_id_is_dead_at_once_without_writing():
    record = StockRecordFactory(product_id=1, on_hand=5)
    message_id = str(uuid.uuid4())
    payload = reserve_payload("not-an-order-id", (1, 1))

    # The contract refuses it where the payload is parsed: no retry would mend it.
    tasks.on_reserve_stock.apply(kwargs=payload, task_id=message_id)

    inbox = InboxMessage.objects.get(message_id=message_id)
    assert (inbox.status, inbox.deliveries) == (InboxMessage.Status.DEAD, 1)
    assert "order_id" in inbox.last_error
    assert snapshot(record).reserved == 0
    assert not Reservation.objects.exists()
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_every_answer_inventory_sends_parses_in_orders_contract():
    StockRecordFactory(product_id=1, sku="MUG", on_hand=1)
    reserved, rejected, tombstoned = (uuid.uuid4() for _ in range(3))
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(reserved, (1, 1)))
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(rejected, (1, 1)))
    tasks.on_release_stock.apply(kwargs={"order_id": str(tombstoned), "reason": "cancelled"})
    tasks.on_reserve_stock.apply(kwargs=reserve_payload(tombstoned, (1, 1)))

    rows = list(OutboxMessage.objects.all())
    parsed = {MESSAGES_BY_TASK[row.task_name].from_payload(row.payload) for row in rows}

    assert len(rows) == 3
    assert {row.task_name for row in rows} == {
        ORDERS_ORDER_RESERVE_CONFIRM,
        ORDERS_ORDER_RESERVE_REJECT,
    }
    assert parsed == {
        StockReserved(order_id=reserved),
        StockRejected(order_id=rejected, reason="product 1 (MUG): 1 requested, 0 available"),
        StockRejected(order_id=tombstoned, reason="order already released"),
    }
