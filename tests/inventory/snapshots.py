"""What a refused write must leave as it was: a record's levels and its ledger."""

from dataclasses import dataclass

from inventory.models import StockMovement, StockRecord


@dataclass(frozen=True)
class Snapshot:
    on_hand: int
    reserved: int
    movement_count: int


def snapshot(record: StockRecord) -> Snapshot:
    record.refresh_from_db()
    return Snapshot(
        on_hand=record.on_hand,
        reserved=record.reserved,
        movement_count=StockMovement.objects.filter(stock_record=record).count(),
    )
