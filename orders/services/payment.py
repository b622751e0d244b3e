"""Paying for an order: one charge per order, however many requests race for it."""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.errors import (
    OrderNotFound,
    OrderNotPayable,
    PaymentAttemptsExhausted,
    PaymentAttemptsThrottled,
    PaymentDeclined,
    PaymentUnavailable,
)
from orders.models import Order, OrderStatus, Payment, PaymentStatus
from orders.payment_provider import (
    Card,
    ChargeResult,
    PaymentProvider,
    PaymentProviderError,
    payment_provider,
)
from orders.selectors import order_get
from orders.services.transitions import order_notification, order_transition
from shop.auth.tokens import Principal
from shop.messaging.contract import CommitStock
from shop.messaging.outbox import outbox_enqueue

logger = logging.getLogger(__name__)

FAILURE_REASON_MAX_LENGTH = Payment._meta.get_field("failure_reason").max_length


def order_pay(*, order: Order, principal: Principal, payment: Card) -> Order:
    """Charge `payment` for the order and mark it paid, committing its stock in inventory.

    Only the customer who placed it pays (anyone else, staff included, gets `OrderNotFound`),
    only while it awaits payment with its reservation still running (`OrderNotPayable`
    otherwise). A declined card is recorded and answered with `PaymentDeclined`; the order stays
    payable. `PaymentUnavailable` when the provider fails: nothing is recorded. Against card
    testing, declines are limited (`_check_decline_limits`): refused before the provider is
    asked, nothing recorded.

    The order's row is locked from the check until the outcome commits, so a second payment of
    the same order waits and then finds it paid (one charge), and a cancel or the expiry scan
    cannot move it while the card is charged. The charge's idempotency key is the order and the
    attempt's number, so retrying after a crash mid-charge cannot charge twice at the provider.
    """
    if order.user_id != principal.user_id:
        raise OrderNotFound
    provider = payment_provider()
    declined: ChargeResult | None = None
    is_refunded = False
    with transaction.atomic():
        locked = Order.objects.select_for_update().filter(pk=order.pk).first()
        if locked is None:
            raise OrderNotFound
        _check_payable(order=locked)
        _check_decline_limits(order=locked)
        attempt = Payment.objects.filter(order=locked).count() + 1
        idempotency_key = f"order-{locked.pk}-payment-{attempt}"
        try:
            charge = provider.charge(
                amount=locked.total,
                currency=locked.currency,
                card_number=payment.number,
                idempotency_key=idempotency_key,
            )
        except PaymentProviderError as error:
            logger.warning("payment provider failed for order %s: %r", locked.pk, error)
            raise PaymentUnavailable from error
        if not charge.is_successful:
            _payment_record(
                order=locked, card=payment, charge=charge, status=PaymentStatus.DECLINED
            )
            declined = charge
        elif (
            order_transition(
                order_id=locked.pk,
                from_statuses=[OrderStatus.AWAITING_PAYMENT],
                to_status=OrderStatus.PAID,
                reason="payment captured",
            )
            is not None
        ):
            _payment_record(
                order=locked, card=payment, charge=charge, status=PaymentStatus.SUCCEEDED
            )
            outbox_enqueue(CommitStock(order_id=locked.pk))
            outbox_enqueue(order_notification(order=locked, kind="order_paid"))
        else:
            # Unreachable while the row lock is held; kept so that a charge whose transition
            # lost (to an expiry or a cancel) is never kept without the order being paid.
            _refund(
                provider=provider, order=locked, card=payment, charge=charge, key=idempotency_key
            )
            is_refunded = True
    if declined is not None:
        # Raised after the commit, so the declined attempt stays on record.
        # The provider's reason stays on the payment record, for staff; never in the answer.
        raise PaymentDeclined
    if is_refunded:
        raise OrderNotPayable("This order can no longer be paid; the charge was refunded.")
    return order_get(order_id=order.pk)


def _check_payable(*, order: Order) -> None:
    if order.status != OrderStatus.AWAITING_PAYMENT:
        raise OrderNotPayable(
            f"This order is {order.status}; only an order awaiting payment can be paid."
        )
    if order.reserved_until is None or order.reserved_until <= timezone.now():
        raise OrderNotPayable(
            "The stock reservation of this order has run out; it can no longer be paid."
        )


def _check_decline_limits(*, order: Order) -> None:
    """Refuse a payment once the order, or its customer across all their orders, had as many
    declines as allowed (ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER, ..._PER_CUSTOMER within
    ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS). Precondition: the caller holds the order's row
    lock, so the per-order count is exact; two orders of one customer paid at the same moment
    may each pass the customer's limit by one, which open-order caps keep small."""
    per_order = settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_ORDER
    declined = Payment.objects.filter(status=PaymentStatus.DECLINED)
    if per_order and declined.filter(order=order).count() >= per_order:
        raise PaymentAttemptsExhausted(
            f"This order's payment was declined {per_order} times, the most allowed; "
            "it can no longer be paid. Cancel it and place a new order."
        )
    per_customer = settings.ORDERS_MAX_DECLINED_PAYMENTS_PER_CUSTOMER
    if not per_customer:
        return
    window = timedelta(seconds=settings.ORDERS_DECLINED_PAYMENTS_WINDOW_SECONDS)
    now = timezone.now()
    recent = list(
        declined.filter(order__user_id=order.user_id, created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:per_customer]
    )
    if len(recent) >= per_customer:
        # The oldest of the newest `per_customer` declines leaves the window first.
        retry_after = math.ceil((recent[-1] + window - now).total_seconds())
        raise PaymentAttemptsThrottled(
            f"Your payments were declined {per_customer} times recently; "
            f"try again in {retry_after} seconds.",
            retry_after_seconds=retry_after,
        )


def _payment_record(*, order: Order, card: Card, charge: ChargeResult, status: str) -> Payment:
    return Payment.objects.create(
        order=order,
        amount=order.total,
        currency=order.currency,
        status=status,
        card_last4=card.last4,
        provider_reference=charge.reference,
        failure_reason=charge.failure_reason[:FAILURE_REASON_MAX_LENGTH],
    )


def _refund(
    *, provider: PaymentProvider, order: Order, card: Card, charge: ChargeResult, key: str
) -> None:
    logger.error("order %s left awaiting_payment while charged; refunding", order.pk)
    provider.refund(
        reference=charge.reference,
        amount=order.total,
        currency=order.currency,
        idempotency_key=f"{key}-refund",
    )
    Payment.objects.create(
        order=order,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.REFUNDED,
        card_last4=card.last4,
        provider_reference=charge.reference,
        failure_reason="refunded: the order was no longer payable",
    )
