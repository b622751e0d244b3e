"""GET /api/orders/ and /api/orders/{id}/: who may see what, and exactly what they see."""

from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import Order, OrderStatus
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/orders/"


def detail_url(order_id: object) -> str:
    return f"/api/orders/{order_id}/"


def client_of(request: pytest.FixtureRequest, caller_name: str) -> APIClient:
    caller = request.getfixturevalue(caller_name)
    return caller if isinstance(caller, APIClient) else caller.client()


def drf_datetime(value: object) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def result_ids(response) -> set[str]:
    return {result["id"] for result in response.json()["results"]}


@pytest.fixture
def alices_order(customer) -> Order:
    return OrderFactory(user_id=customer.user_id, username=customer.username)


@pytest.fixture
def bobs_order(other_customer) -> Order:
    return OrderFactory(user_id=other_customer.user_id, username=other_customer.username)


@pytest.mark.parametrize(
    ("caller_name", "expected_status"),
    [("anonymous", 401), ("customer", 200), ("other_customer", 404), ("staff", 200)],
)
def test_order_detail_answers_each_caller(request, alices_order, caller_name, expected_status):
    response = client_of(request, caller_name).get(detail_url(alices_order.id))

    assert response.status_code == expected_status
    if expected_status == 200:
        assert response.json()["id"] == str(alices_order.id)
    else:
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("caller_name", "expected_status", "expected_owners"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"alice"}),
        ("other_customer", 200, {"bob"}),
        ("staff", 200, {"alice", "bob"}),
    ],
)
def test_order_list_shows_each_caller_only_what_they_may_see(
    request, alices_order, bobs_order, caller_name, expected_status, expected_owners
):
    owners = {str(alices_order.id): "alice", str(bobs_order.id): "bob"}

    response = client_of(request, caller_name).get(LIST_URL)

    assert response.status_code == expected_status
    if expected_owners is not None:
        assert {owners[order_id] for order_id in result_ids(response)} == expected_owners


def test_anonymous_is_told_to_bring_a_bearer_token(anonymous):
    response = anonymous.get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_order_detail_answers_foreign_and_missing_orders_identically(other_customer, alices_order):
    client = other_customer.client()

    foreign = client.get(detail_url(alices_order.id))
    missing = client.get(detail_url(uuid4()))

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not found."}


def test_order_detail_answers_404_for_non_uuid_id(customer):
    response = customer.client().get("/api/orders/12345/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_order_detail_has_exact_shape_with_money_as_strings(customer):
    order = OrderFactory(
        user_id=customer.user_id,
        lines=[
            {"product_id": 7, "sku": "MUG-1", "name": "Mug", "unit_price": Decimal("19.99")},
            {
                "product_id": 8,
                "sku": "TEA-2",
                "name": "Tea",
                "unit_price": Decimal("4.50"),
                "quantity": 3,
            },
        ],
    )
    order.refresh_from_db()
    history = list(order.history.all())

    response = customer.client().get(detail_url(order.id))

    assert response.status_code == 200
    assert response.json() == {
        "id": str(order.id),
        "status": "awaiting_payment",
        "items": [
            {
                "product_id": 7,
                "sku": "MUG-1",
                "name": "Mug",
                "unit_price": "19.99",
                "quantity": 1,
                "line_total": "19.99",
            },
            {
                "product_id": 8,
                "sku": "TEA-2",
                "name": "Tea",
                "unit_price": "4.50",
                "quantity": 3,
                "line_total": "13.50",
            },
        ],
        "total": "33.49",
        "currency": "USD",
        "created_at": drf_datetime(order.created_at),
        "updated_at": drf_datetime(order.updated_at),
        "reserved_until": drf_datetime(order.reserved_until),
        "history": [
            {"status": "pending", "at": drf_datetime(history[0].at), "reason": "placed"},
            {
                "status": "awaiting_payment",
                "at": drf_datetime(history[1].at),
                "reason": "stock reserved",
            },
        ],
    }


def test_order_detail_of_pending_order_has_null_reservation(customer):
    order = OrderFactory(user_id=customer.user_id, status=OrderStatus.PENDING, reserved_until=None)

    body = customer.client().get(detail_url(order.id)).json()

    assert body["reserved_until"] is None
    assert [change["status"] for change in body["history"]] == ["pending"]


def test_order_list_results_have_the_detail_shape(customer, alices_order):
    client = customer.client()

    listed = client.get(LIST_URL).json()
    detail = client.get(detail_url(alices_order.id)).json()

    assert set(listed) == {"count", "next", "previous", "results"}
    assert listed["results"] == [detail]


def test_order_list_is_newest_first(customer):
    now = timezone.now()
    orders = OrderFactory.create_batch(3, user_id=customer.user_id)
    for age_days, order in enumerate(orders):
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(days=age_days))

    response = customer.client().get(LIST_URL)

    assert [result["id"] for result in response.json()["results"]] == [
        str(order.id) for order in orders
    ]


