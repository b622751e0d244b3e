"""Fixtures of the orders suite: a catalog copy to order from, and a provider that keeps count."""

from decimal import Decimal

import pytest

from orders.models import CatalogProduct
from tests.orders.factories import CatalogProductFactory
from tests.orders.providers import RecordingProvider

MUG_ID, TEE_ID, RETIRED_ID = 11, 12, 13


@pytest.fixture
def catalog() -> dict[str, CatalogProduct]:
    """Two products on sale and one taken off sale, as the catalog's events left them."""
    return {
        "mug": CatalogProductFactory(
            product_id=MUG_ID, sku="MUG-1", name="Mug", price=Decimal("12.50")
        ),
        "tee": CatalogProductFactory(
            product_id=TEE_ID, sku="TEE-1", name="T-shirt", price=Decimal("20.00")
        ),
        "retired": CatalogProductFactory(product_id=RETIRED_ID, sku="OLD-1", is_active=False),
    }


@pytest.fixture
def provider(settings) -> type[RecordingProvider]:
    RecordingProvider.reset()
    settings.ORDERS_PAYMENT_PROVIDER = "tests.orders.providers.RecordingProvider"
    yield RecordingProvider
    RecordingProvider.reset()
