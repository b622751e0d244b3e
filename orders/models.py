"""Orders: what a customer bought, at prices snapshotted at placement, and how its status moved."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

MIN_LINE_QUANTITY = 1
MAX_LINE_QUANTITY = 1000
# The largest amount a DecimalField(max_digits=12, decimal_places=2) holds.
MAX_AMOUNT = Decimal("9999999999.99")
IDEMPOTENCY_KEY_MAX_LENGTH = 255


def default_currency() -> str:
    # A callable, not the value: a literal would be frozen into the migration and make
    # `makemigrations --check` fail on any deployment that sets SHOP_CURRENCY.
    return settings.SHOP_CURRENCY


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    AWAITING_PAYMENT = "awaiting_payment", "Awaiting payment"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    REJECTED = "rejected", "Rejected"


# The statuses in which an order holds (or is about to hold) stock: what the per-customer caps
# count.
OPEN_ORDER_STATUSES = (OrderStatus.PENDING, OrderStatus.AWAITING_PAYMENT)


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The users service owns accounts: only its id and the username at placement live here.
    user_id = models.BigIntegerField()
    username = models.CharField(max_length=150)
    status = models.CharField(
        max_length=32, choices=OrderStatus.choices, default=OrderStatus.PENDING
    )
    currency = models.CharField(max_length=3, default=default_currency)
    total = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    shipping_address = models.TextField(blank=True)
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The id breaks ties so that pages never repeat or skip an order.
        ordering = ("-created_at", "-id")
        permissions = [("cancel_order", "Can cancel orders")]
        indexes = [
            # Leads with user_id, so it also serves every lookup of one user's orders.
            models.Index(fields=["user_id", "-created_at"], name="orders_user_newest_first"),
            models.Index(fields=["status", "-created_at"], name="orders_status_newest_first"),
            # The per-customer caps' count at every placement: only open orders, so it stays
            # a few rows per customer however many orders they placed before.
            models.Index(
                fields=["user_id"],
                condition=Q(status__in=OPEN_ORDER_STATUSES),
                name="orders_open_per_customer",
            ),
            # The backlog: the load-shedding count at placement and /metrics' count and oldest.
            models.Index(
                fields=["created_at"],
                condition=Q(status=OrderStatus.PENDING),
                name="orders_pending_oldest_first",
            ),
            # The expiry scan's only query: orders awaiting payment whose reservation ran out.
            models.Index(
                fields=["reserved_until"],
                condition=Q(status=OrderStatus.AWAITING_PAYMENT),
                name="orders_awaiting_payment_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="orders_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="orders_order_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.id}"


class OrderLine(models.Model):
    """One product in an order. sku, name and unit_price are copies taken at placement, so
    later catalog changes never rewrite what the customer agreed to pay."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product_id = models.BigIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    unit_price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    quantity = models.PositiveIntegerField(
        validators=[MinValueValidator(MIN_LINE_QUANTITY), MaxValueValidator(MAX_LINE_QUANTITY)]
    )
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ("id",)
        constraints = [
            models.UniqueConstraint(
                fields=["order", "product_id"], name="orders_orderline_one_per_product"
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="orders_orderline_unit_price_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=MIN_LINE_QUANTITY, quantity__lte=MAX_LINE_QUANTITY),
                name="orders_orderline_quantity_1_to_1000",
            ),
            models.CheckConstraint(
                condition=Q(line_total=F("unit_price") * F("quantity")),
                name="orders_orderline_line_total_is_price_times_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderStatusChange(models.Model):
    """The order's timeline: one row per status it entered, never updated or deleted."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=32, choices=OrderStatus.choices)
    reason = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("at", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values),
                name="orders_orderstatuschange_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} at {self.at:%Y-%m-%d %H:%M:%S}"


class CatalogProduct(models.Model):
    """Orders' read-only copy of a product in the catalog, kept by the products service's
    `ProductChanged` events, so that an order is validated and priced without calling products.

    Written only by `catalog_product_sync`; `version` is the catalog's, and a copy is only ever
    replaced by a newer one, so deliveries out of order leave the newest state.
    """

    product_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField()
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=255)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    is_active = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("product_id",)
        verbose_name = "catalog product"
        verbose_name_plural = "catalog (copy)"

    def __str__(self) -> str:
        return f"{self.sku} (product {self.product_id}, v{self.version})"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a customer placed an order with: the same key again returns that
    order instead of placing another. The unique constraint, not a lookup, decides a race
    between two requests carrying one key."""

    user_id = models.BigIntegerField()
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
    # sha256 of the canonical JSON of the placement's input: a key reused with another body
    # is refused, not silently answered with an order the client did not ask for.
    request_fingerprint = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="idempotency_keys")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "key"], name="orders_idempotencykey_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} (user {self.user_id})"


class PaymentStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    DECLINED = "declined", "Declined"
    REFUNDED = "refunded", "Refunded"


class Payment(models.Model):
    """One attempt to charge a card for an order. Only the last four digits of the card are
    kept: the full number is handed to the provider and never stored."""

    Status = PaymentStatus

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices)
    card_last4 = models.CharField("card (last 4 digits)", max_length=4)
    provider_reference = models.CharField(max_length=255, blank=True)
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="orders_payment_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="orders_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(card_last4__regex=r"^[0-9]{4}$"),
                name="orders_payment_card_last4_is_4_digits",
            ),
            # The database's own guard against charging an order twice.
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status=PaymentStatus.SUCCEEDED),
                name="orders_payment_one_succeeded_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status} {self.amount} {self.currency} (card ...{self.card_last4})"
