"""Bad input to the orders service is a small, fast 4xx in the contract's JSON, in every mode:
absurdly nested JSON, an order of 50,000 lines, a NUL in the URL, unmatched paths and bugs
with DEBUG on or off."""

import json

import pytest
from django.test import Client

from orders.models import IdempotencyKey, Order, Payment
from shop.messaging.models import OutboxMessage
from tests.bad_input import (
    BROKEN_PATH,
    BROKEN_URLCONF,
    DEEP_JSON,
    FAST_SECONDS,
    assert_contract_error,
    send_json,
    timed,
)
from tests.orders.conftest import MUG_ID
from tests.orders.factories import OrderFactory
from tests.orders.helpers import PLACE_URL, pay_url

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int]:
    return (
        Order.objects.count(),
        OutboxMessage.objects.count(),
        Payment.objects.count(),
        IdempotencyKey.objects.count(),
    )


def test_deeply_nested_json_is_a_fast_400_and_changes_nothing(catalog, customer):
    order = OrderFactory(user_id=customer.user_id, username=customer.username)
    before = counts()

    for url in (PLACE_URL, pay_url(order)):
        response, seconds = timed(
            lambda url=url: send_json(customer.client(), "POST", url, DEEP_JSON)
        )

        assert "nested deeper" in assert_contract_error(response, 400)["detail"]
        assert seconds < FAST_SECONDS
    assert counts() == before


def test_fifty_thousand_empty_lines_are_refused_at_once_with_one_small_error(catalog, customer):
    body = json.dumps({"items": [{}] * 50_000}).encode()
    before = counts()

    response, seconds = timed(lambda: send_json(customer.client(), "POST", PLACE_URL, body))

    assert response.status_code == 400
    assert response.json() == {"items": ["Ensure this field has no more than 50 elements."]}
    assert len(response.content) < 200
    assert seconds < FAST_SECONDS
    assert counts() == before


def test_fifty_one_lines_of_which_some_are_invalid_get_the_line_cap_alone(catalog, customer):
    items = [{"product_id": MUG_ID, "quantity": 1}] * 50 + [{"quantity": 0}]

    response = customer.client().post(PLACE_URL, {"items": items}, format="json")

    assert response.status_code == 400
    assert response.json() == {"items": ["Ensure this field has no more than 50 elements."]}


def test_fifty_lines_are_still_placed(catalog, customer):
    items = [{"product_id": MUG_ID, "quantity": 1}] * 50

    response = customer.client().post(PLACE_URL, {"items": items}, format="json")

    assert response.status_code == 202, response.content


@pytest.mark.parametrize("url", ["/api/orders/%00/", "/api/orders/a%00/pay/"])
def test_a_nul_in_the_path_is_a_json_400(staff, url):
    assert_contract_error(staff.client().get(url), 400)


def test_a_nul_in_a_query_parameter_is_a_field_error(staff):
    response = staff.client().get("/api/orders/?status=%00")

    assert response.status_code == 400
    assert response.json() == {"status": ["Null characters are not allowed."]}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/orders/not-a-uuid/",
        "/api/orders/3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60/x/",
        "/api/nowhere/",
        "/admin/orders/x",
    ],
)
def test_an_unmatched_path_is_a_json_404_in_every_mode(settings, customer, debug, url):
    settings.DEBUG = debug

    for client in (Client(), customer.client()):
        for accept in ("application/json", "text/html"):
            response = client.get(url, HTTP_ACCEPT=accept, follow=True)

            assert assert_contract_error(response, 404) == {"detail": "Not found."}


@pytest.mark.parametrize("debug", [False, True], ids=["debug_off", "debug_on"])
def test_a_bug_is_a_json_500_in_every_mode(settings, debug):
    settings.DEBUG = debug
    settings.ROOT_URLCONF = BROKEN_URLCONF

    response = Client(raise_request_exception=False).get(BROKEN_PATH, HTTP_ACCEPT="text/html")

    assert assert_contract_error(response, 500) == {"detail": "Internal server error."}
