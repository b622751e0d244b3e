"""The catalog: categories in a tree, and products with their price in the shop's currency."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

# The largest price `Product.price` (12 digits, 2 of them decimal places) can hold.
MAX_PRICE = Decimal("9999999999.99")


def shop_currency() -> str:
    # A callable, not the value: a migration must not freeze one deployment's currency.
    return settings.SHOP_CURRENCY


class Category(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, db_index=False)
    # PROTECT: deleting a parent must not silently re-root its subtree (SET_NULL would turn every
    # child into a top-level category); staff move or delete the children first.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["slug"], name="products_category_slug_unique"),
            models.CheckConstraint(
                condition=~Q(parent=F("id")), name="products_category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, db_index=False)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=shop_currency, editable=False)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    # Products are never deleted: orders keep pointing at them for their history.
    is_active = models.BooleanField(default=True)
    # Grows by one with every write (in the database, so concurrent writers never share a
    # number) and travels in `ProductChanged`: consumers keep the newest state whatever order
    # the events arrive in. The database default lets an older release, which does not know the
    # column, still insert rows while a rollout runs.
    version = models.PositiveBigIntegerField(default=1, db_default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Warehouses read SKUs aloud and type them by hand: "ab-1" and "AB-1" are one item.
            models.UniqueConstraint(
                Lower("sku"),
                name="products_product_sku_ci_unique",
                violation_error_message="A product with this SKU already exists.",
            ),
            models.UniqueConstraint(fields=["slug"], name="products_product_slug_unique"),
            models.CheckConstraint(
                condition=Q(price__gt=0),
                name="products_product_price_positive",
                violation_error_message="The price must be greater than zero.",
            ),
        ]
        indexes = [
            # The public list is always scoped to active products, newest first or by price.
            models.Index(fields=["is_active", "-created_at"], name="products_active_created_idx"),
            models.Index(fields=["is_active", "price"], name="products_active_price_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
