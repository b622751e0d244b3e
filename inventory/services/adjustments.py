"""Stock changed by hand: staff (the admin, the API) add or remove units on hand, each with its
ledger entry, never below what is reserved for orders."""

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Now

from inventory.errors import StockLevelConflict, StockRecordNotFound
from inventory.models import StockMovement, StockRecord
from shop.errors import InvalidInput

# The most one adjustment may add or remove: a typo of a few extra digits is refused rather
# than booked, and no sum of adjustments comes near the limits of the database's integers.
MAX_ADJUSTMENT_UNITS = 1_000_000


def stock_record_create(*, product_id: int, sku: str) -> StockRecord:
    """The stock record of a product, created with nothing on hand if it does not exist yet.

    Idempotent: an existing record is returned unchanged, so a redelivered product-created
    event has no further effect. The unique `product_id` settles a race between two deliveries.
    """
    record, _ = StockRecord.objects.get_or_create(product_id=product_id, defaults={"sku": sku})
    return record


def stock_adjust(*, product_id: int, delta: int, reason: str, actor: str) -> StockRecord:
    """Add `delta` units to (or, when negative, remove them from) what is on hand.

    Refused with `StockLevelConflict`, changing nothing, when `on_hand` would fall below what
    is reserved for orders (and so below zero).
    """
    if delta == 0:
        raise InvalidInput({"delta": ["An adjustment must change the stock level."]})
    if abs(delta) > MAX_ADJUSTMENT_UNITS:
        raise InvalidInput(
            {"delta": [f"An adjustment may change at most {MAX_ADJUSTMENT_UNITS} units."]}
        )
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the stock level changes."]})

    with transaction.atomic():
        # One conditional UPDATE both checks and writes: PostgreSQL re-evaluates the WHERE on
        # the newest row version after waiting for a concurrent writer, so two adjustments can
        # never both pass a check that only one of them may pass.
        updated = StockRecord.objects.filter(
            product_id=product_id, on_hand__gte=F("reserved") - delta
        ).update(on_hand=F("on_hand") + delta, updated_at=Now())
        if not updated:
            raise _adjust_refusal(product_id=product_id, delta=delta)
        # The UPDATE holds the row lock until commit, so these are exactly the levels it left.
        record = StockRecord.objects.get(product_id=product_id)
        StockMovement.objects.create(
            stock_record=record,
            kind=StockMovement.Kind.ADJUSTMENT,
            delta_on_hand=delta,
            delta_reserved=0,
            on_hand_after=record.on_hand,
            reserved_after=record.reserved,
            reason=reason,
            actor=actor,
        )
    return record


def _adjust_refusal(*, product_id: int, delta: int) -> StockRecordNotFound | StockLevelConflict:
    """Why a conditional adjustment updated no row, for the caller to raise."""
    # Read without a lock: this only words the refusal; the decision was the UPDATE's.
    record = StockRecord.objects.filter(product_id=product_id).first()
    if record is None:
        return StockRecordNotFound()
    removed = -delta
    if record.on_hand - removed < 0:
        return StockLevelConflict(
            f"Cannot remove {removed}: only {record.on_hand} on hand; nothing was changed."
        )
    if record.on_hand - removed < record.reserved:
        return StockLevelConflict(
            f"Cannot remove {removed}: {record.reserved} of the {record.on_hand} on hand are "
            f"reserved for orders, so at most {record.available} can be removed; "
            "nothing was changed."
        )
    # Another writer moved the levels between the refused UPDATE and this read.
    return StockLevelConflict(
        "The stock level changed while adjusting it; nothing was changed. Try again."
    )
