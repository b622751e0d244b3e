"""Writes to the catalog. Every rule about what may be stored lives here; views, admin and tasks
call these functions and never save a model themselves."""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.deletion import ProtectedError
from django.utils.text import slugify

from products.models import MAX_PRICE, Category, Product
from shop.errors import Conflict, InvalidInput
from shop.messaging.contract import ProductChanged
from shop.messaging.outbox import outbox_enqueue

PRODUCT_FIELDS = frozenset(
    {"sku", "name", "slug", "description", "price", "category_id", "is_active"}
)
CATEGORY_FIELDS = frozenset({"name", "slug", "parent_id"})
# What `ProductChanged` tells inventory and orders. The category is not among them, so removing
# a category (which clears its products' category without `_product_save`) owes them no event.
PRODUCT_EVENT_FIELDS = ["version", "sku", "name", "price", "currency", "is_active"]

# How often a generated slug is retried when a concurrent writer takes it between the lookup
# and the insert; each retry sees the winner's row, so two writers settle in one round.
SLUG_ATTEMPTS = 3
# Room kept after a generated slug's base for a "-<n>" suffix.
SLUG_SUFFIX_ROOM = 8

# Per constraint: how SQLite names its violation (SQLite reports columns or indexes, where
# PostgreSQL names the constraint), then the field and message a client is answered with.
_CONSTRAINT_ERRORS: dict[str, tuple[str, str, str]] = {
    "products_product_sku_ci_unique": (
        "products_product_sku_ci_unique",
        "sku",
        "A product with this SKU already exists.",
    ),
    "products_product_slug_unique": (
        "products_product.slug",
        "slug",
        "A product with this slug already exists.",
    ),
    "products_product_price_positive": (
        "products_product_price_positive",
        "price",
        "The price must be greater than zero.",
    ),
    "products_category_slug_unique": (
        "products_category.slug",
        "slug",
        "A category with this slug already exists.",
    ),
    "products_category_not_own_parent": (
        "products_category_not_own_parent",
        "parent",
        "A category cannot be its own parent.",
    ),
}


def product_create(
    *,
    sku: str,
    name: str,
    price: Decimal,
    description: str = "",
    slug: str | None = None,
    category_id: int | None = None,
    is_active: bool = True,
) -> Product:
    """Add a product to the catalog. Without a slug, one is made from the name."""
    _check_price(price=price)
    product = Product(
        sku=sku,
        name=name,
        price=price,
        description=description,
        currency=settings.SHOP_CURRENCY,
        category=_category_for(category_id=category_id, field="category"),
        is_active=is_active,
    )
    with transaction.atomic():
        _product_save(product=product, slug=slug)
    return product


def product_update(*, product: Product, data: Mapping[str, Any]) -> Product:
    """Change the given fields of a product (any of `PRODUCT_FIELDS`); the rest stay as they are.

    The row is locked for the update, so concurrent changes apply one after the other and each
    write sees (and records) the product's complete, current state.
    """
    _check_fields(data=data, allowed=PRODUCT_FIELDS)
    if not data:
        return product
    if "price" in data:
        _check_price(price=data["price"])
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        for field, value in data.items():
            if field == "category_id":
                locked.category = _category_for(category_id=value, field="category")
            elif field != "slug":
                setattr(locked, field, value)
        _product_save(product=locked, slug=data.get("slug"))
    return locked


