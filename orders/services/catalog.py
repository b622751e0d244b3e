"""Orders' copy of the catalog, kept from the products service's events."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.models import CatalogProduct
from shop.messaging.contract import ProductChanged

NAME_MAX_LENGTH = CatalogProduct._meta.get_field("name").max_length


def catalog_product_sync(*, message: ProductChanged) -> None:
    """Keep the newest known state of a product: a `version` older than (or equal to) the copy's
    changes nothing, so deliveries in any order, and any number of times, end in the newest."""
    values = {
        "version": message.version,
        "sku": message.sku,
        "name": message.name[:NAME_MAX_LENGTH],
        "price": message.price,
        "currency": message.currency,
        "is_active": message.is_active,
    }
    # No savepoint of its own: inside the consumer's transaction any error rolls all of it back
    # anyway; called alone, this is the transaction.
    with transaction.atomic(savepoint=False):
        if _update_if_newer(product_id=message.product_id, values=values):
            return
        if not CatalogProduct.objects.filter(product_id=message.product_id).exists():
            try:
                with transaction.atomic():
                    CatalogProduct.objects.create(product_id=message.product_id, **values)
            except IntegrityError:
                pass  # a concurrent delivery inserted it first
            else:
                return
        # The copy exists, perhaps inserted by a concurrent delivery since the first UPDATE: the
        # conditional UPDATE, run again on the newest committed row, decides which is newer.
        _update_if_newer(product_id=message.product_id, values=values)


def _update_if_newer(*, product_id: int, values: dict[str, Any]) -> bool:
    updated = CatalogProduct.objects.filter(
        product_id=product_id, version__lt=values["version"]
    ).update(**values, updated_at=timezone.now())
    return bool(updated)
