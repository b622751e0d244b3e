"""The inventory API: who may call what, the shapes it answers and what it refuses."""

import uuid

import pytest
from rest_framework.test import APIClient

from inventory import services, tasks
from inventory.models import StockMovement
from shop.messaging.contract import ProductChanged, StockLine
from tests.conftest import Caller
from tests.inventory.factories import StockMovementFactory, StockRecordFactory
from tests.inventory.snapshots import snapshot

pytestmark = pytest.mark.django_db

LIST_URL = "/api/inventory/"
DETAIL_URL = "/api/inventory/42/"
ADJUST_URL = "/api/inventory/42/adjust/"
MOVEMENTS_URL = "/api/inventory/42/movements/"
PUBLIC_FIELDS = {"product_id", "sku", "available"}
STAFF_FIELDS = PUBLIC_FIELDS | {"on_hand", "reserved"}
MOVEMENT_FIELDS = {
    "id",
    "kind",
    "delta_on_hand",
    "delta_reserved",
    "on_hand_after",
    "reserved_after",
    "reason",
    "order_id",
    "actor",
    "created_at",
}


@pytest.fixture
def client_of(request):
    """The API client of a caller named by its fixture: `anonymous`, `customer`, `staff` ..."""

    def client(caller_name: str) -> APIClient:
        caller = request.getfixturevalue(caller_name)
        return caller if isinstance(caller, APIClient) else caller.client()

    return client


STAFF_ONLY = [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("staff", 200)]
EVERYONE = [("anonymous", 200), ("customer", 200), ("other_customer", 200), ("staff", 200)]


@pytest.mark.parametrize(("caller", "status"), STAFF_ONLY)
def test_stock_list_is_for_staff_only(record, client_of, caller, status):
    response = client_of(caller).get(LIST_URL)

    assert response.status_code == status


@pytest.mark.parametrize(("caller", "status"), EVERYONE)
def test_stock_detail_is_public(record, client_of, caller, status):
    response = client_of(caller).get(DETAIL_URL)

    assert response.status_code == status


@pytest.mark.parametrize(("caller", "status"), STAFF_ONLY)
def test_stock_adjust_is_for_staff_only(record, client_of, caller, status):
    before = snapshot(record)

    response = client_of(caller).post(ADJUST_URL, {"delta": 5, "reason": "Delivery"}, format="json")

    assert response.status_code == status
    if status != 200:
        assert snapshot(record) == before


@pytest.mark.parametrize(("caller", "status"), STAFF_ONLY)
def test_stock_movements_are_for_staff_only(record, client_of, caller, status):
    response = client_of(caller).get(MOVEMENTS_URL)

    assert response.status_code == status


def test_anonymous_refusal_asks_for_a_bearer_token(record, anonymous):
    response = anonymous.get(LIST_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"detail"}


def test_customer_refusal_is_a_detail_message(record, customer):
    response = customer.client().post(ADJUST_URL, {"delta": 5, "reason": "x"}, format="json")

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("caller", ["anonymous", "customer"])
def test_stock_detail_shows_only_availability_to_non_staff(record, client_of, caller):
    response = client_of(caller).get(DETAIL_URL)

    assert response.json() == {"product_id": 42, "sku": "MUG-BLUE", "available": 7}


def test_stock_detail_shows_levels_to_staff(record, staff):
    response = staff.client().get(DETAIL_URL)

    assert response.json() == {
        "product_id": 42,
        "sku": "MUG-BLUE",
        "available": 7,
        "on_hand": 10,
        "reserved": 3,
    }


@pytest.mark.parametrize(
    ("method", "url", "caller"),
    [
        ("get", "/api/inventory/999/", "anonymous"),
        ("get", "/api/inventory/999/", "staff"),
        ("post", "/api/inventory/999/adjust/", "staff"),
        ("get", "/api/inventory/999/movements/", "staff"),
        ("get", f"/api/inventory/{10**30}/", "staff"),
        ("post", f"/api/inventory/{10**30}/adjust/", "staff"),
    ],
)
def test_unknown_product_is_not_found(record, client_of, method, url, caller):
    response = getattr(client_of(caller), method)(url, {"delta": 1, "reason": "x"}, format="json")

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert not StockMovement.objects.exists()


def test_stock_detail_refuses_writes(record, staff):
    response = staff.client().put(DETAIL_URL, {"on_hand": 99}, format="json")

    assert response.status_code == 405
    assert snapshot(record).on_hand == 10


def test_stock_list_is_paginated_staff_records_by_product_id(staff):
    StockRecordFactory(product_id=2, sku="B", on_hand=4, reserved=1)
    StockRecordFactory(product_id=1, sku="A", on_hand=9, reserved=0)

    response = staff.client().get(LIST_URL)

    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert body["results"] == [
        {"product_id": 1, "sku": "A", "available": 9, "on_hand": 9, "reserved": 0},
        {"product_id": 2, "sku": "B", "available": 3, "on_hand": 4, "reserved": 1},
    ]


