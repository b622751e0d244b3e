"""Every path of an order through the real stack: HTTP in, Celery over RabbitMQ between services."""

import time
from decimal import Decimal

from tests.harness import wait_for

PAYING_CARD = "4242424242424242"
DECLINING_CARD = "4000000000000002"


def statuses(order: dict) -> list[str]:
    return [step["status"] for step in order["history"]]


def movement_kinds(shop, product_id: int, order_id: str) -> list[str]:
    return sorted(m["kind"] for m in shop.movements(product_id) if m["order_id"] == order_id)


def pay(shop, token, order_id, card=PAYING_CARD):
    return shop.api.call(
        "POST", "orders", f"/api/orders/{order_id}/pay/", token=token, json={"card_number": card}
    )


def test_a_new_product_reaches_inventory_and_orders_within_two_seconds(shop):
    started = time.monotonic()
    response = shop.api.call(
        "POST",
        "products",
        "/api/products/",
        token=shop.staff_token,
        json={"sku": "SAGA-FAST-1", "name": "Fast", "price": "3.50"},
    )
    product_id = response.json()["id"]

    stock = wait_for(
        lambda: (
            (r := shop.api.call("GET", "inventory", f"/api/inventory/{product_id}/")).status_code
            == 200
            and r.json()
        ),
        timeout=2,
        what="the stock record",
    )
    wait_for(
        lambda: shop.query(
            "orders", "SELECT price FROM orders_catalogproduct WHERE product_id = %s", (product_id,)
        ),
        timeout=max(0.1, 2 - (time.monotonic() - started)),
        what="orders' catalog copy",
    )

    assert stock == {"product_id": product_id, "sku": "SAGA-FAST-1", "available": 0}


def test_price_change_and_deactivation_flow_to_orders(shop, customer):
    product_id = shop.new_product(price="10.00", stock=5)

    shop.api.call(
        "PATCH",
        "products",
        f"/api/products/{product_id}/",
        token=shop.staff_token,
        json={"price": "12.50"},
    )
    wait_for(
        lambda: shop.query(
            "orders",
            "SELECT 1 FROM orders_catalogproduct WHERE product_id = %s AND price = 12.50",
            (product_id,),
        ),
        timeout=2,
        what="the new price in orders",
    )
    order = shop.place(customer, [{"product_id": product_id, "quantity": 2}])
    shop.api.call("DELETE", "products", f"/api/products/{product_id}/", token=shop.staff_token)
    wait_for(
        lambda: shop.query(
            "orders",
            "SELECT 1 FROM orders_catalogproduct WHERE product_id = %s AND NOT is_active",
            (product_id,),
        ),
        timeout=2,
        what="the deactivation in orders",
    )
    refused = shop.api.call(
        "POST",
        "orders",
        "/api/orders/",
        token=customer,
        json={"items": [{"product_id": product_id, "quantity": 1}]},
    )

    assert Decimal(order["total"]) == Decimal("25.00")
    assert refused.status_code == 400
    assert "items" in refused.json()


def test_paid_order_commits_its_stock(shop, customer):
    product_id = shop.new_product(price="4.00", stock=10)

    order = shop.place(customer, [{"product_id": product_id, "quantity": 3}])
    shop.wait_status(customer, order["id"], "awaiting_payment")
    reserved = shop.stock(product_id)
    paid = pay(shop, customer, order["id"])
    wait_for(lambda: shop.stock(product_id)["on_hand"] == 7, timeout=5, what="the commit")

    assert (reserved["on_hand"], reserved["reserved"], reserved["available"]) == (10, 3, 7)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    final = shop.stock(product_id)
    assert (final["on_hand"], final["reserved"], final["available"]) == (7, 0, 7)
    assert movement_kinds(shop, product_id, order["id"]) == ["commit", "reservation"]
    assert statuses(shop.order(customer, order["id"])) == ["pending", "awaiting_payment", "paid"]


