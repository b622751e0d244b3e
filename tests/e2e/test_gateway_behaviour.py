"""What the gateway itself promises: JSON errors, request ids, limits, hidden probes."""

import json
import time
import uuid

import requests

from tests.harness import wait_for


def get(shop, path, **kwargs):
    return requests.get(shop.stack.gateway_url + path, timeout=10, **kwargs)


def test_gateway_errors_are_json(shop):
    unknown = get(shop, "/no/such/thing")
    too_big = requests.post(
        shop.stack.gateway_url + "/api/orders/",
        data=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    for response, status in ((unknown, 404), (too_big, 413)):
        assert response.status_code == status
        assert response.headers["Content-Type"].startswith("application/json")
        assert list(response.json()) == ["detail"]


def test_probes_and_metrics_are_not_reachable_through_the_gateway(shop):
    for path in ("/metrics", "/readyz", "/admin/users/../../metrics"):
        response = get(shop, path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": response.json()["detail"]}
    assert get(shop, "/healthz").json() == {"status": "ok"}


def test_request_id_round_trips_and_reaches_the_services_logs(shop, customer):
    request_id = f"e2e-{uuid.uuid4().hex}"
    product_id = shop.new_product(stock=1)

    response = shop.api.call(
        "POST",
        "orders",
        "/api/orders/",
        token=customer,
        json={"items": [{"product_id": product_id, "quantity": 1}]},
        headers={"X-Request-ID": request_id},
    )
    shop.wait_status(customer, response.json()["id"], "awaiting_payment")
    generated = get(shop, "/api/products/")

    assert response.headers["X-Request-ID"] == request_id
    assert len(generated.headers["X-Request-ID"]) >= 16
    # The order's request id is in the log lines of the request and of every task it caused.
    for process in ("orders-web", "inventory-worker", "orders-worker"):
        lines = wait_for(
            lambda process=process: [
                json.loads(line)
                for line in shop.stack.log_path(process).read_text().splitlines()
                if request_id in line
            ],
            timeout=5,
            what=f"{request_id} in {process}'s log",
        )
        assert all(line["request_id"] == request_id for line in lines), process


def test_sixty_fast_bad_logins_get_429_then_the_limit_lifts(shop):
    statuses = [
        requests.post(
            shop.stack.gateway_url + "/api/auth/token/",
            json={"username": "nobody", "password": "wrong"},
            timeout=10,
        ).status_code
        for _ in range(60)
    ]
    limited = requests.post(shop.stack.gateway_url + "/api/auth/token/", json={}, timeout=10)

    assert statuses.count(429) >= 30
    assert set(statuses) <= {401, 429}
    assert limited.headers["Content-Type"].startswith("application/json")
    # The limit is per second: a well-behaved client gets through again shortly.
    time.sleep(1)
    wait_for(
        lambda: (
            requests.post(
                shop.stack.gateway_url + "/api/auth/token/",
                json={"username": "nobody", "password": "wrong"},
                timeout=10,
            ).status_code
            == 401
        ),
        timeout=15,
        interval=1,
        what="the login limit to lift",
    )


def test_forwarded_for_cannot_be_spoofed_past_the_login_limit(shop):
    statuses = [
        requests.post(
            shop.stack.gateway_url + "/api/auth/token/",
            json={"username": "nobody", "password": "wrong"},
            headers={"X-Forwarded-For": f"10.9.8.{attempt}"},
            timeout=10,
        ).status_code
        for attempt in range(40)
    ]

    assert 429 in statuses
    time.sleep(12)  # let the limit lift for the suites that log in after this one
