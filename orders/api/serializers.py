"""Shapes of the orders API: input serializers name exactly the writable fields (so prices,
totals and statuses can never be sent), output serializers are read-only."""

from rest_framework import serializers

from orders.models import (
    MAX_LINE_QUANTITY,
    MIN_LINE_QUANTITY,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
)
from orders.payment_provider import CARD_EXPIRY_MAX_YEAR, CARD_EXPIRY_MIN_YEAR, Card
from shop.api.fields import ListField
from shop.errors import InvalidInput
from shop.messaging.contract import BIGINT_MAX, MAX_ORDER_LINES

SHIPPING_ADDRESS_MAX_LENGTH = 1000


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


# One shared instance renders every single order: a serializer builds its fields (ModelSerializer
# introspection and deep copies) once per instance, which cost more than the rest of a
# placement's answer; rendering only reads them, so one instance serves every thread.
_ORDER_OUTPUT = OrderOutputSerializer()


def order_output(order: Order) -> dict:
    """What `OrderOutputSerializer(order).data` is, with the fields built once."""
    return _ORDER_OUTPUT.to_representation(order)


class OrderItemInputSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    quantity = serializers.IntegerField(min_value=MIN_LINE_QUANTITY, max_value=MAX_LINE_QUANTITY)


class OrderPlaceInputSerializer(serializers.Serializer):
    # A ListField rather than `many=True`: its own errors read `{"items": ["message"]}`. Shop's,
    # which counts the lines before it validates any.
    items = ListField(
        child=OrderItemInputSerializer(), allow_empty=False, max_length=MAX_ORDER_LINES
    )
    shipping_address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SHIPPING_ADDRESS_MAX_LENGTH
    )


class OrderPayInputSerializer(serializers.Serializer):
    """A card; its rules (digits, Luhn checksum, expiry) are `orders.payment_provider.Card`'s."""

    card_number = serializers.CharField(
        max_length=40, help_text="12 to 19 digits; spaces between them are ignored."
    )
    exp_month = serializers.IntegerField(required=False, min_value=1, max_value=12)
    exp_year = serializers.IntegerField(
        required=False, min_value=CARD_EXPIRY_MIN_YEAR, max_value=CARD_EXPIRY_MAX_YEAR
    )
    cvc = serializers.CharField(required=False, min_length=3, max_length=4)

    def validate(self, attrs: dict) -> dict:
        try:
            return {"card": Card.from_input(**attrs)}
        except InvalidInput as error:
            raise serializers.ValidationError(error.errors) from None


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True)
