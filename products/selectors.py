"""Reads from the catalog, scoped to what the caller may see: inactive products exist for staff
only, so to anyone else they are answered 404 like any unknown id."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from products.models import Category, Product
from shop.auth.tokens import Principal
from shop.errors import NotFound


def product_list(*, principal: Principal | AnonymousUser) -> QuerySet[Product]:
    """Products the caller may see, newest first; the API narrows them with its filters."""
    products = Product.objects.all()
    if not principal.is_staff:
        products = products.filter(is_active=True)
    return products


def product_get(*, product_id: int, principal: Principal | AnonymousUser) -> Product:
    # get(), not first(): a lookup by primary key needs no ORDER BY, and building the catalog's
    # ordering was a fifth of the detail view's CPU.
    try:
        return product_list(principal=principal).get(pk=product_id)
    except Product.DoesNotExist:
        raise NotFound("No product with this id.") from None


def category_list() -> QuerySet[Category]:
    return Category.objects.all()


def category_get(*, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound("No category with this slug.")
    return category
