"""Inventory's domain errors; `shop.api.errors` answers them in DRF's `{"detail": ...}` shape."""

from shop.errors import Conflict, NotFound


class StockRecordNotFound(NotFound):
    code = "stock_record_not_found"
    default_message = "No stock record for this product."


class StockLevelConflict(Conflict):
    """A change would take `on_hand` below zero or below what is reserved for orders."""

    code = "stock_level_conflict"
    default_message = "The change would take stock below what is reserved or below zero."
