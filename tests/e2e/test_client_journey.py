"""A customer and a staff member use the shop through the gateway only."""

import requests

from tests.harness import CUSTOMER_PASSWORD, wait_for


def test_register_sign_in_browse_order_pay_and_cancel(shop):
    api = shop.api
    # given: staff put a product on sale and stock it
    product_id = shop.new_product(price="12.00", stock=3)

    # when: a new customer registers, signs in and browses the public catalog
    registered = api.call(
        "POST",
        "users",
        "/api/auth/register/",
        json={"username": "journey", "email": "journey@example.com", "password": CUSTOMER_PASSWORD},
    )
    tokens = api.call(
        "POST",
        "users",
        "/api/auth/token/",
        json={"username": "journey", "password": CUSTOMER_PASSWORD},
    ).json()
    catalog = api.call("GET", "products", "/api/products/", params={"search": "Saga item"}).json()
    me = api.call("GET", "users", "/api/users/me/", token=tokens["access"]).json()

    # then: orders, pays one and cancels another
    paid = shop.place(tokens["access"], [{"product_id": product_id, "quantity": 2}])
    shop.wait_status(tokens["access"], paid["id"], "awaiting_payment")
    payment = api.call(
        "POST",
        "orders",
        f"/api/orders/{paid['id']}/pay/",
        token=tokens["access"],
        json={"card_number": "4242424242424242"},
    )
    cancelled = shop.place(tokens["access"], [{"product_id": product_id, "quantity": 1}])
    shop.wait_status(tokens["access"], cancelled["id"], "awaiting_payment")
    cancel = api.call(
        "POST", "orders", f"/api/orders/{cancelled['id']}/cancel/", token=tokens["access"]
    )
    wait_for(lambda: shop.stock(product_id)["on_hand"] == 1, timeout=5, what="the commit")
    wait_for(lambda: shop.stock(product_id)["reserved"] == 0, timeout=5, what="the release")
    mine = api.call("GET", "orders", "/api/orders/", token=tokens["access"]).json()

    assert registered.status_code == 201
    assert me["username"] == "journey"
    assert product_id in [product["id"] for product in catalog["results"]]
    assert payment.status_code == 200 and payment.json()["status"] == "paid"
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert sorted(order["status"] for order in mine["results"]) == ["cancelled", "paid"]
    assert shop.stock(product_id)["available"] == 1


def test_refresh_and_logout_through_the_gateway(shop, customer):
    me = shop.api.call("GET", "users", "/api/users/me/", token=customer).json()
    pair = shop.api.call(
        "POST",
        "users",
        "/api/auth/token/",
        json={"username": me["username"], "password": CUSTOMER_PASSWORD},
    ).json()

    rotated = shop.api.call(
        "POST", "users", "/api/auth/token/refresh/", json={"refresh": pair["refresh"]}
    )
    logout = shop.api.call(
        "POST",
        "users",
        "/api/auth/logout/",
        token=rotated.json()["access"],
        json={"refresh": rotated.json()["refresh"]},
    )
    reuse = shop.api.call(
        "POST", "users", "/api/auth/token/refresh/", json={"refresh": rotated.json()["refresh"]}
    )

    assert rotated.status_code == 200
    assert logout.status_code == 204
    assert reuse.status_code == 401


def test_pagination_links_point_at_the_gateway(shop):
    for _ in range(3):
        shop.new_product()

    page = shop.api.call("GET", "products", "/api/products/", params={"page_size": 1}).json()

    assert page["next"].startswith(shop.stack.gateway_url + "/api/products/")
    assert requests.get(page["next"], timeout=10).status_code == 200


def test_every_documented_root_answers_through_the_gateway(shop, customer):
    expected = {
        ("GET", "/api/products/", None): 200,
        ("GET", "/api/categories/", None): 200,
        ("GET", "/api/auth/jwks/", None): 200,
        ("GET", "/api/users/me/", "customer"): 200,
        ("GET", "/api/users/", "staff"): 200,
        ("GET", "/api/orders/", "customer"): 200,
        ("GET", "/api/inventory/", "staff"): 200,
        ("GET", "/api/inventory/", "customer"): 403,
        ("GET", "/api/orders/", None): 401,
        ("GET", "/api/schema/users/", None): 200,
        ("GET", "/api/schema/products/", None): 200,
        ("GET", "/api/schema/orders/", None): 200,
        ("GET", "/api/schema/inventory/", None): 200,
    }
    tokens = {None: None, "customer": customer, "staff": shop.staff_token}

    answered = {
        key: shop.api.call(key[0], "users", key[1], token=tokens[key[2]]).status_code
        for key in expected
    }

    assert answered == expected
