"""The inventory API's input and output shapes."""

from rest_framework import serializers

from inventory.models import StockMovement, StockRecord
from inventory.services import MAX_ADJUSTMENT_UNITS

# Bounds a client-supplied filter, so that an absurd number is a 400, never a database error.
MAX_LOW_STOCK_UNITS = 1_000_000_000


class StockAdjustInputSerializer(serializers.Serializer):
    delta = serializers.IntegerField(
        min_value=-MAX_ADJUSTMENT_UNITS,
        max_value=MAX_ADJUSTMENT_UNITS,
        help_text="Units to add (positive) or remove (negative); never zero.",
    )
    reason = serializers.CharField(max_length=200, help_text="Why the stock level changes.")


class StockListInputSerializer(serializers.Serializer):
    low_stock = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_LOW_STOCK_UNITS,
        help_text="Only records with at most this many units available.",
    )


class StockPublicOutputSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockRecord
        fields = ["product_id", "sku", "available"]
        read_only_fields = fields


class StockStaffOutputSerializer(serializers.ModelSerializer):
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockRecord
        fields = ["product_id", "sku", "available", "on_hand", "reserved"]
        read_only_fields = fields


class StockMovementOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = [
            "id",
            "kind",
            "delta_on_hand",
            "delta_reserved",
            "on_hand_after",
            "reserved_after",
            "reason",
            "order_id",
            "actor",
            "created_at",
        ]
        read_only_fields = fields


class StockOutputSerializer(serializers.Serializer):
    """The schema of `GET /api/inventory/{product_id}/`, whose answer is the public or the staff
    shape by caller: one object with `on_hand` and `reserved` optional, since the staff shape
    is the public one plus those two (documented as `oneOf` the two, a staff answer matches
    both, which `oneOf` forbids)."""

    product_id = serializers.IntegerField(read_only=True)
    sku = serializers.CharField(read_only=True)
    available = serializers.IntegerField(read_only=True)
    on_hand = serializers.IntegerField(required=False, help_text="Staff only.")
    reserved = serializers.IntegerField(required=False, help_text="Staff only.")
