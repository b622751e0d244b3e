"""The database's constraints (stock levels, reservations) and the ledger's append-only rule."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from inventory.models import AppendOnlyError, ReservationLine, StockMovement, StockRecord
from tests.inventory.factories import ReservationFactory, StockMovementFactory, StockRecordFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("levels", "constraint"),
    [
        ({"on_hand": F("reserved") - 1}, "stock_record_reserved_within_on_hand"),
        ({"on_hand": -1, "reserved": 0}, "stock_record_on_hand_not_negative"),
        ({"reserved": -1}, "stock_record_reserved_not_negative"),
    ],
    ids=["reserved_above_on_hand", "negative_on_hand", "negative_reserved"],
)
def test_database_rejects_a_direct_update_that_breaks_the_stock_invariant(
    record, levels, constraint
):
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        StockRecord.objects.filter(pk=record.pk).update(**levels)

    record.refresh_from_db()
    assert (record.on_hand, record.reserved) == (10, 3)


def test_database_rejects_a_second_record_for_the_same_product(record):
    with pytest.raises(IntegrityError), transaction.atomic():
        StockRecordFactory(product_id=record.product_id)


def test_database_rejects_a_movement_with_an_unknown_kind(record):
    with pytest.raises(IntegrityError, match="stock_movement_kind_valid"), transaction.atomic():
        StockMovementFactory(stock_record=record, kind="theft")


def test_available_is_on_hand_minus_reserved(record):
    assert record.available == 7


def test_saving_an_existing_movement_is_refused():
    movement = StockMovementFactory(reason="Goods received")
    movement.reason = "Rewritten history"

    with pytest.raises(AppendOnlyError):
        movement.save()

    movement.refresh_from_db()
    assert movement.reason == "Goods received"


def test_saving_a_new_instance_with_an_existing_id_is_refused():
    movement = StockMovementFactory(delta_on_hand=5)
    forged = StockMovement(
        pk=movement.pk,
        stock_record=movement.stock_record,
        kind=StockMovement.Kind.ADJUSTMENT,
        delta_on_hand=500,
        delta_reserved=0,
        on_hand_after=500,
        reserved_after=0,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        forged.save()

    movement.refresh_from_db()
    assert movement.delta_on_hand == 5


def test_deleting_a_movement_is_refused():
    movement = StockMovementFactory()

    with pytest.raises(AppendOnlyError):
        movement.delete()

    assert StockMovement.objects.filter(pk=movement.pk).exists()


def test_bulk_updating_or_deleting_movements_is_refused():
    movement = StockMovementFactory()

    with pytest.raises(AppendOnlyError):
        StockMovement.objects.filter(pk=movement.pk).update(delta_on_hand=0)
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.all().delete()

    movement.refresh_from_db()
    assert movement.delta_on_hand == 5


def test_a_stock_record_with_movements_cannot_be_deleted():
    movement = StockMovementFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        movement.stock_record.delete()


def test_database_rejects_a_second_reservation_for_the_same_order():
    reservation = ReservationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationFactory(order_id=reservation.order_id)


def test_database_rejects_a_reservation_with_an_unknown_status():
    with pytest.raises(IntegrityError, match="reservation_status_valid"), transaction.atomic():
        ReservationFactory(status="lost")


@pytest.mark.parametrize("quantity", [0, -1])
def test_database_rejects_a_reservation_line_without_units(quantity):
    reservation = ReservationFactory()

    with (
        pytest.raises(IntegrityError, match="reservation_line_quantity_positive"),
        transaction.atomic(),
    ):
        ReservationLine.objects.create(reservation=reservation, product_id=1, quantity=quantity)


def test_database_rejects_two_lines_of_one_product_in_a_reservation():
    reservation = ReservationFactory()
    ReservationLine.objects.create(reservation=reservation, product_id=1, quantity=1)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReservationLine.objects.create(reservation=reservation, product_id=1, quantity=2)
