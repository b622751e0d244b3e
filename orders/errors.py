"""The orders service's domain errors; `shop.api.errors` maps them to HTTP."""

from shop.errors import NotFound


class OrderNotFound(NotFound):
    # Also raised for an order that exists but is someone else's: the same answer for both,
    # so that an order id never reveals whether it exists.
    code = "order_not_found"
