"""Inventory's Celery entry points: the order saga's stock steps and the catalog's product events.

Thin: the `consumer` wrapper parses the payload into the contract's message and each task calls
one service. Every one runs inside `shop.messaging.consumer.consume`: once per message id
(the Celery task id, which is the producer's outbox row id), in a transaction with the
processed-message record; `acks_late` and `reject_on_worker_lost`, so a worker dying mid-task
means a redelivery, not a loss.
"""

from inventory import services
from shop.messaging.consumer import consumer
from shop.messaging.contract import (
    INVENTORY_PRODUCT_SYNC,
    INVENTORY_STOCK_COMMIT,
    INVENTORY_STOCK_RELEASE,
    INVENTORY_STOCK_RESERVE,
    CommitStock,
    ProductChanged,
    ReleaseStock,
    ReserveStock,
)


@consumer(INVENTORY_STOCK_RESERVE)
def on_reserve_stock(message: ReserveStock) -> None:
    """Reserve all lines of an order or none, and answer orders (StockReserved/StockRejected).

    Trigger: orders placed an order (`ReserveStock`).
    Idempotency: the message id (inbox), and the order id (one `Reservation` per order): a
    replay under a new id touches no stock and records the same answer again.
    Retries: the consumer's policy, as for every message (shop.messaging.consumer). Out of stock
    is not an error: it is answered with StockRejected.
    """
    services.stock_reserve(order_id=message.order_id, lines=message.lines)


@consumer(INVENTORY_STOCK_RELEASE)
def on_release_stock(message: ReleaseStock) -> None:
    """Give an order's reserved units back.

    Trigger: orders cancelled or expired an order (`ReleaseStock`).
    Idempotency: the message id (inbox), and the reservation's status (only `reserved` is
    released); with no reservation yet, a tombstone makes the late reserve request reserve
    nothing.
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.stock_release(order_id=message.order_id, reason=message.reason)


@consumer(INVENTORY_STOCK_COMMIT)
def on_commit_stock(message: CommitStock) -> None:
    """Take a paid order's reserved units out of stock (on_hand and reserved both drop).

    Trigger: orders took payment for an order (`CommitStock`).
    Idempotency: the message id (inbox), and the reservation's status (only `reserved` is
    committed; anything else is logged and left alone).
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.stock_commit(order_id=message.order_id)


@consumer(INVENTORY_PRODUCT_SYNC)
def on_product_changed(message: ProductChanged) -> None:
    """Make a product known to inventory (a stock record, 0 on hand) and keep its SKU and
    whether the catalog shows it current.

    Trigger: products created or changed a product (`ProductChanged`).
    Idempotency: the message id (inbox), the unique product id, and the product's `version`
    (an event no newer than the one applied changes nothing, whatever the delivery order).
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.product_sync(
        product_id=message.product_id,
        sku=message.sku,
        version=message.version,
        is_active=message.is_active,
    )
