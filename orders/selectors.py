"""Reads of orders, scoped to who is asking: a customer sees their own, staff see all."""

import time
from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db.models import Aggregate, Count, Q, QuerySet, Sum

from orders.errors import OrderNotFound
from orders.models import OPEN_ORDER_STATUSES, Order, OrderStatus
from shop.auth.tokens import Principal


def _orders_with_details() -> QuerySet[Order]:
    # Lines and history are rendered with every order; two prefetches keep a page of any
    # size at a fixed number of queries.
    return Order.objects.prefetch_related("lines", "history")


def order_list(
    *, principal: Principal, status: str | None = None, user_id: int | None = None
) -> QuerySet[Order]:
    """Orders `principal` may see, newest first. `user_id` narrows staff's view to one
    customer; for anyone else it is ignored, since they only ever see their own."""
    orders = _orders_with_details()
    if principal.is_staff:
        if user_id is not None:
            orders = orders.filter(user_id=user_id)
    else:
        orders = orders.filter(user_id=principal.user_id)
    if status is not None:
        orders = orders.filter(status=status)
    return orders.order_by("-created_at", "-id")


def order_get_for_user(*, order_id: UUID, principal: Principal) -> Order:
    """The order, if `principal` owns it or is staff; otherwise `OrderNotFound`."""
    orders = _orders_with_details()
    if not principal.is_staff:
        orders = orders.filter(user_id=principal.user_id)
    try:
        return orders.get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound from None


def order_get_for_owner(*, order_id: UUID, principal: Principal) -> Order:
    """The order, if `principal` placed it; otherwise `OrderNotFound`, staff included: only
    the customer pays for their order."""
    try:
        return _orders_with_details().get(pk=order_id, user_id=principal.user_id)
    except Order.DoesNotExist:
        raise OrderNotFound from None


def order_get(*, order_id: UUID) -> Order:
    """Any order with its details, for services and tasks (no caller to scope by)."""
    try:
        return _orders_with_details().get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound from None


# (when it was counted, by time.monotonic(); how many): one process's last count.
_pending_count: tuple[float, int] = (float("-inf"), 0)


def order_pending_count() -> int:
    """How many orders wait for inventory's answer: the saga's backlog.

    Counted at most once per ORDERS_BACKLOG_CHECK_SECONDS per process, since every placement
    asks; a count that old is close enough to decide whether to shed load.
    """
    global _pending_count
    counted_at, count = _pending_count
    now = time.monotonic()
    if now - counted_at >= settings.ORDERS_BACKLOG_CHECK_SECONDS:
        count = Order.objects.filter(status=OrderStatus.PENDING).count()
        _pending_count = (now, count)
    return count


@dataclass(frozen=True)
class OpenHoldings:
    """What a customer's open orders hold: how many there are, and units per product."""

    open_orders: int
    units_by_product: dict[int, int]


def order_open_holdings(*, user_id: int, product_ids: Collection[int]) -> OpenHoldings:
    """The customer's open orders (pending or awaiting payment) and their units of each of
    `product_ids`, in one query (the partial index `orders_open_per_customer`, then those
    orders' lines)."""
    aggregates: dict[str, Aggregate] = {"open_orders": Count("id", distinct=True)}
    aggregates.update(
        {
            f"units_{product_id}": Sum("lines__quantity", filter=Q(lines__product_id=product_id))
            for product_id in product_ids
        }
    )
    row = Order.objects.filter(user_id=user_id, status__in=OPEN_ORDER_STATUSES).aggregate(
        **aggregates
    )
    return OpenHoldings(
        open_orders=row["open_orders"],
        units_by_product={
            product_id: row[f"units_{product_id}"] or 0 for product_id in product_ids
        },
    )
