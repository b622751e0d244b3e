"""Hoarding: a customer holds at most ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER open orders and at
most ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT units of a product in them; one more is 409 and
changes nothing, also when two placements race for the last place."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderStatus
from orders.services import order_place
from shop.errors import Conflict
from shop.messaging.models import OutboxMessage
from tests.orders.conftest import MUG_ID, TEE_ID
from tests.orders.factories import OrderFactory
from tests.orders.helpers import ALICE, BOB, PLACE_URL
from tests.orders.test_concurrency import run_at_once

MUG = {"product_id": MUG_ID, "quantity": 1}


def place(items, *, who=ALICE, key=None):
    return order_place(principal=who, items=items, idempotency_key=key)


def written() -> tuple[int, int]:
    return Order.objects.count(), OutboxMessage.objects.count()


@pytest.mark.django_db
def test_the_eleventh_open_order_is_409_and_changes_nothing(catalog, customer):
    client = customer.client()
    for _ in range(10):
        assert client.post(PLACE_URL, {"items": [MUG]}, format="json").status_code == 202
    before = written()

    response = client.post(PLACE_URL, {"items": [MUG]}, format="json")

    assert response.status_code == 409
    assert list(response.json()) == ["detail"]
    assert "10 open orders" in response.json()["detail"]
    assert written() == before


@pytest.mark.django_db
def test_orders_no_longer_open_do_not_count(catalog):
    for status in (OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.EXPIRED, "rejected"):
        OrderFactory(user_id=ALICE.user_id, status=status)
    open_orders = [place([MUG])[0] for _ in range(10)]
    with pytest.raises(Conflict):
        place([MUG])

    Order.objects.filter(pk=open_orders[0].pk).update(status=OrderStatus.CANCELLED)

    order, _ = place([MUG])
    assert order.status == OrderStatus.PENDING


@pytest.mark.django_db
def test_the_cap_is_per_customer(catalog):
    for _ in range(10):
        place([MUG])

    order, _ = place([MUG], who=BOB)

    assert order.user_id == int(BOB.id)


@pytest.mark.django_db
def test_a_replayed_idempotency_key_is_answered_at_the_cap(catalog):
    first, _ = place([MUG], key="checkout-1")
    for _ in range(9):
        place([MUG])

    replayed, is_replay = place([MUG], key="checkout-1")

    assert (replayed.pk, is_replay) == (first.pk, True)


@pytest.mark.django_db
def test_units_of_one_product_over_open_orders_are_capped(settings, catalog, customer):
    settings.ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT = 1000
    client = customer.client()
    first = client.post(
        PLACE_URL, {"items": [{"product_id": MUG_ID, "quantity": 1000}]}, format="json"
    )
    assert first.status_code == 202
    before = written()

    second = client.post(
        PLACE_URL, {"items": [{"product_id": MUG_ID, "quantity": 1}]}, format="json"
    )

    assert second.status_code == 409
    assert f"Product {MUG_ID}" in second.json()["detail"]
    assert written() == before
    # Other products are not held by it.
    other = client.post(
        PLACE_URL, {"items": [{"product_id": TEE_ID, "quantity": 1000}]}, format="json"
    )
    assert other.status_code == 202


@pytest.mark.django_db
def test_caps_of_zero_never_refuse(settings, catalog):
    settings.ORDERS_MAX_OPEN_ORDERS_PER_CUSTOMER = 0
    settings.ORDERS_MAX_OPEN_UNITS_PER_CUSTOMER_PRODUCT = 0

    for _ in range(12):
        place([{"product_id": MUG_ID, "quantity": 1000}])

    assert Order.objects.count() == 12


@pytest.mark.django_db
def test_the_caps_cost_one_query_and_a_lock(catalog):
    place([MUG])

    with CaptureQueriesContext(connection) as queries:
        place([MUG, {"product_id": TEE_ID, "quantity": 2}])

    checks = [
        q["sql"] for q in queries if "pg_advisory_xact_lock" in q["sql"] or "COUNT(" in q["sql"]
    ]
    assert len(checks) == 2, checks


@pytest.mark.django_db(transaction=True)
def test_two_placements_racing_for_the_last_open_place_let_exactly_one_in(catalog):
    for _ in range(9):
        place([MUG])

    results = run_at_once(lambda: place([MUG]), lambda: place([MUG]))

    refused = [result for result in results if isinstance(result, Conflict)]
    placed = [result for result in results if isinstance(result, tuple)]
    assert (len(refused), len(placed)) == (1, 1), results
    assert Order.objects.filter(user_id=int(ALICE.id)).count() == 10
