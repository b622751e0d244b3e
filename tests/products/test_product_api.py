"""The product endpoints: shapes, writes, bad input, soft delete."""

from decimal import Decimal

import pytest

from products.models import Category, Product
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT_FIELDS = {
    "id",
    "sku",
    "name",
    "slug",
    "description",
    "price",
    "currency",
    "category",
    "is_active",
    "created_at",
    "updated_at",
}
VALID = {"sku": "MUG-1", "name": "Mug", "price": "9.90"}


def test_product_detail_has_exactly_the_contract_fields(anonymous):
    category = CategoryFactory()
    product = ProductFactory(category=category, price=Decimal("19.9"), description="Blue")

    body = anonymous.get(f"/api/products/{product.pk}/").json()

    assert set(body) == PRODUCT_FIELDS
    assert body["price"] == "19.90"
    assert body["currency"] == "USD"
    assert body["category"] == category.pk
    assert body["description"] == "Blue"
    assert body["is_active"] is True


def test_product_without_category_shows_null(anonymous):
    product = ProductFactory()

    assert anonymous.get(f"/api/products/{product.pk}/").json()["category"] is None


def test_staff_creates_product_with_generated_slug(staff_client):
    category = CategoryFactory()

    response = staff_client.post(
        "/api/products/",
        {**VALID, "name": "Blue Mug", "category": category.pk, "description": "Holds tea."},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == PRODUCT_FIELDS
    assert body["slug"] == "blue-mug"
    assert body["price"] == "9.90"
    assert body["category"] == category.pk
    product = Product.objects.get(pk=body["id"])
    assert product.price == Decimal("9.90")
    assert product.currency == "USD"
    assert product.is_active is True


def test_create_accepts_form_encoded_input(staff_client):
    response = staff_client.post("/api/products/", {**VALID, "is_active": "true"})

    assert response.status_code == 201
    assert response.json()["is_active"] is True


def test_create_ignores_read_only_and_unknown_fields(staff_client):
    response = staff_client.post(
        "/api/products/",
        {
            **VALID,
            "id": 424242,
            "currency": "EUR",
            "created_at": "2000-01-01T00:00:00Z",
            "updated_at": "2000-01-01T00:00:00Z",
            "owner": "mallory",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["id"] != 424242
    assert body["currency"] == "USD"
    assert not body["created_at"].startswith("2000")
    assert not body["updated_at"].startswith("2000")


def test_create_with_explicit_slug_lowercases_it(staff_client):
    response = staff_client.post("/api/products/", {**VALID, "slug": "Big-Mug"}, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "big-mug"


def test_create_refuses_sku_taken_in_another_case(staff_client):
    ProductFactory(sku="MUG-1")

    response = staff_client.post("/api/products/", {**VALID, "sku": "mug-1"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["sku"]
    assert Product.objects.count() == 1


def test_create_refuses_sku_of_an_inactive_product(staff_client):
    ProductFactory(sku="MUG-1", is_active=False)

    response = staff_client.post("/api/products/", VALID, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["sku"]


def test_create_refuses_taken_slug(staff_client):
    ProductFactory(slug="mug")

    response = staff_client.post("/api/products/", {**VALID, "slug": "mug"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["slug"]
    assert Product.objects.count() == 1


def test_create_gives_same_named_products_distinct_slugs(staff_client):
    first = staff_client.post("/api/products/", VALID, format="json").json()
    second = staff_client.post("/api/products/", {**VALID, "sku": "MUG-2"}, format="json").json()

    assert (first["slug"], second["slug"]) == ("mug", "mug-2")


@pytest.mark.parametrize("missing", ["sku", "name", "price"])
def test_create_requires_field(staff_client, missing):
    payload = {key: value for key, value in VALID.items() if key != missing}

    response = staff_client.post("/api/products/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [missing]
    assert Product.objects.count() == 0


BAD_PRODUCT_FIELDS = [
    ("sku", None),
    ("sku", ""),
    ("sku", ["MUG-9"]),
    ("sku", {"value": "MUG-9"}),
    ("sku", True),
    ("sku", "A" * 65),
    ("sku", "MUG\x00"),
    ("sku", "MUG 9"),
    ("sku", "-MUG"),
    ("sku", "MÜG"),
    ("name", None),
    ("name", ""),
    ("name", "   "),
    ("name", ["Mug"]),
    ("name", "x" * 201),
    ("name", "Mu\x00g"),
    ("slug", "not a slug"),
    ("slug", "slug/with/slashes"),
    ("slug", "s" * 221),
    ("slug", "slug\x00"),
    ("slug", ""),
    ("description", "x" * 10_001),
    ("description", "bad\x00byte"),
    ("description", ["text"]),
    ("description", None),
    ("price", None),
    ("price", ""),
    ("price", "abc"),
    ("price", ["1.00"]),
    ("price", True),
    ("price", "0"),
    ("price", "0.00"),
    ("price", 0),
    ("price", "-1.00"),
    ("price", -5),
    ("price", "0.001"),
    ("price", "1.999"),
    ("price", "10000000000.00"),
    ("price", 10**30),
    ("price", "1e30"),
    ("price", 1e300),
    ("price", "NaN"),
    ("price", "Infinity"),
    ("price", "-Infinity"),
    ("price", "1\x00"),
    ("category", "abc"),
    ("category", 1.5),
    ("category", True),
    ("category", 0),
    ("category", -1),
    ("category", 10**30),
    ("category", 2**63),
    ("category", 999_999),
    ("category", ["1"]),
    ("is_active", "maybe"),
    ("is_active", 5),
    ("is_active", None),
    ("is_active", ["true"]),
]


@pytest.mark.parametrize(("field", "value"), BAD_PRODUCT_FIELDS)
def test_create_refuses_bad_field_and_writes_nothing(staff_client, field, value):
    CategoryFactory()

    response = staff_client.post("/api/products/", {**VALID, field: value}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Product.objects.count() == 0
    assert Category.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), BAD_PRODUCT_FIELDS)
def test_patch_refuses_bad_field_and_changes_nothing(staff_client, field, value):
    product = ProductFactory(sku="OLD-1", slug="old", description="Old")
    before = Product.objects.values().get(pk=product.pk)

    response = staff_client.patch(f"/api/products/{product.pk}/", {field: value}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert Product.objects.values().get(pk=product.pk) == before


def test_create_refuses_malformed_json_and_writes_nothing(staff_client):
    response = staff_client.post(
        "/api/products/", '{"sku": "MUG-1",', content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert Product.objects.count() == 0


def test_create_refuses_non_object_json(staff_client):
    response = staff_client.post("/api/products/", [VALID], format="json")

    assert response.status_code == 400
    assert Product.objects.count() == 0


def test_put_replaces_writable_fields(staff_client):
    old_category = CategoryFactory()
    new_category = CategoryFactory()
    product = ProductFactory(category=old_category, slug="old-slug")

    response = staff_client.put(
        f"/api/products/{product.pk}/",
        {"sku": "NEW-1", "name": "New", "price": "5.00", "category": new_category.pk},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["sku"], body["name"], body["price"]) == ("NEW-1", "New", "5.00")
    assert body["category"] == new_category.pk
    # The slug is part of the product's URLs: renaming does not move them.
    assert body["slug"] == "old-slug"


@pytest.mark.parametrize("missing", ["sku", "name", "price"])
def test_put_requires_field(staff_client, missing):
    product = ProductFactory()
    payload = {key: value for key, value in VALID.items() if key != missing}

    response = staff_client.put(f"/api/products/{product.pk}/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [missing]


def test_patch_changes_only_given_fields(staff_client):
    category = CategoryFactory()
    product = ProductFactory(category=category, description="Keep me", price=Decimal("3.00"))

    response = staff_client.patch(f"/api/products/{product.pk}/", {"price": "4.25"}, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert product.price == Decimal("4.25")
    assert product.description == "Keep me"
    assert product.category == category


def test_patch_removes_category_with_null(staff_client):
    product = ProductFactory(category=CategoryFactory())

    response = staff_client.patch(f"/api/products/{product.pk}/", {"category": None}, format="json")

    assert response.status_code == 200
    assert response.json()["category"] is None


def test_patch_ignores_read_only_fields(staff_client):
    product = ProductFactory()
    before = Product.objects.values("id", "currency", "created_at").get(pk=product.pk)

    response = staff_client.patch(
        f"/api/products/{product.pk}/",
        {"id": 9999, "currency": "EUR", "created_at": "2000-01-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 200
    assert Product.objects.values("id", "currency", "created_at").get(pk=product.pk) == before


def test_patch_refuses_sku_of_another_product_in_another_case(staff_client):
    ProductFactory(sku="MUG-1")
    product = ProductFactory(sku="CUP-1")

    response = staff_client.patch(f"/api/products/{product.pk}/", {"sku": "mug-1"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["sku"]
    product.refresh_from_db()
    assert product.sku == "CUP-1"


def test_patch_may_change_the_case_of_own_sku(staff_client):
    product = ProductFactory(sku="mug-1")

    response = staff_client.patch(f"/api/products/{product.pk}/", {"sku": "MUG-1"}, format="json")

    assert response.status_code == 200
    assert response.json()["sku"] == "MUG-1"


def test_staff_reactivates_product_with_patch(staff_client, anonymous):
    product = ProductFactory(is_active=False)

    response = staff_client.patch(
        f"/api/products/{product.pk}/", {"is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert anonymous.get(f"/api/products/{product.pk}/").status_code == 200


def test_delete_deactivates_product_and_keeps_it(staff_client, customer_client, anonymous):
    product = ProductFactory()

    response = staff_client.delete(f"/api/products/{product.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    product.refresh_from_db()
    assert product.is_active is False
    assert anonymous.get(f"/api/products/{product.pk}/").status_code == 404
    assert customer_client.get(f"/api/products/{product.pk}/").status_code == 404
    staff_view = staff_client.get(f"/api/products/{product.pk}/")
    assert staff_view.status_code == 200
    assert staff_view.json()["is_active"] is False


def test_delete_twice_answers_204_both_times(staff_client):
    product = ProductFactory()

    assert staff_client.delete(f"/api/products/{product.pk}/").status_code == 204
    assert staff_client.delete(f"/api/products/{product.pk}/").status_code == 204
    assert Product.objects.filter(pk=product.pk, is_active=False).exists()


def test_inactive_product_is_answered_like_an_unknown_one(customer_client):
    inactive = ProductFactory(is_active=False)

    hidden = customer_client.get(f"/api/products/{inactive.pk}/")
    unknown = customer_client.get("/api/products/987654/")

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("product_id", ["987654", "9" * 30])
def test_unknown_product_is_404_for_staff(staff_client, method, product_id):
    response = getattr(staff_client, method)(f"/api/products/{product_id}/", VALID, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No product with this id."}
    assert Product.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/products/abc/", "/api/products/-1/", "/api/nothing/"])
def test_unmatched_path_is_a_json_404(anonymous, path):
    response = anonymous.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_browsable_api_renders_product_list_for_staff(staff_client):
    ProductFactory()

    response = staff_client.get("/api/products/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"<form" in response.content
    assert b'name="sku"' in response.content


def test_browsable_api_renders_product_detail_form_for_staff(staff_client):
    product = ProductFactory(sku="FORM-1")

    response = staff_client.get(f"/api/products/{product.pk}/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b'value="FORM-1"' in response.content


def test_unknown_product_is_404_even_with_a_bad_body(staff_client):
    response = staff_client.patch("/api/products/987654/", {"price": "-1"}, format="json")

    assert response.status_code == 404


def test_empty_patch_changes_nothing(staff_client):
    product = ProductFactory()
    before = Product.objects.values().get(pk=product.pk)

    response = staff_client.patch(f"/api/products/{product.pk}/", {}, format="json")

    assert response.status_code == 200
    assert Product.objects.values().get(pk=product.pk) == before
