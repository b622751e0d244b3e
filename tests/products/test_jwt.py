"""Forged or broken tokens are refused before anything is read or written."""

import pytest
from rest_framework.test import APIClient

from products.models import Product
from tests.jwt_cases import BAD_TOKENS
from tests.products.factories import ProductFactory

pytestmark = pytest.mark.django_db

PAYLOAD = {"sku": "JWT-1", "name": "Token test", "price": "1.00"}


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_staff_write_with_bad_token_is_401_and_writes_nothing(make_token):
    response = client_with(make_token()).post("/api/products/", PAYLOAD, format="json")

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert Product.objects.count() == 0


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_public_read_with_bad_token_is_401(make_token):
    product = ProductFactory()

    for path in ("/api/products/", f"/api/products/{product.pk}/", "/api/categories/"):
        assert client_with(make_token()).get(path).status_code == 401


def test_staff_write_with_valid_token_is_201(staff):
    response = staff.client().post("/api/products/", PAYLOAD, format="json")

    assert response.status_code == 201
    assert Product.objects.filter(sku="JWT-1").exists()


def test_non_bearer_authorization_header_is_anonymous():
    response = APIClient().post(
        "/api/products/", PAYLOAD, format="json", HTTP_AUTHORIZATION="Basic YWRtaW46YWRtaW4="
    )

    assert response.status_code == 401
    assert Product.objects.count() == 0
