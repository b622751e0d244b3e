"""Requests are authenticated by the access token alone: forged tokens fail, no user lookup."""

import pytest
from django.db import connection
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from shop.auth.tokens import Principal
from tests.jwt_cases import BAD_TOKENS
from tests.tokens import access_token

pytestmark = pytest.mark.django_db

LIST_URL = "/api/orders/"
USER_ID_KNOWN_NOWHERE = 987_654_321


def bearer_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("make_token", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_order_list_refuses_bad_token(make_token):
    response = bearer_client(make_token()).get(LIST_URL)

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_order_list_accepts_valid_token(customer):
    response = customer.client().get(LIST_URL)

    assert response.status_code == 200


def test_token_of_user_unknown_here_authenticates_without_a_query(django_assert_num_queries):
    token = access_token(user_id=USER_ID_KNOWN_NOWHERE, username="ghost")
    request = APIRequestFactory().get(LIST_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    with django_assert_num_queries(0):
        principal, _ = JWTStatelessUserAuthentication().authenticate(request)

    assert isinstance(principal, Principal)
    assert (int(principal.id), principal.username, principal.is_staff) == (
        USER_ID_KNOWN_NOWHERE,
        "ghost",
        False,
    )


def test_request_with_token_of_unknown_user_touches_only_orders_tables(
    django_assert_num_queries,
):
    token = access_token(user_id=USER_ID_KNOWN_NOWHERE, username="ghost")
    auth_tables = {
        table for table in connection.introspection.table_names() if table.startswith("auth_")
    }

    # One count of the caller's (zero) orders; the empty page needs no further query.
    with django_assert_num_queries(1) as captured:
        response = bearer_client(token).get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 0
    assert auth_tables
    for query in captured.captured_queries:
        assert not any(table in query["sql"] for table in auth_tables), query["sql"]
        assert "orders_order" in query["sql"]
