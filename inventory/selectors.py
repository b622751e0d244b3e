"""Reads of stock levels and the ledger."""

from django.db.models import F, QuerySet

from inventory.errors import StockRecordNotFound
from inventory.models import StockMovement, StockRecord


def stock_get(*, product_id: int, include_hidden: bool = True) -> StockRecord:
    """One product's stock record. Without `include_hidden`, a product the catalog hides is
    `StockRecordNotFound` like an unknown id: the public view must not tell its SKU or
    availability (nor that it exists) to anyone the catalog would answer 404."""
    records = StockRecord.objects.all()
    if not include_hidden:
        records = records.filter(is_product_active=True)
    try:
        return records.get(product_id=product_id)
    except StockRecord.DoesNotExist:
        raise StockRecordNotFound() from None


def stock_list(*, low_stock: int | None = None) -> QuerySet[StockRecord]:
    """Every stock record by product id; with `low_stock`, only those with at most that many
    units available."""
    records = StockRecord.objects.order_by("product_id")
    if low_stock is not None:
        # An alias, not an annotation: `available` is already a property of the model.
        records = records.alias(available_units=F("on_hand") - F("reserved")).filter(
            available_units__lte=low_stock
        )
    return records


def movement_list(*, product_id: int) -> QuerySet[StockMovement]:
    """The ledger of one product's stock, newest first; `StockRecordNotFound` if it has none."""
    record = stock_get(product_id=product_id)
    return record.movements.order_by("-created_at", "-id")
