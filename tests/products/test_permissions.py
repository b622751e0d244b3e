"""Who may call what: public reads, staff-only writes, on every endpoint and method."""

import pytest

from products.models import Category, Product
from tests.products.conftest import CALLERS
from tests.products.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT_PAYLOAD = {"sku": "NEW-1", "name": "New product", "price": "12.50"}
CATEGORY_PAYLOAD = {"name": "New category"}

# (method, url, payload) -> expected status for anonymous, customer, other_customer, staff.
MATRIX = [
    ("get", "/api/products/", None, [200, 200, 200, 200]),
    ("post", "/api/products/", PRODUCT_PAYLOAD, [401, 403, 403, 201]),
    ("get", "/api/products/{product}/", None, [200, 200, 200, 200]),
    ("put", "/api/products/{product}/", PRODUCT_PAYLOAD, [401, 403, 403, 200]),
    ("patch", "/api/products/{product}/", {"name": "Renamed"}, [401, 403, 403, 200]),
    ("delete", "/api/products/{product}/", None, [401, 403, 403, 204]),
    ("get", "/api/products/{inactive}/", None, [404, 404, 404, 200]),
    ("patch", "/api/products/{inactive}/", {"name": "Renamed"}, [401, 403, 403, 200]),
    ("get", "/api/categories/", None, [200, 200, 200, 200]),
    ("post", "/api/categories/", CATEGORY_PAYLOAD, [401, 403, 403, 201]),
    ("get", "/api/categories/{category}/", None, [200, 200, 200, 200]),
    ("put", "/api/categories/{category}/", CATEGORY_PAYLOAD, [401, 403, 403, 200]),
    ("patch", "/api/categories/{category}/", {"name": "Renamed"}, [401, 403, 403, 200]),
    ("delete", "/api/categories/{category}/", None, [401, 403, 403, 204]),
]

CASES = [
    pytest.param(method, url, payload, caller, statuses[index], id=f"{method} {url} {caller}")
    for method, url, payload, statuses in MATRIX
    for index, caller in enumerate(CALLERS)
]


@pytest.mark.parametrize(("method", "url", "payload", "caller", "expected_status"), CASES)
def test_endpoint_answers_caller_with_expected_status(
    client_of, method, url, payload, caller, expected_status
):
    # given
    category = CategoryFactory(slug="shoes")
    product = ProductFactory(category=category)
    inactive = ProductFactory(is_active=False)
    path = url.format(product=product.pk, inactive=inactive.pk, category=category.slug)
    products_before = list(Product.objects.order_by("pk").values())
    categories_before = list(Category.objects.order_by("pk").values())

    # when
    response = getattr(client_of(caller), method)(path, payload, format="json")

    # then
    assert response.status_code == expected_status, response.content
    if expected_status in (401, 403, 404) or method == "get":
        assert list(Product.objects.order_by("pk").values()) == products_before
        assert list(Category.objects.order_by("pk").values()) == categories_before
    if expected_status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    if expected_status >= 400:
        assert set(response.json()) == {"detail"}


# Permissions are checked before the method is looked up, so only staff learn that it is 405.
@pytest.mark.parametrize(
    ("caller", "expected_status"),
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("staff", 405)],
)
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", "/api/products/"),
        ("put", "/api/products/"),
        ("post", "/api/products/{product}/"),
        ("delete", "/api/categories/"),
        ("post", "/api/categories/{category}/"),
    ],
)
def test_unsupported_method_is_refused_without_a_write(
    client_of, caller, expected_status, method, url
):
    category = CategoryFactory(slug="shoes")
    product = ProductFactory(category=category)
    path = url.format(product=product.pk, category=category.slug)

    response = getattr(client_of(caller), method)(path, PRODUCT_PAYLOAD, format="json")

    assert response.status_code == expected_status
    assert Product.objects.get().name == product.name
    assert Category.objects.count() == 1
