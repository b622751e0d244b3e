"""A browser signed in through the SSO cookie is the same caller as that account's JWT: its
shadow user's id is the account's id, so its principal (`Principal.of`) scopes orders alike."""

import pytest
from django.conf import settings
from django.test import Client

from orders.models import Order
from tests.orders.factories import OrderFactory
from tests.tokens import sso_token

pytestmark = pytest.mark.django_db

ALICE_ID, BOB_ID, STAFF_ID = 5151, 5252, 4242


def browser(*, user_id: int, username: str, is_staff: bool = False, **options) -> Client:
    client = Client(**options)
    client.cookies["shop_sso"] = sso_token(user_id=user_id, username=username, is_staff=is_staff)
    return client


def alice_browser(**options) -> Client:
    return browser(user_id=ALICE_ID, username="alice", **options)


def listed_ids(response) -> set[str]:
    return {order["id"] for order in response.json()["results"]}


def test_customer_session_lists_exactly_their_own_orders():
    own = OrderFactory(user_id=ALICE_ID, username="alice")
    OrderFactory(user_id=BOB_ID, username="bob")

    response = alice_browser().get("/api/orders/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert listed_ids(response) == {str(own.id)}


def test_customer_session_sees_own_order_and_not_anothers():
    own = OrderFactory(user_id=ALICE_ID, username="alice")
    foreign = OrderFactory(user_id=BOB_ID, username="bob")
    client = alice_browser()

    assert client.get(f"/api/orders/{own.id}/", HTTP_ACCEPT="application/json").status_code == 200
    assert client.get(f"/api/orders/{foreign.id}/").status_code == 404


def test_browsable_api_page_shows_the_customers_order():
    own = OrderFactory(user_id=ALICE_ID, username="alice")

    response = alice_browser().get("/api/orders/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert str(own.id) in response.content.decode()
    assert response.wsgi_request.user.id == ALICE_ID


def test_staff_session_lists_everyones_orders_and_filters_by_account_id():
    alices = OrderFactory(user_id=ALICE_ID, username="alice")
    bobs = OrderFactory(user_id=BOB_ID, username="bob")
    client = browser(user_id=STAFF_ID, username="admin", is_staff=True)

    everyone = client.get("/api/orders/", HTTP_ACCEPT="application/json")
    only_alice = client.get("/api/orders/", {"user": ALICE_ID}, HTTP_ACCEPT="application/json")

    assert listed_ids(everyone) == {str(alices.id), str(bobs.id)}
    assert listed_ids(only_alice) == {str(alices.id)}


def test_order_placed_in_a_browser_session_belongs_to_the_account(catalog):
    client = alice_browser(enforce_csrf_checks=True)
    client.get("/api/orders/", HTTP_ACCEPT="text/html")

    response = client.post(
        "/api/orders/",
        {"items": [{"product_id": catalog["mug"].product_id, "quantity": 1}]},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value,
    )

    assert response.status_code == 202
    order = Order.objects.get()
    assert (order.user_id, order.username) == (ALICE_ID, "alice")


def test_staff_cookie_opens_the_orders_admin():
    OrderFactory(user_id=ALICE_ID, username="alice")
    client = browser(user_id=STAFF_ID, username="admin", is_staff=True)

    response = client.get("/admin/orders/orders/order/")

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 1
