"""Forged and broken tokens are refused; the test-minted tokens match what this service issues."""

import jwt
import pytest
from rest_framework.test import APIClient

from tests.jwt_cases import BAD_TOKENS
from tests.tokens import access_claims
from tests.users.factories import PASSWORD
from users.services import token_obtain

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("forge", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_token_is_401(forge, admin_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forge()}")

    response = client.get("/api/users/")

    assert response.status_code == 401
    assert list(response.json()) == ["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_valid_token_for_staff_is_200(admin_user):
    pair = token_obtain(username="admin", password=PASSWORD)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")

    assert client.get("/api/users/").status_code == 200


def test_other_services_test_tokens_have_the_issued_shape(admin_user):
    issued = jwt.decode(
        token_obtain(username="admin", password=PASSWORD).access,
        options={"verify_signature": False},
    )

    minted = access_claims(user_id=admin_user.id, username="admin", is_staff=True)

    assert set(minted) == set(issued)
    for claim in ("user_id", "username", "is_staff", "aud", "iss", "token_type"):
        assert minted[claim] == issued[claim]