def test_declined_card_keeps_the_order_payable_then_it_is_paid(shop, customer):
    product_id = shop.new_product(stock=2)
    order = shop.place(customer, [{"product_id": product_id, "quantity": 1}])
    shop.wait_status(customer, order["id"], "awaiting_payment")

    declined = pay(shop, customer, order["id"], DECLINING_CARD)
    still = shop.order(customer, order["id"])
    # Read before paying: the commit that follows a payment is asynchronous
    # and can already have run when the pay answer arrives.
    still_reserved = shop.stock(product_id)["reserved"]
    paid = pay(shop, customer, order["id"])

    assert declined.status_code == 402
    assert list(declined.json()) == ["detail"]
    assert still["status"] == "awaiting_payment"
    assert still_reserved == 1
    assert paid.status_code == 200
    wait_for(lambda: shop.stock(product_id)["on_hand"] == 1, timeout=5, what="the commit")
    assert shop.stock(product_id)["reserved"] == 0


def test_cancelled_order_releases_its_stock(shop, customer):
    product_id = shop.new_product(stock=4)
    order = shop.place(customer, [{"product_id": product_id, "quantity": 4}])
    shop.wait_status(customer, order["id"], "awaiting_payment")

    cancelled = shop.api.call(
        "POST", "orders", f"/api/orders/{order['id']}/cancel/", token=customer
    )
    wait_for(lambda: shop.stock(product_id)["reserved"] == 0, timeout=5, what="the release")
    again = shop.api.call("POST", "orders", f"/api/orders/{order['id']}/cancel/", token=customer)
    pay_after = pay(shop, customer, order["id"])

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (again.status_code, pay_after.status_code) == (409, 409)
    assert shop.stock(product_id)["on_hand"] == 4
    assert movement_kinds(shop, product_id, order["id"]) == ["release", "reservation"]


def test_order_for_more_than_available_is_rejected_and_reserves_nothing(shop, customer):
    plenty = shop.new_product(stock=10)
    scarce = shop.new_product(stock=1)

    order = shop.place(
        customer,
        [{"product_id": plenty, "quantity": 2}, {"product_id": scarce, "quantity": 2}],
    )
    rejected = shop.wait_status(customer, order["id"], "rejected")

    assert shop.stock(plenty)["reserved"] == 0
    assert shop.stock(scarce)["reserved"] == 0
    assert movement_kinds(shop, plenty, order["id"]) == []
    assert statuses(rejected) == ["pending", "rejected"]
    assert rejected["history"][-1]["reason"]


def test_unpaid_order_expires_and_releases_its_stock(shop, customer):
    product_id = shop.new_product(stock=3)
    order = shop.place(customer, [{"product_id": product_id, "quantity": 3}])
    shop.wait_status(customer, order["id"], "awaiting_payment")

    # Travel in time: the reservation ran out a second ago; the periodic scan does the rest.
    shop.query(
        "orders",
        "UPDATE orders_order SET reserved_until = now() - interval '1 second' WHERE id = %s",
        (order["id"],),
    )
    expired = shop.wait_status(customer, order["id"], "expired", timeout=10)
    wait_for(lambda: shop.stock(product_id)["reserved"] == 0, timeout=5, what="the release")

    assert pay(shop, customer, order["id"]).status_code == 409
    assert statuses(expired) == ["pending", "awaiting_payment", "expired"]
    assert shop.stock(product_id)["available"] == 3
    assert movement_kinds(shop, product_id, order["id"]) == ["release", "reservation"]


def test_idempotency_key_returns_the_same_order(shop, customer):
    product_id = shop.new_product(stock=5)
    body = [{"product_id": product_id, "quantity": 1}]
    key = {"Idempotency-Key": "saga-key-1"}

    first = shop.place(customer, body, headers=key)
    second = shop.place(customer, body, headers=key)
    conflict = shop.api.call(
        "POST",
        "orders",
        "/api/orders/",
        token=customer,
        json={"items": [{"product_id": product_id, "quantity": 2}]},
        headers=key,
    )
    shop.wait_status(customer, first["id"], "awaiting_payment")

    assert first["id"] == second["id"]
    assert conflict.status_code == 409
    assert shop.stock(product_id)["reserved"] == 1
