"""Stock levels per product, reservations made for orders, and the append-only ledger."""

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone


class StockRecord(models.Model):
    """How many units of one product the shop holds (`on_hand`) and how many of those are
    promised to orders awaiting payment (`reserved`).

    Levels change only through `inventory.services`, each change with a `StockMovement`.
    """

    # The product's id in the products service; no foreign key can cross a service boundary.
    product_id = models.BigIntegerField(unique=True)
    # A snapshot of the product's SKU, for people reading stock lists and the admin.
    sku = models.CharField(max_length=64)
    on_hand = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    # The `version` of the newest product event applied to `sku`: events may arrive out of order,
    # and an older one must not overwrite what a newer one wrote. The database default lets pods
    # of the previous release, which do not know this column, keep inserting during a rollout.
    product_version = models.BigIntegerField(default=0, db_default=0)
    # Whether the catalog shows the product (its `is_active`, as of `product_version`): the
    # public stock view answers only for products the catalog shows, as products does. True
    # for rows older than this column (the database default, for pods of the previous release
    # too) until the product's next event says otherwise.
    is_product_active = models.BooleanField(default=True, db_default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id"]
        constraints = [
            # The invariant the whole shop rests on: nothing is ever sold twice. Services keep it
            # with conditional updates; these checks refuse any write that slips past them.
            models.CheckConstraint(
                condition=models.Q(reserved__gte=0), name="stock_record_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=0), name="stock_record_on_hand_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")),
                name="stock_record_reserved_within_on_hand",
            ),
        ]
        permissions = [("adjust_stockrecord", "Can adjust stock levels")]

    def __str__(self) -> str:
        return f"{self.sku} (product {self.product_id})"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class AppendOnlyError(Exception):
    """Something tried to change or delete a ledger row; the ledger only ever grows."""


class StockMovementQuerySet(models.QuerySet):
    # Bulk updates and deletes skip Model.save() and Model.delete(), so they are refused here too.
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Stock movements cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Stock movements cannot be deleted.")


class StockMovementKind(models.TextChoices):
    ADJUSTMENT = "adjustment", "Adjustment"
    RESERVATION = "reservation", "Reservation"
    RELEASE = "release", "Release"
    COMMIT = "commit", "Commit"


class StockMovement(models.Model):
    """One change to a stock record's levels, with the levels it left behind."""

    Kind = StockMovementKind

    stock_record = models.ForeignKey(
        StockRecord, on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delta_on_hand = models.BigIntegerField()
    delta_reserved = models.BigIntegerField()
    on_hand_after = models.BigIntegerField()
    reserved_after = models.BigIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    # Set for reservations, releases and commits made on behalf of an order.
    order_id = models.UUIDField(null=True, blank=True)
    # Who made a manual change (the staff username); blank when the shop itself moved stock.
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["stock_record", "-created_at", "-id"],
                name="stock_movement_record_newest",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=StockMovementKind.values),
                name="stock_movement_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(reserved_after__gte=0)
                & models.Q(reserved_after__lte=models.F("on_hand_after")),
                name="stock_movement_levels_after_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} of stock record {self.stock_record_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("update_fields") is not None:
            raise AppendOnlyError("Stock movements cannot be changed.")
        # Without force_insert, an instance built with an existing pk would overwrite that row.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Stock movements cannot be deleted.")


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    REJECTED = "rejected", "Rejected"
    RELEASED = "released", "Released"
    COMMITTED = "committed", "Committed"


class Reservation(models.Model):
    """What inventory decided for one order's request to reserve stock, and what became of it.

    One per order (`order_id` is unique): the natural key that makes a replayed `ReserveStock`
    answer again instead of reserving twice. Moves only forward: reserved -> released or
    committed. A `released` reservation without lines is a tombstone: the order was cancelled
    before its reserve request arrived, so that request, when it comes, reserves nothing.
    """

    Status = ReservationStatus

    # The order's id in the orders service; no foreign key can cross a service boundary.
    order_id = models.UUIDField(unique=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    # Why it was rejected or released; answered to orders on a rejection.
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="reservation_status_newest")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ReservationStatus.values),
                name="reservation_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Reservation of order {self.order_id} ({self.status})"


class ReservationLine(models.Model):
    """Units of one product held for a reservation; one line per product (duplicates merged)."""

    reservation = models.ForeignKey(Reservation, on_delete=models.PROTECT, related_name="lines")
    product_id = models.BigIntegerField()
    quantity = models.BigIntegerField()

    class Meta:
        ordering = ["reservation", "product_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="reservation_line_quantity_positive"
            ),
            models.UniqueConstraint(
                fields=["reservation", "product_id"], name="reservation_line_one_per_product"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of product {self.product_id}"
