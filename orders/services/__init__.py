"""Every write of the orders service, by subdomain: placement, the saga's transitions, payment,
and the catalog copy. Views, tasks and the admin call these and never save a model themselves."""

from orders.services.catalog import catalog_product_sync
from orders.services.lifecycle import (
    order_cancel,
    order_expire_due,
    order_reserve_confirm,
    order_reserve_reject,
)
from orders.services.payment import order_pay
from orders.services.placement import order_place

__all__ = [
    "catalog_product_sync",
    "order_cancel",
    "order_expire_due",
    "order_pay",
    "order_place",
    "order_reserve_confirm",
    "order_reserve_reject",
]
