"""Every write to stock, by subdomain: adjustments by staff, the order saga's reservations, and
the catalog's product events. Views, tasks and the admin call these and never save a model
themselves."""

from inventory.services.adjustments import MAX_ADJUSTMENT_UNITS, stock_adjust, stock_record_create
from inventory.services.catalog import product_sync
from inventory.services.reservations import stock_commit, stock_release, stock_reserve

__all__ = [
    "MAX_ADJUSTMENT_UNITS",
    "product_sync",
    "stock_adjust",
    "stock_commit",
    "stock_record_create",
    "stock_release",
    "stock_reserve",
]
