"""Reads scoped to the caller: inactive products exist for staff only."""

import pytest
from django.contrib.auth.models import AnonymousUser

from products import selectors
from shop.auth.tokens import Principal
from shop.errors import NotFound
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

STAFF = Principal({"user_id": "1", "username": "admin", "is_staff": True})
CUSTOMER = Principal({"user_id": "1001", "username": "alice", "is_staff": False})


@pytest.mark.parametrize("principal", [CUSTOMER, AnonymousUser()], ids=["customer", "anonymous"])
def test_product_list_hides_inactive_products_from_non_staff(principal):
    active = ProductFactory()
    ProductFactory(is_active=False)

    assert list(selectors.product_list(principal=principal)) == [active]


def test_product_list_shows_every_product_to_staff():
    older = ProductFactory()
    newer = ProductFactory(is_active=False)

    assert set(selectors.product_list(principal=STAFF)) == {older, newer}


@pytest.mark.parametrize("principal", [CUSTOMER, AnonymousUser()], ids=["customer", "anonymous"])
def test_product_get_treats_inactive_product_as_missing_for_non_staff(principal):
    product = ProductFactory(is_active=False)

    with pytest.raises(NotFound):
        selectors.product_get(product_id=product.pk, principal=principal)


def test_product_get_finds_inactive_product_for_staff():
    product = ProductFactory(is_active=False)

    assert selectors.product_get(product_id=product.pk, principal=STAFF) == product


def test_product_get_raises_not_found_for_unknown_or_out_of_range_id():
    with pytest.raises(NotFound):
        selectors.product_get(product_id=123, principal=STAFF)
    with pytest.raises(NotFound):
        selectors.product_get(product_id=10**30, principal=STAFF)


def test_category_get_finds_by_slug_or_raises_not_found():
    category = CategoryFactory(slug="hats")

    assert selectors.category_get(slug="hats") == category
    with pytest.raises(NotFound):
        selectors.category_get(slug="caps")


def test_category_list_sorts_by_name():
    shoes = CategoryFactory(name="Shoes")
    hats = CategoryFactory(name="Hats")

    assert list(selectors.category_list()) == [hats, shoes]
