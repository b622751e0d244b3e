"""Inventory's services and selectors against the real database."""

import pytest

from inventory import selectors, services
from inventory.errors import StockLevelConflict, StockRecordNotFound
from inventory.models import StockMovement, StockRecord
from shop.errors import InvalidInput
from tests.inventory.factories import StockMovementFactory, StockRecordFactory
from tests.inventory.snapshots import snapshot

pytestmark = pytest.mark.django_db


def test_stock_record_create_starts_with_nothing_on_hand():
    record = services.stock_record_create(product_id=7, sku="TEE-S")

    assert (record.product_id, record.sku, record.on_hand, record.reserved) == (7, "TEE-S", 0, 0)
    assert not StockMovement.objects.exists()


def test_stock_record_create_returns_an_existing_record_unchanged():
    existing = StockRecordFactory(product_id=7, sku="TEE-S", on_hand=12, reserved=2)

    again = services.stock_record_create(product_id=7, sku="RENAMED")

    assert again.pk == existing.pk
    assert (again.sku, again.on_hand, again.reserved) == ("TEE-S", 12, 2)
    assert StockRecord.objects.count() == 1


def test_stock_adjust_adds_stock_and_records_the_movement(record):
    adjusted = services.stock_adjust(product_id=42, delta=5, reason="Delivery", actor="admin")

    assert (adjusted.on_hand, adjusted.reserved, adjusted.available) == (15, 3, 12)
    movement = StockMovement.objects.get(stock_record=record)
    assert movement.kind == StockMovement.Kind.ADJUSTMENT
    assert (movement.delta_on_hand, movement.delta_reserved) == (5, 0)
    assert (movement.on_hand_after, movement.reserved_after) == (15, 3)
    assert (movement.reason, movement.actor, movement.order_id) == ("Delivery", "admin", None)


def test_stock_adjust_removes_stock_down_to_what_is_reserved(record):
    adjusted = services.stock_adjust(product_id=42, delta=-7, reason="Breakage", actor="admin")

    assert (adjusted.on_hand, adjusted.reserved, adjusted.available) == (3, 3, 0)
    movement = StockMovement.objects.get(stock_record=record)
    assert (movement.delta_on_hand, movement.on_hand_after, movement.reserved_after) == (-7, 3, 3)


def test_stock_adjust_refuses_to_take_on_hand_below_reserved(record):
    before = snapshot(record)

    with pytest.raises(StockLevelConflict, match="3 of the 10 on hand are reserved"):
        services.stock_adjust(product_id=42, delta=-8, reason="Breakage", actor="admin")

    assert snapshot(record) == before


def test_stock_adjust_refuses_to_take_on_hand_below_zero():
    record = StockRecordFactory(on_hand=4, reserved=0)
    before = snapshot(record)

    with pytest.raises(StockLevelConflict, match="only 4 on hand"):
        services.stock_adjust(product_id=record.product_id, delta=-5, reason="Count", actor="admin")

    assert snapshot(record) == before


def test_stock_adjust_of_an_unknown_product_is_not_found():
    with pytest.raises(StockRecordNotFound):
        services.stock_adjust(product_id=999, delta=5, reason="Delivery", actor="admin")

    assert not StockMovement.objects.exists()


@pytest.mark.parametrize(
    ("delta", "reason", "field"),
    [(0, "Count", "delta"), (1_000_001, "Count", "delta"), (5, "   ", "reason")],
)
def test_stock_adjust_refuses_invalid_input_without_writing(record, delta, reason, field):
    before = snapshot(record)

    with pytest.raises(InvalidInput) as refusal:
        services.stock_adjust(product_id=42, delta=delta, reason=reason, actor="admin")

    assert list(refusal.value.errors) == [field]
    assert snapshot(record) == before


def test_ledger_sums_to_the_level_after_a_series_of_adjustments(record):
    for delta in (5, -2, 10, -20):
        services.stock_adjust(product_id=42, delta=delta, reason="Count", actor="admin")

    record.refresh_from_db()
    movements = list(selectors.movement_list(product_id=42))
    assert record.on_hand == 10 + 5 - 2 + 10 - 20 == 3
    assert [movement.delta_on_hand for movement in movements] == [-20, 10, -2, 5]
    assert movements[0].on_hand_after == record.on_hand


def test_stock_get_of_an_unknown_product_is_not_found():
    with pytest.raises(StockRecordNotFound):
        selectors.stock_get(product_id=999)


def test_stock_list_with_low_stock_keeps_records_with_at_most_that_many_available():
    StockRecordFactory(product_id=1, on_hand=5, reserved=0)
    StockRecordFactory(product_id=2, on_hand=9, reserved=5)
    StockRecordFactory(product_id=3, on_hand=6, reserved=0)
    StockRecordFactory(product_id=4, on_hand=0, reserved=0)

    low = selectors.stock_list(low_stock=5)
    every = selectors.stock_list(low_stock=None)

    assert [record.product_id for record in low] == [1, 2, 4]
    assert [record.product_id for record in every] == [1, 2, 3, 4]


def test_movement_list_is_one_products_ledger_newest_first(record):
    oldest = StockMovementFactory(stock_record=record)
    StockMovementFactory()
    newest = StockMovementFactory(stock_record=record)

    assert list(selectors.movement_list(product_id=42)) == [newest, oldest]


def test_movement_list_of_an_unknown_product_is_not_found():
    with pytest.raises(StockRecordNotFound):
        selectors.movement_list(product_id=999)
