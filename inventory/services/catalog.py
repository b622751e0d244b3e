"""The catalog's products as inventory knows them: a stock record per product, kept current by
the products service's events."""

from django.db import transaction
from django.db.models.functions import Now

from inventory.models import StockRecord


def product_sync(*, product_id: int, sku: str, version: int, is_active: bool = True) -> StockRecord:
    """Apply a product event: the product's stock record exists (0 on hand when new) and shows
    the SKU and catalog visibility of the newest event seen.

    Idempotent and order-insensitive: an event whose `version` is not newer than the one already
    applied changes nothing, so redeliveries and out-of-order deliveries keep the newest SKU.
    """
    with transaction.atomic(savepoint=False):
        record, created = StockRecord.objects.get_or_create(
            product_id=product_id,
            defaults={"sku": sku, "product_version": version, "is_product_active": is_active},
        )
        if created:
            return record
        # Conditional, so two events racing for one record leave the newer one's SKU whichever
        # commits last.
        StockRecord.objects.filter(product_id=product_id, product_version__lt=version).update(
            sku=sku, product_version=version, is_product_active=is_active, updated_at=Now()
        )
        record.refresh_from_db()
    return record
