"""Celery entry points of the orders service: thin, each parses its message and calls a service.

The consumers run inside `shop.messaging.consumer`, which says once how a message is handled
once per id and retried.
"""

from celery import shared_task

from orders import services
from shop.messaging.consumer import consumer
from shop.messaging.contract import (
    ORDERS_ORDER_RESERVE_CONFIRM,
    ORDERS_ORDER_RESERVE_REJECT,
    ORDERS_PRODUCT_SYNC,
    ProductChanged,
    StockRejected,
    StockReserved,
)

ORDERS_ORDER_EXPIRE_DUE = "orders.order_expire_due"


@consumer(ORDERS_PRODUCT_SYNC)
def on_product_changed(message: ProductChanged) -> None:
    """Keep orders' copy of a catalog product current, so orders are priced without a call.

    Trigger: products publishes `ProductChanged` whenever a product is created or changed.
    Idempotency: the message id (inbox); and the product's `version`, so a redelivered or
    out-of-order older version never overwrites a newer copy.
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.catalog_product_sync(message=message)


@consumer(ORDERS_ORDER_RESERVE_CONFIRM)
def on_stock_reserved(message: StockReserved) -> None:
    """Move the order to awaiting_payment (or release the stock if it was cancelled meanwhile).

    Trigger: inventory reserved every line of the order (`StockReserved`).
    Idempotency: the message id (inbox); and the guarded transition pending -> awaiting_payment,
    so a duplicate answer changes nothing.
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.order_reserve_confirm(order_id=message.order_id)


@consumer(ORDERS_ORDER_RESERVE_REJECT)
def on_stock_rejected(message: StockRejected) -> None:
    """Reject the order and email its customer.

    Trigger: inventory could not reserve the order's stock (`StockRejected`).
    Idempotency: the message id (inbox); and the guarded transition pending -> rejected, so a
    duplicate (or an answer for an order cancelled meanwhile) changes nothing.
    Retries: the consumer's policy, as for every message (shop.messaging.consumer).
    """
    services.order_reserve_reject(order_id=message.order_id, reason=message.reason)


@shared_task(name=ORDERS_ORDER_EXPIRE_DUE, ignore_result=True)
def scheduled_expiry() -> int:
    """Expire orders whose stock reservation ran out, releasing their stock.

    Trigger: beat, every ORDERS_EXPIRY_SCAN_SECONDS (CELERY_BEAT_SCHEDULE in orders.settings).
    Idempotency: each order's expiry is a guarded transition (awaiting_payment and due ->
    expired), so a repeated or concurrent scan finds nothing left to do.
    Retries: none; the next scan is the retry, and a scan not run within one interval expires
    in the queue.
    """
    return services.order_expire_due()