def test_stock_list_clamps_a_huge_page_size(staff):
    StockRecordFactory.create_batch(101)

    response = staff.client().get(LIST_URL, {"page_size": 10_000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


def test_stock_list_with_low_stock_shows_records_with_at_most_that_many_available(staff):
    StockRecordFactory(product_id=1, on_hand=2, reserved=0)
    StockRecordFactory(product_id=2, on_hand=50, reserved=45)
    StockRecordFactory(product_id=3, on_hand=50, reserved=0)

    response = staff.client().get(LIST_URL, {"low_stock": 5})

    assert [result["product_id"] for result in response.json()["results"]] == [1, 2]


@pytest.mark.parametrize("low_stock", ["abc", "-1", "1.5", str(10**30)])
def test_stock_list_refuses_a_bad_low_stock(staff, low_stock):
    response = staff.client().get(LIST_URL, {"low_stock": low_stock})

    assert response.status_code == 400
    assert list(response.json()) == ["low_stock"]


def test_adjust_adds_stock_and_answers_the_new_levels(record, staff):
    response = staff.client().post(ADJUST_URL, {"delta": 5, "reason": "Delivery"}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "product_id": 42,
        "sku": "MUG-BLUE",
        "available": 12,
        "on_hand": 15,
        "reserved": 3,
    }
    movement = StockMovement.objects.get(stock_record=record)
    assert (movement.delta_on_hand, movement.on_hand_after, movement.reserved_after) == (5, 15, 3)
    assert (movement.reason, movement.actor) == ("Delivery", "admin")


def test_adjust_removes_stock(record, staff):
    response = staff.client().post(ADJUST_URL, {"delta": -7, "reason": "Broken"}, format="json")

    assert response.status_code == 200
    assert (response.json()["on_hand"], response.json()["available"]) == (3, 0)
    assert StockMovement.objects.get(stock_record=record).delta_on_hand == -7


def test_adjust_below_reserved_is_a_conflict_that_changes_nothing(record, staff):
    before = snapshot(record)

    response = staff.client().post(ADJUST_URL, {"delta": -8, "reason": "Broken"}, format="json")

    assert response.status_code == 409
    assert set(response.json()) == {"detail"}
    assert "reserved" in response.json()["detail"]
    assert snapshot(record) == before


def test_adjust_below_zero_is_a_conflict_that_changes_nothing(staff):
    record = StockRecordFactory(product_id=42, on_hand=2, reserved=0)
    before = snapshot(record)

    response = staff.client().post(ADJUST_URL, {"delta": -3, "reason": "Broken"}, format="json")

    assert response.status_code == 409
    assert "only 2 on hand" in response.json()["detail"]
    assert snapshot(record) == before


def test_adjust_ignores_levels_sent_in_the_payload(record, staff):
    payload = {"delta": 1, "reason": "Count", "on_hand": 1000, "reserved": 0, "available": 5}

    response = staff.client().post(ADJUST_URL, payload, format="json")

    assert response.status_code == 200
    assert (response.json()["on_hand"], response.json()["reserved"]) == (11, 3)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reason": "Count"}, "delta"),
        ({"delta": None, "reason": "Count"}, "delta"),
        ({"delta": "five", "reason": "Count"}, "delta"),
        ({"delta": 1.5, "reason": "Count"}, "delta"),
        ({"delta": [1], "reason": "Count"}, "delta"),
        ({"delta": True, "reason": "Count"}, "delta"),
        ({"delta": 0, "reason": "Count"}, "delta"),
        ({"delta": 1_000_001, "reason": "Count"}, "delta"),
        ({"delta": -1_000_001, "reason": "Count"}, "delta"),
        ({"delta": 10**30, "reason": "Count"}, "delta"),
        ({"delta": -(10**30), "reason": "Count"}, "delta"),
        ({"delta": 5}, "reason"),
        ({"delta": 5, "reason": None}, "reason"),
        ({"delta": 5, "reason": ""}, "reason"),
        ({"delta": 5, "reason": "   "}, "reason"),
        ({"delta": 5, "reason": "x" * 201}, "reason"),
        ({"delta": 5, "reason": "broken\x00glass"}, "reason"),
        ({"delta": 5, "reason": {"text": "Count"}}, "reason"),
    ],
)
def test_adjust_refuses_bad_input_naming_the_field_and_writes_nothing(
    record, staff, payload, field
):
    before = snapshot(record)

    response = staff.client().post(ADJUST_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert snapshot(record) == before


@pytest.mark.parametrize(
    "body", ['{"delta": 1e400, "reason": "x"}', '{"delta": NaN, "reason": "x"}']
)
def test_adjust_refuses_non_finite_numbers(record, staff, body):
    before = snapshot(record)

    response = staff.client().post(ADJUST_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert snapshot(record) == before


def test_adjust_refuses_malformed_json(record, staff):
    before = snapshot(record)

    response = staff.client().post(ADJUST_URL, '{"delta": ', content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert snapshot(record) == before


def test_adjust_accepts_the_longest_reason(record, staff):
    response = staff.client().post(ADJUST_URL, {"delta": 1, "reason": "x" * 200}, format="json")

    assert response.status_code == 200


def test_movements_are_paginated_newest_first_with_every_detail(record, staff):
    client = staff.client()
    client.post(ADJUST_URL, {"delta": 5, "reason": "Delivery"}, format="json")
    client.post(ADJUST_URL, {"delta": -2, "reason": "Broken"}, format="json")
    reservation = StockMovementFactory(
        stock_record=record,
        kind=StockMovement.Kind.RESERVATION,
        delta_on_hand=0,
        delta_reserved=2,
        on_hand_after=13,
        reserved_after=5,
        reason="",
        actor="",
        order_id="7c9e6679-7425-40de-944b-e07fc1f90ae7",
    )
    StockMovementFactory()  # another product's movement

    response = client.get(MOVEMENTS_URL)

    body = response.json()
    assert body["count"] == 3
    results = body["results"]
    assert all(set(result) == MOVEMENT_FIELDS for result in results)
    assert results[0]["id"] == reservation.pk
    assert results[0]["order_id"] == "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert [(r["kind"], r["delta_on_hand"], r["reason"], r["actor"]) for r in results[1:]] == [
        ("adjustment", -2, "Broken", "admin"),
        ("adjustment", 5, "Delivery", "admin"),
    ]
    assert (results[1]["on_hand_after"], results[1]["reserved_after"]) == (13, 3)


def test_movements_page_size_is_clamped(record, staff):
    StockMovementFactory.create_batch(101, stock_record=record)

    response = staff.client().get(MOVEMENTS_URL, {"page_size": 500})

    assert len(response.json()["results"]) == 100
    assert response.json()["next"] is not None


def test_customer_token_does_not_make_a_staff_caller(record):
    # Staff status comes from the signed claims alone, never from a username.
    impostor = Caller(user_id=1, username="admin", is_staff=False)

    response = impostor.client().post(ADJUST_URL, {"delta": 5, "reason": "x"}, format="json")

    assert response.status_code == 403


def test_movements_show_the_order_sagas_changes_with_their_order_id(record, staff):
    paid, cancelled = "7c9e6679-7425-40de-944b-e07fc1f90ae7", "16fd2706-8baf-433b-82eb-8c7fada847da"
    for order_id in (paid, cancelled):
        services.stock_reserve(order_id=order_id, lines=[StockLine(product_id=42, quantity=2)])
    services.stock_commit(order_id=paid)
    services.stock_release(order_id=cancelled, reason="cancelled")

    response = staff.client().get(MOVEMENTS_URL)

    results = response.json()["results"]
    assert [
        (r["kind"], r["order_id"], r["delta_on_hand"], r["delta_reserved"], r["actor"])
        for r in results
    ] == [
        ("release", cancelled, 0, -2, "saga"),
        ("commit", paid, -2, -2, "saga"),
        ("reservation", cancelled, 0, 2, "saga"),
        ("reservation", paid, 0, 2, "saga"),
    ]
    assert (results[0]["on_hand_after"], results[0]["reserved_after"]) == (8, 3)


def _product_event(*, version: int, is_active: bool) -> None:
    # As the products service publishes it, through inventory's consumer.
    event = ProductChanged(
        product_id=42,
        version=version,
        sku="SECRET-LAUNCH",
        name="Not yet announced",
        price="10.00",
        currency="USD",
        is_active=is_active,
    )
    result = tasks.on_product_changed.apply(kwargs=event.to_payload(), task_id=str(uuid.uuid4()))
    assert result.successful(), result.traceback


@pytest.mark.parametrize(
    ("caller", "status"),
    [("anonymous", 404), ("customer", 404), ("other_customer", 404), ("staff", 200)],
)
def test_stock_of_a_product_the_catalog_hides_is_404_except_to_staff(client_of, caller, status):
    # given a product created hidden in the catalog, and stock for it
    _product_event(version=1, is_active=False)
    services.stock_adjust(product_id=42, delta=5, reason="delivery", actor="admin")

    response = client_of(caller).get(DETAIL_URL)

    assert response.status_code == status
    if status == 404:
        # the same answer as an unknown id: neither its SKU nor that it exists
        assert response.json() == client_of(caller).get("/api/inventory/999/").json()
        assert "SECRET-LAUNCH" not in response.content.decode()
    else:
        assert response.json()["sku"] == "SECRET-LAUNCH"


def test_stock_follows_the_catalog_when_a_product_is_hidden_and_shown_again(anonymous):
    _product_event(version=1, is_active=True)
    assert anonymous.get(DETAIL_URL).status_code == 200

    _product_event(version=2, is_active=False)
    assert anonymous.get(DETAIL_URL).status_code == 404

    # an older event arriving late does not show it again
    _product_event(version=1, is_active=True)
    assert anonymous.get(DETAIL_URL).status_code == 404

    _product_event(version=3, is_active=True)
    assert anonymous.get(DETAIL_URL).status_code == 200
