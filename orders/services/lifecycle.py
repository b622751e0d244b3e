"""The order saga's transitions besides payment: inventory's answers, cancel and expiry.

Each is a guarded transition (see `order_transition`) committed with the messages it causes,
so a late, duplicate or racing event changes nothing instead of moving an order backwards.
"""

import logging
from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.errors import OrderNotCancellable, OrderNotFound
from orders.metrics import order_settled_observe
from orders.models import Order, OrderStatus
from orders.selectors import order_get
from orders.services.transitions import order_notification, order_transition
from shop.auth.tokens import Principal
from shop.messaging.contract import ReleaseStock
from shop.messaging.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

# Orders expired per scan at most; the next scan, seconds later, takes the rest.
EXPIRY_BATCH_SIZE = 500
CANCELLABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT)
# Statuses in which the order no longer wants stock that inventory may still hold for it.
RELEASED_STATUSES = (OrderStatus.CANCELLED, OrderStatus.EXPIRED)


def order_reserve_confirm(*, order_id: UUID) -> None:
    """Inventory reserved the order's stock: pending -> awaiting_payment, payable until
    `ORDERS_RESERVATION_TTL_SECONDS` from now.

    An order cancelled (or expired) before this answer arrived gets a `ReleaseStock` again:
    inventory may have reserved after handling the first release, and that stock would
    otherwise stay reserved forever. Any other status (a duplicate answer) changes nothing.
    """
    # No savepoint of its own (nor in order_reserve_reject): inside the consumer's transaction
    # any error rolls all of it back anyway; called alone, this is the transaction.
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        reserved = order_transition(
            order_id=order_id,
            from_statuses=[OrderStatus.PENDING],
            to_status=OrderStatus.AWAITING_PAYMENT,
            reason="stock reserved",
            reserved_until=now + timedelta(seconds=settings.ORDERS_RESERVATION_TTL_SECONDS),
        )
        if reserved is not None:
            _observe_settled_on_commit(placed_at=reserved.created_at, outcome="reserved")
            return
        status = Order.objects.filter(pk=order_id).values_list("status", flat=True).first()
        if status is None:
            logger.warning("stock reserved for unknown order %s; ignored", order_id)
        elif status in RELEASED_STATUSES:
            outbox_enqueue(ReleaseStock(order_id=order_id, reason=status))
        elif status == OrderStatus.REJECTED:
            # Inventory answers once per order; both answers means a bug there, not here.
            logger.warning("stock reserved for rejected order %s; ignored", order_id)


def order_reserve_reject(*, order_id: UUID, reason: str) -> None:
    """Inventory could not reserve the order's stock: pending -> rejected, and the customer is
    told why. In any other status (cancelled meanwhile, a duplicate answer) nothing happens."""
    reason = reason or "stock could not be reserved"
    with transaction.atomic(savepoint=False):
        order = order_transition(
            order_id=order_id,
            from_statuses=[OrderStatus.PENDING],
            to_status=OrderStatus.REJECTED,
            reason=reason,
        )
        if order is not None:
            outbox_enqueue(order_notification(order=order, kind="order_rejected", reason=reason))
            _observe_settled_on_commit(placed_at=order.created_at, outcome="rejected")


def _observe_settled_on_commit(*, placed_at: datetime, outcome: str) -> None:
    # After the commit: a transition rolled back (and retried) is observed once, when it holds.
    transaction.on_commit(lambda: order_settled_observe(placed_at=placed_at, outcome=outcome))


def order_cancel(*, order: Order, principal: Principal) -> Order:
    """Cancel a pending order or one awaiting payment and release its stock; `principal` is its
    customer or staff. Any other status: `OrderNotCancellable`, nothing changed.

    Waits for a payment in progress (which holds the order's row lock); if that payment
    succeeds, the cancel is refused.
    """
    is_owner = order.user_id == principal.user_id
    if not (is_owner or principal.is_staff):
        raise OrderNotFound
    with transaction.atomic():
        if (
            order_transition(
                order_id=order.pk,
                from_statuses=CANCELLABLE_STATUSES,
                to_status=OrderStatus.CANCELLED,
                reason="cancelled by customer" if is_owner else "cancelled by staff",
            )
            is None
        ):
            status = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
            raise OrderNotCancellable(
                f"This order is {status}; only a pending order or one awaiting payment "
                "can be cancelled."
            )
        outbox_enqueue(ReleaseStock(order_id=order.pk, reason="cancelled"))
    return order_get(order_id=order.pk)


def order_expire_due(*, now: datetime | None = None) -> int:
    """Expire the orders awaiting payment whose reservation ran out by `now` (default: now):
    each its own transition with a `ReleaseStock` and an email. Returns how many expired.

    An order being paid at this moment is skipped, not waited for: the payment holds its row
    lock and decides; if it is declined, the next scan expires the order.
    """
    now = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.AWAITING_PAYMENT, reserved_until__lte=now)
        .order_by("reserved_until")
        .values_list("pk", flat=True)[:EXPIRY_BATCH_SIZE]
    )
    return sum(_order_expire(order_id=order_id, now=now) for order_id in due)


def _order_expire(*, order_id: UUID, now: datetime) -> bool:
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(skip_locked=True)
            .filter(pk=order_id, status=OrderStatus.AWAITING_PAYMENT, reserved_until__lte=now)
            .first()
        )
        if order is None:  # paid, cancelled or expired since the scan, or being paid now
            return False
        if (
            order_transition(
                order_id=order_id,
                from_statuses=[OrderStatus.AWAITING_PAYMENT],
                to_status=OrderStatus.EXPIRED,
                reason="reservation expired",
                reservation_ended_by=now,
            )
            is None
        ):
            return False
        outbox_enqueue(ReleaseStock(order_id=order_id, reason="expired"))
        outbox_enqueue(order_notification(order=order, kind="order_expired"))
    return True
