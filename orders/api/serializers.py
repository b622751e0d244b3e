"""Shapes of the orders API: query input validated here, read-only output."""

from rest_framework import serializers

from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange

BIGINT_MAX = 2**63 - 1


class OrderListInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    user = serializers.IntegerField(
        source="user_id",
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="Staff only: the orders of this user id. Ignored for anyone else.",
    )


class OrderLineOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ("product_id", "sku", "name", "unit_price", "quantity", "line_total")
        read_only_fields = fields


class OrderStatusChangeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderStatusChange
        fields = ("status", "at", "reason")
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    items = OrderLineOutputSerializer(source="lines", many=True, read_only=True)
    history = OrderStatusChangeOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = (
            "id",
            "status",
            "items",
            "total",
            "currency",
            "created_at",
            "updated_at",
            "reserved_until",
            "history",
        )
        read_only_fields = fields
