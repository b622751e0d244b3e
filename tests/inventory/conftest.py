"""Fixtures of the inventory suite."""

import pytest

# The Celery app before any task module: `shared_task` binds lazily to the current app, and
# `consumer()` sets each task's docstring through that binding, so a task module imported with
# no app yet would document a throwaway default app's task instead.
import workers.app  # noqa: F401
from inventory.models import StockRecord
from tests.inventory.factories import StockRecordFactory


@pytest.fixture
def record(db) -> StockRecord:
    """A product with 10 on hand, 3 of them reserved for orders."""
    return StockRecordFactory(product_id=42, sku="MUG-BLUE", on_hand=10, reserved=3)
