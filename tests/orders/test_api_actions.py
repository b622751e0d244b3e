"""POST /api/orders/, /api/orders/{id}/pay/ and /cancel/: who may, what is refused, and that a
refused request writes nothing."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from rest_framework.test import APIClient

from orders.models import IdempotencyKey, Order, OrderStatus, OrderStatusChange, Payment
from shop.messaging.contract import (
    INVENTORY_STOCK_COMMIT,
    INVENTORY_STOCK_RELEASE,
    INVENTORY_STOCK_RESERVE,
    USERS_NOTIFICATION_SEND,
)
from shop.messaging.models import OutboxMessage
from tests.orders.conftest import MUG_ID, RETIRED_ID, TEE_ID
from tests.orders.factories import OrderFactory
from tests.orders.helpers import (
    DECLINING_CARD,
    PLACE_URL,
    SUCCEEDING_CARD,
    UNKNOWN_CARD,
    cancel_url,
    detail_url,
    drain_outbox,
    outbox_messages,
    pay_url,
)

pytestmark = pytest.mark.django_db

MUG_LINE = {"product_id": MUG_ID, "quantity": 2}


def client_of(request: pytest.FixtureRequest, caller_name: str) -> APIClient:
    caller = request.getfixturevalue(caller_name)
    return caller if isinstance(caller, APIClient) else caller.client()


def counts() -> tuple[int, int, int, int]:
    return (
        Order.objects.count(),
        OutboxMessage.objects.count(),
        Payment.objects.count(),
        IdempotencyKey.objects.count(),
    )


@pytest.fixture
def alices_order(customer) -> Order:
    order = OrderFactory(user_id=customer.user_id, username=customer.username)
    # Placed and reserved a while ago, so that the steps taken now come last in the history.
    OrderStatusChange.objects.filter(order=order).update(at=F("at") - timedelta(minutes=5))
    return order


# Placement


@pytest.mark.parametrize(
    ("caller_name", "expected_status"),
    [("anonymous", 401), ("customer", 202), ("other_customer", 202), ("staff", 202)],
)
def test_place_answers_each_caller(request, catalog, caller_name, expected_status):
    response = client_of(request, caller_name).post(PLACE_URL, {"items": [MUG_LINE]}, format="json")

    assert response.status_code == expected_status
    assert Order.objects.count() == (1 if expected_status == 202 else 0)


def test_place_answers_202_with_the_pending_order_and_its_location(catalog, customer):
    response = customer.client().post(
        PLACE_URL,
        {"items": [MUG_LINE, {"product_id": TEE_ID, "quantity": 1}], "shipping_address": "Here"},
        format="json",
    )

    assert response.status_code == 202
    body = response.json()
    order = Order.objects.get()
    assert response["Location"] == f"/api/orders/{order.id}/"
    assert body["id"] == str(order.id)
    assert (body["status"], body["total"], body["currency"]) == ("pending", "45.00", "USD")
    assert body["items"] == [
        {
            "product_id": MUG_ID,
            "sku": "MUG-1",
            "name": "Mug",
            "unit_price": "12.50",
            "quantity": 2,
            "line_total": "25.00",
        },
        {
            "product_id": TEE_ID,
            "sku": "TEE-1",
            "name": "T-shirt",
            "unit_price": "20.00",
            "quantity": 1,
            "line_total": "20.00",
        },
    ]
    assert [(step["status"], step["reason"]) for step in body["history"]] == [("pending", "placed")]
    assert body == customer.client().get(response["Location"]).json()
    assert [task for task, _ in outbox_messages()] == [INVENTORY_STOCK_RESERVE]


def test_place_ignores_prices_totals_status_and_owner_sent_by_the_client(catalog, customer):
    response = customer.client().post(
        PLACE_URL,
        {
            "items": [{**MUG_LINE, "unit_price": "0.01", "line_total": "0.01", "name": "Free"}],
            "total": "0.01",
            "status": "paid",
            "user_id": 1002,
            "currency": "EUR",
            "reserved_until": "2999-01-01T00:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 202
    order = Order.objects.get()
    assert (order.status, order.total, order.currency, order.user_id) == (
        "pending",
        Decimal("25.00"),
        "USD",
        1001,
    )
    assert order.reserved_until is None
    assert order.lines.get().name == "Mug"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "mug"}, "items"),
        ({"items": [{"product_id": MUG_ID}]}, "items"),
        ({"items": [{"quantity": 1}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": 0}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": -1}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": 1001}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": "x"}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": 1.5}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": 10**30}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": None}]}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": True}]}, "items"),
        ({"items": [{"product_id": 10**30, "quantity": 1}]}, "items"),
        ({"items": [{"product_id": "1\x00", "quantity": 1}]}, "items"),
        ({"items": [{"product_id": "mug", "quantity": 1}]}, "items"),
        ({"items": [MUG_LINE] * 51}, "items"),
        ({"items": [{"product_id": MUG_ID, "quantity": 600}] * 2}, "items"),
        ({"items": [{"product_id": 999, "quantity": 1}]}, "items"),
        ({"items": [{"product_id": RETIRED_ID, "quantity": 1}]}, "items"),
        ({"items": [MUG_LINE], "shipping_address": "1 Main\x00 Street"}, "shipping_address"),
        ({"items": [MUG_LINE], "shipping_address": "x" * 1001}, "shipping_address"),
        ({"items": [MUG_LINE], "shipping_address": ["a"]}, "shipping_address"),
    ],
    ids=[
        "no_body",
        "no_items",
        "items_not_a_list",
        "no_quantity",
        "no_product_id",
        "quantity_0",
        "quantity_negative",
        "quantity_1001",
        "quantity_x",
        "quantity_fraction",
        "quantity_10e30",
        "quantity_null",
        "quantity_boolean",
        "product_id_10e30",
        "product_id_nul",
        "product_id_text",
        "51_lines",
        "merged_quantity_1200",
        "unknown_product",
        "inactive_product",
        "address_nul",
        "address_too_long",
        "address_not_text",
    ],
)
def test_place_refuses_bad_input_naming_the_field_and_writes_nothing(
    catalog, customer, body, field
):
    before = counts()

    response = customer.client().post(PLACE_URL, body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert counts() == before


def test_place_names_the_unknown_product(catalog, customer):
    response = customer.client().post(
        PLACE_URL, {"items": [{"product_id": 999, "quantity": 1}]}, format="json"
    )

    assert response.json() == {"items": ["Product 999 does not exist."]}


def test_place_refuses_a_body_that_is_not_json(catalog, customer):
    response = customer.client().post(PLACE_URL, b'{"items": [', content_type="application/json")

    assert response.status_code == 400
    assert counts() == (0, 0, 0, 0)


def test_place_sheds_load_with_503_and_retry_after_when_backlogged(catalog, customer, settings):
    settings.ORDERS_MAX_PENDING_ORDERS = 1
    settings.ORDERS_BACKLOG_CHECK_SECONDS = 0
    client = customer.client()
    for _ in range(2):
        assert client.post(PLACE_URL, {"items": [MUG_LINE]}, format="json").status_code == 202

    response = client.post(PLACE_URL, {"items": [MUG_LINE]}, format="json")

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert set(response.json()) == {"detail"}
    assert Order.objects.count() == 2
    assert OutboxMessage.objects.count() == 2


def test_same_idempotency_key_and_body_answers_the_same_order(catalog, customer):
    client = customer.client()
    body = {"items": [MUG_LINE], "shipping_address": "Here"}

    first = client.post(PLACE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="checkout-1")
    again = client.post(PLACE_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="checkout-1")

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert counts() == (1, 1, 0, 1)


def test_same_idempotency_key_with_another_body_is_409(catalog, customer):
    client = customer.client()
    client.post(PLACE_URL, {"items": [MUG_LINE]}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = client.post(
        PLACE_URL,
        {"items": [{"product_id": MUG_ID, "quantity": 3}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert counts() == (1, 1, 0, 1)


def test_idempotency_key_longer_than_255_is_refused(catalog, customer):
    response = customer.client().post(
        PLACE_URL, {"items": [MUG_LINE]}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert response.status_code == 400
    assert set(response.json()) == {"Idempotency-Key"}
    assert counts() == (0, 0, 0, 0)


# Payment


@pytest.mark.parametrize(
    ("caller_name", "expected_status"),
    [("anonymous", 401), ("customer", 200), ("other_customer", 404), ("staff", 404)],
)
def test_pay_answers_each_caller(request, provider, alices_order, caller_name, expected_status):
    response = client_of(request, caller_name).post(
        pay_url(alices_order), {"card_number": SUCCEEDING_CARD}, format="json"
    )

    assert response.status_code == expected_status
    alices_order.refresh_from_db()
    is_paid = expected_status == 200
    assert alices_order.status == (OrderStatus.PAID if is_paid else OrderStatus.AWAITING_PAYMENT)
    assert len(provider.charges) == (1 if is_paid else 0)


def test_pay_answers_the_paid_order_and_commits_its_stock(provider, customer, alices_order):
    response = customer.client().post(
        pay_url(alices_order),
        {"card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2099, "cvc": "123"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "paid"
    assert body["history"][-1]["status"] == "paid"
    assert body["history"][-1]["reason"] == "payment captured"
    assert [task for task, _ in outbox_messages()] == [
        INVENTORY_STOCK_COMMIT,
        USERS_NOTIFICATION_SEND,
    ]
    payment = Payment.objects.get()
    assert payment.card_last4 == "4242"
    assert SUCCEEDING_CARD not in str(Payment.objects.values().get())


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        (DECLINING_CARD, "card declined"),
        (UNKNOWN_CARD, "card not accepted by the test provider"),
    ],
)
def test_declined_card_is_402_and_the_order_stays_payable(
    provider, customer, alices_order, card, reason
):
    client = customer.client()

    declined = client.post(pay_url(alices_order), {"card_number": card}, format="json")

    assert declined.status_code == 402
    # One message for every decline (issue 9): the provider's reason is kept for staff only.
    assert declined.json() == {"detail": "The card was declined."}
    assert Payment.objects.get().failure_reason == reason
    alices_order.refresh_from_db()
    assert alices_order.status == OrderStatus.AWAITING_PAYMENT
    assert list(Payment.objects.values_list("status", "card_last4")) == [("declined", card[-4:])]
    assert outbox_messages() == []

    paid = client.post(pay_url(alices_order), {"card_number": SUCCEEDING_CARD}, format="json")

    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "card_number"),
        ({"card_number": ""}, "card_number"),
        ({"card_number": "4242abcd42424242"}, "card_number"),
        ({"card_number": "42424242424"}, "card_number"),
        ({"card_number": "4242424242424242424"[:-1] + "42"}, "card_number"),
        ({"card_number": "4242424242424241"}, "card_number"),
        ({"card_number": "4242424242424242\x00"}, "card_number"),
        ({"card_number": "4" * 41}, "card_number"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": 13}, "exp_month"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": 0}, "exp_month"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": "x"}, "exp_month"),
        ({"card_number": SUCCEEDING_CARD, "exp_year": 1999}, "exp_year"),
        ({"card_number": SUCCEEDING_CARD, "exp_month": 1, "exp_year": 2020}, "exp_year"),
        ({"card_number": SUCCEEDING_CARD, "cvc": "12"}, "cvc"),
        ({"card_number": SUCCEEDING_CARD, "cvc": "12345"}, "cvc"),
        ({"card_number": SUCCEEDING_CARD, "cvc": "abc"}, "cvc"),
    ],
    ids=[
        "no_card",
        "empty",
        "letters",
        "11_digits",
        "20_digits",
        "bad_checksum",
        "nul",
        "41_characters",
        "month_13",
        "month_0",
        "month_x",
        "year_1999",
        "expired",
        "cvc_short",
        "cvc_long",
        "cvc_letters",
    ],
)
def test_pay_refuses_bad_card_naming_the_field_and_charges_nothing(
    provider, customer, alices_order, body, field
):
    before = counts()

    response = customer.client().post(pay_url(alices_order), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {field}
    assert counts() == before
    assert provider.charges == []
    alices_order.refresh_from_db()
    assert alices_order.status == OrderStatus.AWAITING_PAYMENT


def test_someone_elses_order_is_404_even_with_a_bad_card(other_customer, alices_order):
    response = other_customer.client().post(pay_url(alices_order), {}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "status",
    [
        OrderStatus.PENDING,
        OrderStatus.PAID,
        OrderStatus.CANCELLED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
    ],
)
def test_pay_is_409_unless_awaiting_payment(provider, customer, status):
    order = OrderFactory(user_id=customer.user_id, status=status)

    response = customer.client().post(
        pay_url(order), {"card_number": SUCCEEDING_CARD}, format="json"
    )

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert provider.charges == []


# Cancel


@pytest.mark.parametrize(
    ("caller_name", "expected_status"),
    [("anonymous", 401), ("customer", 200), ("other_customer", 404), ("staff", 200)],
)
def test_cancel_answers_each_caller(request, alices_order, caller_name, expected_status):
    response = client_of(request, caller_name).post(cancel_url(alices_order))

    assert response.status_code == expected_status
    alices_order.refresh_from_db()
    is_cancelled = expected_status == 200
    assert alices_order.status == (
        OrderStatus.CANCELLED if is_cancelled else OrderStatus.AWAITING_PAYMENT
    )
    assert [task for task, _ in drain_outbox()] == (
        [INVENTORY_STOCK_RELEASE] if is_cancelled else []
    )


def test_cancel_answers_the_cancelled_order_with_its_history(customer, alices_order):
    response = customer.client().post(cancel_url(alices_order), {"status": "paid"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["history"][-1]["reason"] == "cancelled by customer"
    assert body == customer.client().get(detail_url(alices_order)).json()


@pytest.mark.parametrize(
    "status", [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED]
)
def test_cancel_is_409_past_payment(customer, status):
    order = OrderFactory(user_id=customer.user_id, status=status)

    response = customer.client().post(cancel_url(order))

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"This order is {status}; only a pending order or one awaiting payment "
        "can be cancelled."
    }
    assert outbox_messages() == []


@pytest.mark.parametrize("action", ["pay", "cancel"])
def test_actions_answer_get_with_405(customer, alices_order, action):
    response = customer.client().get(f"/api/orders/{alices_order.id}/{action}/")

    assert response.status_code == 405


def test_browsable_api_offers_the_placement_form(customer):
    response = customer.client().get(PLACE_URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="shipping_address"' in page
    assert 'name="total"' not in page


def test_place_sheds_a_request_that_waited_too_long_behind_the_gateway(catalog, customer, settings):
    settings.ORDERS_MAX_QUEUE_SECONDS = 0.25
    stamped = f"t={time.time() - 1:.3f}"

    response = customer.client().post(
        PLACE_URL, {"items": [MUG_LINE]}, format="json", HTTP_X_REQUEST_START=stamped
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert set(response.json()) == {"detail"}
    assert Order.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("stamp", ["", "t=nonsense", "t=9999999999.000"])
def test_place_takes_a_request_without_a_usable_start_stamp(catalog, customer, settings, stamp):
    settings.ORDERS_MAX_QUEUE_SECONDS = 0.25

    response = customer.client().post(
        PLACE_URL, {"items": [MUG_LINE]}, format="json", HTTP_X_REQUEST_START=stamp
    )

    assert response.status_code == 202


def test_place_takes_a_fresh_request(catalog, customer, settings):
    settings.ORDERS_MAX_QUEUE_SECONDS = 0.25

    response = customer.client().post(
        PLACE_URL, {"items": [MUG_LINE]}, format="json", HTTP_X_REQUEST_START=f"t={time.time():.3f}"
    )

    assert response.status_code == 202
