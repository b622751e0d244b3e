"""The orders service's domain errors; `shop.api.errors` maps them to HTTP."""

from shop.errors import Conflict, DomainError, NotFound, RateLimited


class OrderNotFound(NotFound):
    # Also raised for an order that exists but is someone else's: the same answer for both,
    # so that an order id never reveals whether it exists.
    code = "order_not_found"


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    default_message = "Only an order awaiting payment, with its stock still reserved, can be paid."


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"
    default_message = "Only a pending order or one awaiting payment can be cancelled."


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used with a different request; use a new key."
    )


class OpenOrdersCapReached(Conflict):
    """The customer holds as many open orders, or as many units of a product in them, as one
    customer may; nothing was recorded."""

    code = "open_orders_cap_reached"


class PaymentDeclined(DomainError):
    """The provider refused the card. The order stays payable, with another card. One message
    for every decline, whatever the provider's reason: the reason (no such card, wrong CVC,
    insufficient funds) is what someone testing stolen card numbers wants to learn."""

    code = "payment_declined"
    status_code = 402
    default_message = "The card was declined."


class PaymentAttemptsExhausted(Conflict):
    """The order had as many declined payments as it may have: it can no longer be paid."""

    code = "payment_attempts_exhausted"


class PaymentAttemptsThrottled(RateLimited):
    """The customer had as many declined payments, over all their orders, as the window
    allows; paying again is possible once the oldest of them leaves the window."""

    code = "payment_attempts_throttled"


class PaymentUnavailable(DomainError):
    """The payment provider could not be reached or failed; nothing was recorded, and a retry
    reuses the attempt's idempotency key, so it cannot charge twice."""

    code = "payment_unavailable"
    status_code = 503
    default_message = "The payment could not be completed; please try again."
