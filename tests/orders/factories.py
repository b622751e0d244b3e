"""Orders as placement and the saga would have left them: lines, a matching total, a timeline."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import (
    CatalogProduct,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Payment,
)

# The statuses an order passes through to reach each status, in order.
STATUS_PATHS: dict[str, list[tuple[str, str]]] = {
    OrderStatus.PENDING: [(OrderStatus.PENDING, "placed")],
    OrderStatus.AWAITING_PAYMENT: [
        (OrderStatus.PENDING, "placed"),
        (OrderStatus.AWAITING_PAYMENT, "stock reserved"),
    ],
    OrderStatus.PAID: [
        (OrderStatus.PENDING, "placed"),
        (OrderStatus.AWAITING_PAYMENT, "stock reserved"),
        (OrderStatus.PAID, "payment captured"),
    ],
    OrderStatus.CANCELLED: [
        (OrderStatus.PENDING, "placed"),
        (OrderStatus.AWAITING_PAYMENT, "stock reserved"),
        (OrderStatus.CANCELLED, "cancelled by customer"),
    ],
    OrderStatus.EXPIRED: [
        (OrderStatus.PENDING, "placed"),
        (OrderStatus.AWAITING_PAYMENT, "stock reserved"),
        (OrderStatus.EXPIRED, "reservation expired"),
    ],
    OrderStatus.REJECTED: [
        (OrderStatus.PENDING, "placed"),
        (OrderStatus.REJECTED, "out of stock"),
    ],
}


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory("tests.orders.factories.OrderFactory", lines=[])
    product_id = factory.Sequence(lambda n: n + 1)
    sku = factory.LazyAttribute(lambda line: f"SKU-{line.product_id}")
    name = factory.LazyAttribute(lambda line: f"Product {line.product_id}")
    unit_price = Decimal("19.99")
    quantity = 1
    line_total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)


class OrderFactory(factory.django.DjangoModelFactory):
    """`OrderFactory(lines=[{"unit_price": ..., "quantity": ...}])` sets the lines (default: two);
    `total` follows from them and `history` from `status` (see STATUS_PATHS)."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    user_id = 1001
    username = "alice"
    status = OrderStatus.AWAITING_PAYMENT
    total = Decimal("0.00")
    shipping_address = "1 Main Street, Springfield"
    reserved_until = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=15))

    @factory.post_generation
    def lines(order: Order, create: bool, extracted: list[dict] | None, **kwargs: object) -> None:
        if not create:
            return
        specs = (
            [{}, {"unit_price": Decimal("5.50"), "quantity": 3}] if extracted is None else extracted
        )
        lines = [OrderLineFactory(order=order, **spec) for spec in specs]
        order.total = sum((line.line_total for line in lines), Decimal("0.00"))
        order.save(update_fields=["total"])

    @factory.post_generation
    def history(order: Order, create: bool, extracted: object, **kwargs: object) -> None:
        if not create:
            return
        started = order.created_at
        for step, (status, reason) in enumerate(STATUS_PATHS[order.status]):
            OrderStatusChange.objects.create(
                order=order, status=status, reason=reason, at=started + timedelta(seconds=step)
            )


class CatalogProductFactory(factory.django.DjangoModelFactory):
    """A product as orders knows it from the catalog's events: active, in the shop's currency."""

    class Meta:
        model = CatalogProduct

    product_id = factory.Sequence(lambda n: 5000 + n)
    version = 1
    sku = factory.LazyAttribute(lambda product: f"SKU-{product.product_id}")
    name = factory.LazyAttribute(lambda product: f"Product {product.product_id}")
    price = Decimal("10.00")
    currency = "USD"
    is_active = True


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    amount = factory.LazyAttribute(lambda payment: payment.order.total)
    currency = "USD"
    status = Payment.Status.SUCCEEDED
    card_last4 = "4242"
    provider_reference = factory.Sequence(lambda n: f"test_ch_{n}")