def test_order_list_filters_by_status(customer):
    paid = OrderFactory(user_id=customer.user_id, status=OrderStatus.PAID)
    OrderFactory(user_id=customer.user_id, status=OrderStatus.CANCELLED)
    OrderFactory(user_id=2002, username="carol", status=OrderStatus.PAID)

    response = customer.client().get(LIST_URL, {"status": "paid"})

    assert response.status_code == 200
    assert result_ids(response) == {str(paid.id)}


def test_order_list_rejects_unknown_status(customer):
    response = customer.client().get(LIST_URL, {"status": "shipped"})

    assert response.status_code == 400
    assert response.json() == {"status": ['"shipped" is not a valid choice.']}


def test_order_list_lets_staff_narrow_to_one_user(staff, alices_order, bobs_order):
    response = staff.client().get(LIST_URL, {"user": bobs_order.user_id})

    assert response.status_code == 200
    assert result_ids(response) == {str(bobs_order.id)}


def test_order_list_ignores_user_parameter_for_customer(customer, alices_order, bobs_order):
    response = customer.client().get(LIST_URL, {"user": bobs_order.user_id})

    assert response.status_code == 200
    assert result_ids(response) == {str(alices_order.id)}


def test_order_list_rejects_non_numeric_user(staff):
    response = staff.client().get(LIST_URL, {"user": "alice"})

    assert response.status_code == 400
    assert set(response.json()) == {"user"}


def test_order_list_clamps_page_size_to_100(customer):
    Order.objects.bulk_create(
        Order(user_id=customer.user_id, username=customer.username, total=Decimal("0.00"))
        for _ in range(101)
    )

    body = customer.client().get(LIST_URL, {"page_size": 1000}).json()

    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None


def test_order_list_pages_by_20_by_default(customer):
    Order.objects.bulk_create(
        Order(user_id=customer.user_id, username=customer.username, total=Decimal("0.00"))
        for _ in range(21)
    )

    body = customer.client().get(LIST_URL).json()

    assert len(body["results"]) == 20
    assert body["next"] is not None


@pytest.mark.parametrize("caller_name", ["customer", "staff"])
def test_order_list_query_count_does_not_grow_with_orders(
    request, django_assert_max_num_queries, caller_name
):
    client = client_of(request, caller_name)
    OrderFactory(user_id=1001)
    # Count, page, lines, history.
    with django_assert_max_num_queries(4) as with_one_order:
        client.get(LIST_URL)
    OrderFactory.create_batch(10, user_id=1001)

    with django_assert_max_num_queries(4) as with_many_orders:
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == 11
    assert len(with_many_orders.captured_queries) == len(with_one_order.captured_queries)


@pytest.mark.parametrize(
    ("target", "method"),
    [
        *(("list", method) for method in ("put", "patch", "delete")),
        *(("detail", method) for method in ("post", "put", "patch", "delete")),
    ],
)
def test_orders_cannot_be_rewritten_through_the_api(customer, alices_order, target, method):
    total_before = alices_order.total
    url = LIST_URL if target == "list" else detail_url(alices_order.id)

    response = getattr(customer.client(), method)(
        url, {"total": "0.01", "status": "paid"}, format="json"
    )

    assert response.status_code == 405
    alices_order.refresh_from_db()
    assert (alices_order.status, alices_order.total) == (OrderStatus.AWAITING_PAYMENT, total_before)
