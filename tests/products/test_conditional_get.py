"""Conditional catalog reads: every JSON answer of the product list and detail carries an ETag
(a hash of its bytes), and a client that already has those bytes gets 304 without a body."""

import pytest

from products.models import Category, Product
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

CALLERS = ["anonymous", "customer", "staff"]


def paths(product: Product) -> list[str]:
    return [f"/api/products/{product.pk}/", "/api/products/", "/api/products/?ordering=price"]


@pytest.mark.parametrize("caller", CALLERS)
def test_a_matching_if_none_match_is_answered_304_without_a_body(client_of, caller):
    product = ProductFactory()
    client = client_of(caller)
    for path in paths(product):
        first = client.get(path)
        etag = first["ETag"]
        assert etag.startswith('"') and etag.endswith('"')

        again = client.get(path, HTTP_IF_NONE_MATCH=etag)

        assert again.status_code == 304
        assert again.content == b""
        assert again["ETag"] == etag
        assert "Accept" in again["Vary"]


@pytest.mark.parametrize("caller", CALLERS)
def test_another_etag_gets_the_whole_answer(client_of, caller):
    product = ProductFactory()
    client = client_of(caller)
    for path in paths(product):
        response = client.get(path, HTTP_IF_NONE_MATCH='"something-else"')
        assert response.status_code == 200
        assert response.json()


def test_the_etag_changes_with_the_product(staff_client, anonymous):
    product = ProductFactory(name="Old")
    before = {path: anonymous.get(path)["ETag"] for path in paths(product)}

    staff_client.patch(f"/api/products/{product.pk}/", {"name": "New"}, format="json")

    for path, etag in before.items():
        response = anonymous.get(path, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200
        assert response["ETag"] != etag


def test_the_etag_changes_when_deleting_a_category_clears_a_products_category(anonymous):
    # No write to the product itself: its version and updated_at stay as they were.
    category = CategoryFactory()
    product = ProductFactory(category=category)
    path = f"/api/products/{product.pk}/"
    etag = anonymous.get(path)["ETag"]

    Category.objects.filter(pk=category.pk).delete()

    response = anonymous.get(path, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["category"] is None


def test_the_etag_of_what_staff_see_does_not_reveal_an_inactive_product(
    staff_client, customer_client
):
    hidden = ProductFactory(is_active=False)
    etag = staff_client.get(f"/api/products/{hidden.pk}/")["ETag"]

    response = customer_client.get(f"/api/products/{hidden.pk}/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 404
    assert response.json() == {"detail": "No product with this id."}
