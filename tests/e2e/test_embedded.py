"""Smoke run of `make run`'s embedded default: SQLite files and the file broker, no database or
broker server, behind the gateway, with `make run`'s environment (DEBUG off)."""

import os

import requests

from deploy.local.run import run_environment
from deploy.local.stack import SERVICES, Stack, StackConfig
from tests.harness import ROOT, Api, free_port, wait_for

DEMO_CUSTOMER = ("customer", "shop-customer-demo")
DEMO_STAFF = ("admin", "shop-admin-demo")


def test_embedded_shop_takes_an_order_through_the_gateway(tmp_path):
    var = tmp_path / "var"
    inherited = {
        key: value
        for key, value in os.environ.items()
        if key != "DJANGO_SETTINGS_MODULE"
        and not key.endswith("DATABASE_URL")
        and key != "CELERY_BROKER_URL"
    }
    env = run_environment({**inherited, "SHOP_VAR_DIR": str(var)}, var)
    artifacts = ROOT / "test-artifacts" / "embedded"
    stack = Stack(
        StackConfig(
            ports={service: free_port() for service in SERVICES},
            env=env,
            log_dir=artifacts / "logs",
            gateway_port=free_port(),
            web_workers=1,
        )
    )
    stack.migrate()
    stack.manage("users", "seed_demo_users")
    stack.prepare_gateway()
    try:
        stack.start()
        stack.manage("products", "seed_demo_catalog")
        stack.manage("inventory", "seed_demo_stock")
        api = Api({service: stack.gateway_url for service in SERVICES})
        token = api.token(*DEMO_CUSTOMER)
        product = api.call("GET", "products", "/api/products/", params={"search": "MUG-CLASSIC"})
        product_id = product.json()["results"][0]["id"]
        placed = api.call(
            "POST",
            "orders",
            "/api/orders/",
            token=token,
            json={"items": [{"product_id": product_id, "quantity": 2}]},
        )
        settled = wait_for(
            lambda: (
                (
                    order := api.call(
                        "GET", "orders", f"/api/orders/{placed.json()['id']}/", token=token
                    ).json()
                )["status"]
                != "pending"
                and order
            ),
            timeout=20,
            what="the embedded saga",
        )
        stock = api.call(
            "GET", "inventory", f"/api/inventory/{product_id}/", token=api.token(*DEMO_STAFF)
        ).json()
        unmatched = api.call("GET", "orders", "/api/orders/not-a-uuid/", token=token)
        # DEBUG off: the service itself serves no static files (the gateway does).
        stylesheet = "/static/users/admin/css/base.css"
        from_the_gateway = requests.get(stack.gateway_url + stylesheet, timeout=10)
        from_the_service = requests.get(stack.url("users") + stylesheet, timeout=10)
    finally:
        stack.stop()

    assert placed.status_code == 202
    assert settled["status"] == "awaiting_payment"
    assert (stock["on_hand"], stock["reserved"]) == (25, 2)
    not_found = (404, {"detail": "Not found."})
    assert (unmatched.status_code, unmatched.json()) == not_found
    assert from_the_gateway.status_code == 200
    assert (from_the_service.status_code, from_the_service.json()) == not_found
