"""Forged, expired and misused tokens are refused before anything changes."""

import pytest

from tests.inventory.snapshots import snapshot
from tests.jwt_cases import BAD_TOKENS
from tests.tokens import access_token

pytestmark = pytest.mark.django_db

ADJUST_URL = "/api/inventory/42/adjust/"


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_token_is_refused_and_nothing_changes(record, anonymous, make_token):
    before = snapshot(record)
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token()}")

    response = anonymous.post(ADJUST_URL, {"delta": 5, "reason": "Forged"}, format="json")

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert snapshot(record) == before


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_bad_token_is_refused_even_on_the_public_detail(record, anonymous, make_token):
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token()}")

    response = anonymous.get("/api/inventory/42/")

    assert response.status_code == 401


def test_valid_staff_token_is_accepted(record, anonymous):
    token = access_token(user_id=1, username="admin", is_staff=True)
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = anonymous.post(ADJUST_URL, {"delta": 5, "reason": "Delivery"}, format="json")

    assert response.status_code == 200
    assert snapshot(record).on_hand == 15
