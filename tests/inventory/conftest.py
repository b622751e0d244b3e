"""Fixtures of the inventory suite."""

import pytest

from inventory.models import StockRecord
from tests.inventory.factories import StockRecordFactory


@pytest.fixture
def record(db) -> StockRecord:
    """A product with 10 on hand, 3 of them reserved for orders."""
    return StockRecordFactory(product_id=42, sku="MUG-BLUE", on_hand=10, reserved=3)
