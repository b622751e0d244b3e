"""The catalog's admin writes through the services and never deletes a product."""

from decimal import Decimal

import pytest

from products.models import Category, Product
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT_FORM = {
    "sku": "ADM-1",
    "name": "Admin mug",
    "slug": "admin-mug",
    "description": "",
    "price": "4.50",
    "category": "",
    "is_active": "on",
}


@pytest.mark.parametrize(
    "path",
    [
        "/admin/products/",
        "/admin/products/products/product/",
        "/admin/products/products/product/add/",
        "/admin/products/products/category/",
        "/admin/products/products/category/add/",
    ],
)
def test_admin_pages_render(admin_client, path):
    ProductFactory(category=CategoryFactory())

    assert admin_client.get(path).status_code == 200


def test_admin_search_and_filters_render(admin_client):
    ProductFactory(sku="FIND-ME")

    response = admin_client.get("/admin/products/products/product/?q=find&is_active__exact=1")

    assert response.status_code == 200
    assert b"FIND-ME" in response.content


def test_admin_adds_product_with_shop_currency(admin_client):
    response = admin_client.post("/admin/products/products/product/add/", PRODUCT_FORM)

    assert response.status_code == 302
    product = Product.objects.get(sku="ADM-1")
    assert (product.price, product.currency, product.is_active) == (Decimal("4.50"), "USD", True)


def test_admin_refuses_sku_taken_in_another_case(admin_client):
    ProductFactory(sku="adm-1")

    response = admin_client.post("/admin/products/products/product/add/", PRODUCT_FORM)

    assert response.status_code == 200
    assert Product.objects.count() == 1


def test_admin_refuses_zero_price(admin_client):
    response = admin_client.post(
        "/admin/products/products/product/add/", {**PRODUCT_FORM, "price": "0"}
    )

    assert response.status_code == 200
    assert Product.objects.count() == 0


def test_admin_changes_product(admin_client):
    product = ProductFactory()

    response = admin_client.post(
        f"/admin/products/products/product/{product.pk}/change/",
        {**PRODUCT_FORM, "name": "Renamed"},
    )

    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.sku) == ("Renamed", "ADM-1")


def test_admin_cannot_delete_products(admin_client):
    product = ProductFactory()

    response = admin_client.post(f"/admin/products/products/product/{product.pk}/delete/")

    assert response.status_code == 403
    assert Product.objects.filter(pk=product.pk).exists()


def test_admin_action_deactivates_and_reactivates_products(admin_client):
    products = ProductFactory.create_batch(2)
    selected = [str(product.pk) for product in products]
    changelist = "/admin/products/products/product/"

    admin_client.post(changelist, {"action": "deactivate", "_selected_action": selected})
    assert Product.objects.filter(is_active=True).count() == 0

    admin_client.post(changelist, {"action": "reactivate", "_selected_action": selected})
    assert Product.objects.filter(is_active=False).count() == 0


def test_admin_adds_category_under_parent(admin_client):
    parent = CategoryFactory()

    response = admin_client.post(
        "/admin/products/products/category/add/",
        {"name": "Caps", "slug": "caps", "parent": parent.pk},
    )

    assert response.status_code == 302
    assert Category.objects.get(slug="caps").parent == parent


def test_admin_refuses_category_cycle(admin_client):
    top = CategoryFactory()
    child = CategoryFactory(parent=top)

    response = admin_client.post(
        f"/admin/products/products/category/{top.pk}/change/",
        {"name": top.name, "slug": top.slug, "parent": child.pk},
    )

    assert response.status_code == 200
    assert b"below itself" in response.content
    top.refresh_from_db()
    assert top.parent is None
