"""The category endpoints: shapes, writes, the tree rule, deletion."""

import pytest

from products.models import Category, Product
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_category_detail_has_exactly_the_contract_fields(anonymous):
    parent = CategoryFactory(name="Clothes", slug="clothes")
    child = CategoryFactory(name="Shoes", slug="shoes", parent=parent)

    response = anonymous.get("/api/categories/shoes/")

    assert response.status_code == 200
    assert response.json() == {
        "id": child.pk,
        "name": "Shoes",
        "slug": "shoes",
        "parent": parent.pk,
    }


def test_category_list_is_paginated_and_sorted_by_name(anonymous):
    CategoryFactory(name="Shoes")
    CategoryFactory(name="Hats")

    body = anonymous.get("/api/categories/").json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert [category["name"] for category in body["results"]] == ["Hats", "Shoes"]


def test_category_list_clamps_page_size(anonymous):
    Category.objects.bulk_create(
        Category(name=f"C {number}", slug=f"c-{number}") for number in range(101)
    )

    body = anonymous.get("/api/categories/?page_size=500").json()

    assert len(body["results"]) == 100
    assert body["count"] == 101


def test_staff_creates_category_with_generated_slug(staff_client):
    parent = CategoryFactory()

    response = staff_client.post(
        "/api/categories/", {"name": "Running Shoes", "parent": parent.pk}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "running-shoes"
    assert body["parent"] == parent.pk
    assert Category.objects.get(slug="running-shoes").parent == parent


def test_create_ignores_read_only_and_unknown_fields(staff_client):
    response = staff_client.post(
        "/api/categories/", {"name": "Hats", "id": 777, "products": [1]}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["id"] != 777


def test_create_refuses_taken_slug(staff_client):
    CategoryFactory(slug="hats")

    response = staff_client.post(
        "/api/categories/", {"name": "Hats", "slug": "HATS"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]
    assert Category.objects.count() == 1


BAD_CATEGORY_FIELDS = [
    ("name", None),
    ("name", ""),
    ("name", ["Hats"]),
    ("name", "n" * 101),
    ("name", "Ha\x00ts"),
    ("slug", "not a slug"),
    ("slug", "s" * 121),
    ("slug", "hats\x00"),
    ("parent", "abc"),
    ("parent", 0),
    ("parent", -3),
    ("parent", 2.5),
    ("parent", 10**30),
    ("parent", 987_654),
]


@pytest.mark.parametrize(("field", "value"), BAD_CATEGORY_FIELDS)
def test_create_refuses_bad_field_and_writes_nothing(staff_client, field, value):
    response = staff_client.post("/api/categories/", {"name": "Hats", field: value}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Category.objects.count() == 0


@pytest.mark.parametrize(("field", "value"), BAD_CATEGORY_FIELDS)
def test_patch_refuses_bad_field_and_changes_nothing(staff_client, field, value):
    category = CategoryFactory(slug="hats")
    before = Category.objects.values().get(pk=category.pk)

    response = staff_client.patch("/api/categories/hats/", {field: value}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Category.objects.values().get(pk=category.pk) == before


def test_put_requires_name(staff_client):
    CategoryFactory(slug="hats")

    response = staff_client.put("/api/categories/hats/", {"slug": "caps"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_patch_renames_and_moves_category(staff_client):
    parent = CategoryFactory()
    category = CategoryFactory(slug="hats")

    response = staff_client.patch(
        "/api/categories/hats/",
        {"name": "Caps", "slug": "caps", "parent": parent.pk},
        format="json",
    )

    assert response.status_code == 200
    category.refresh_from_db()
    assert (category.name, category.slug, category.parent) == ("Caps", "caps", parent)
    assert staff_client.get("/api/categories/caps/").status_code == 200
    assert staff_client.get("/api/categories/hats/").status_code == 404


def test_patch_makes_category_top_level_with_null_parent(staff_client):
    category = CategoryFactory(slug="hats", parent=CategoryFactory())

    response = staff_client.patch(
        f"/api/categories/{category.slug}/", {"parent": None}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["parent"] is None


@pytest.mark.parametrize("new_parent", ["self", "child", "grandchild"])
def test_patch_refuses_a_parent_that_makes_a_cycle(staff_client, new_parent):
    top = CategoryFactory(slug="top")
    child = CategoryFactory(slug="child", parent=top)
    grandchild = CategoryFactory(slug="grandchild", parent=child)
    parent = {"self": top, "child": child, "grandchild": grandchild}[new_parent]

    response = staff_client.patch("/api/categories/top/", {"parent": parent.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["parent"]
    top.refresh_from_db()
    assert top.parent is None


def test_delete_category_keeps_its_products_uncategorised(staff_client):
    category = CategoryFactory(slug="hats")
    product = ProductFactory(category=category)

    response = staff_client.delete("/api/categories/hats/")

    assert response.status_code == 204
    assert not Category.objects.filter(pk=category.pk).exists()
    product.refresh_from_db()
    assert product.category is None


def test_delete_category_with_subcategories_is_a_conflict(staff_client):
    parent = CategoryFactory(slug="clothes")
    CategoryFactory(parent=parent)

    response = staff_client.delete("/api/categories/clothes/")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert Category.objects.count() == 2


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_category_is_404(staff_client, method):
    response = getattr(staff_client, method)("/api/categories/nope/", {"name": "x"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No category with this slug."}
    assert Product.objects.count() == Category.objects.count() == 0
