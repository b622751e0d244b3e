"""The one way an order changes status: a guarded UPDATE plus its line in the timeline."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import Order, OrderStatusChange
from shop.database.inserts import rows_insert
from shop.messaging.contract import SendNotification

REASON_MAX_LENGTH = OrderStatusChange._meta.get_field("reason").max_length


def order_transition(
    *,
    order_id: UUID | str,
    from_statuses: Iterable[str],
    to_status: str,
    reason: str,
    condition: Q | None = None,
    **changes: Any,
) -> bool:
    """Move the order to `to_status` if it is in one of `from_statuses` (and matches
    `condition`); return whether this call moved it.

    The check and the write are one conditional UPDATE: PostgreSQL re-evaluates the WHERE on
    the newest row after waiting for a concurrent writer, so of two transitions racing from one
    status exactly one wins and the other changes nothing; a late or duplicate event can never
    move an order backwards.

    Precondition: runs inside `transaction.atomic()` together with the outbox messages the
    transition causes, so the status, its history row and the messages commit together.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order_transition must run inside the transaction of its messages")
    now = timezone.now()
    orders = Order.objects.filter(pk=order_id, status__in=list(from_statuses))
    if condition is not None:
        orders = orders.filter(condition)
    moved = orders.update(status=to_status, updated_at=now, **changes)
    if moved:
        rows_insert(
            [
                OrderStatusChange(
                    order_id=order_id, status=to_status, reason=reason[:REASON_MAX_LENGTH], at=now
                )
            ]
        )
    return bool(moved)


def order_notification(*, order: Order, kind: str, reason: str | None = None) -> SendNotification:
    """The email to the order's customer; the context is strings only, as the contract says."""
    context = {"order_id": str(order.id), "total": f"{order.total:.2f}", "currency": order.currency}
    if reason is not None:
        context["reason"] = reason
    return SendNotification(user_id=order.user_id, kind=kind, context=context)