def product_deactivate(*, product: Product) -> Product:
    """Take a product off sale. It is kept (orders reference it), hidden from customers, and can
    be reactivated by staff. Deactivating an inactive product changes nothing."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if locked.is_active:
            locked.is_active = False
            _product_save(product=locked)
    return locked


def category_create(
    *, name: str, slug: str | None = None, parent_id: int | None = None
) -> Category:
    """Add a category; without a slug, one is made from the name."""
    category = Category(name=name, parent=_category_for(category_id=parent_id, field="parent"))
    with transaction.atomic():
        _save_with_slug(instance=category, slug=slug, fallback="category")
    return category


def category_update(*, category: Category, data: Mapping[str, Any]) -> Category:
    """Change the given fields of a category (any of `CATEGORY_FIELDS`).

    A new parent must not be the category itself or one of its descendants: the tree stays a tree.
    """
    _check_fields(data=data, allowed=CATEGORY_FIELDS)
    with transaction.atomic():
        if data.get("parent_id") is not None:
            # Lock the whole tree before the row, in one order for every mover: two concurrent
            # moves (A under B, B under A) then run one after the other, and the second sees the
            # first's result, instead of each passing the check against the old tree.
            _check_no_cycle(category=category, parent_id=data["parent_id"])
        locked = Category.objects.select_for_update().get(pk=category.pk)
        if "name" in data:
            locked.name = data["name"]
        if "parent_id" in data:
            locked.parent = _category_for(category_id=data["parent_id"], field="parent")
        _save_with_slug(instance=locked, slug=data.get("slug"), fallback="category")
    return locked


def category_delete(*, category: Category) -> None:
    """Remove a category. Its products stay, uncategorised; a category with subcategories is
    refused (409) until they are moved or deleted."""
    try:
        with transaction.atomic():
            category.delete()
    except ProtectedError as error:
        raise Conflict("The category has subcategories; move or delete them first.") from error


def category_check_parent(*, category: Category | None, parent: Category | None) -> None:
    """Raise `InvalidInput` on `parent` when `category` may not hang below `parent` (admin forms
    check this before saving)."""
    if category is not None and category.pk is not None and parent is not None:
        _check_no_cycle(category=category, parent_id=parent.pk)


def _product_save(*, product: Product, slug: str | None = None) -> None:
    """The one place a product's state is written. Callers hold a transaction, so whatever must
    happen atomically with a change to a product belongs here.

    Every write, a new row or a change (also one that changes nothing a consumer sees), counts
    the version up and records `ProductChanged` for inventory and orders in the same
    transaction: the change and its event commit together or not at all.
    """
    if product.pk is not None:
        # Counted by the database, not from the value this instance was loaded with.
        product.version = F("version") + 1
    _save_with_slug(instance=product, slug=slug, fallback="product")
    # What the event carries is read back as stored (the new version, the price at its scale).
    product.refresh_from_db(fields=PRODUCT_EVENT_FIELDS)
    outbox_enqueue(
        ProductChanged(
            product_id=product.pk,
            version=product.version,
            sku=product.sku,
            name=product.name,
            price=product.price,
            currency=product.currency,
            is_active=product.is_active,
        )
    )


def _save_with_slug(*, instance: Product | Category, slug: str | None, fallback: str) -> None:
    """Save `instance` with the given slug, or (for a new row without one) a free slug made from
    its name. Constraint violations become field errors; the constraints, not the lookup that
    picks a slug, are what keep values unique."""
    is_generated = slug is None and instance.pk is None
    for attempt in range(1, SLUG_ATTEMPTS + 1):
        if slug is not None:
            instance.slug = slug
        elif is_generated:
            instance.slug = _free_slug(instance=instance, fallback=fallback)
        try:
            # A savepoint: after a violation the caller's transaction must stay usable.
            with transaction.atomic():
                instance.save()
            return
        except IntegrityError as error:
            field, message = _field_error(error)
            if field == "slug" and is_generated and attempt < SLUG_ATTEMPTS:
                continue
            raise InvalidInput({field: [message]}) from error


def _free_slug(*, instance: Product | Category, fallback: str) -> str:
    # A SlugField always has a max_length (50 unless given).
    slug_length = cast("int", type(instance)._meta.get_field("slug").max_length)
    max_length = slug_length - SLUG_SUFFIX_ROOM
    base = slugify(instance.name)[:max_length].strip("-_") or fallback
    taken = set(
        type(instance)
        .objects.filter(slug__regex=rf"^{re.escape(base)}(-[0-9]+)?$")
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _field_error(error: IntegrityError) -> tuple[str, str]:
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    for name, (sqlite_name, field, message) in _CONSTRAINT_ERRORS.items():
        if constraint == name or (constraint is None and sqlite_name in str(error)):
            return field, message
    raise error


def _category_for(*, category_id: int | None, field: str) -> Category | None:
    if category_id is None:
        return None
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise InvalidInput({field: [f"There is no category with id {category_id}."]})
    return category


def _check_no_cycle(*, category: Category, parent_id: int) -> None:
    parents = dict(
        Category.objects.select_for_update().order_by("pk").values_list("id", "parent_id")
    )
    ancestor: int | None = parent_id
    seen: set[int] = set()
    while ancestor is not None and ancestor not in seen:
        seen.add(ancestor)
        if ancestor == category.pk:
            raise InvalidInput(
                {"parent": ["A category cannot be moved below itself or one of its subcategories."]}
            )
        ancestor = parents.get(ancestor)


def _check_price(*, price: Decimal) -> None:
    if price <= 0:
        raise InvalidInput({"price": ["The price must be greater than zero."]})
    if price > MAX_PRICE:
        raise InvalidInput({"price": [f"The price must be at most {MAX_PRICE}."]})


def _check_fields(*, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Fields that cannot be changed here: {', '.join(sorted(unknown))}")
