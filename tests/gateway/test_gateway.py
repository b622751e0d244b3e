"""The gateway as a client meets it: a real nginx from deploy/nginx/ in front of stand-ins for
the four services (see conftest.py)."""

import re
import time

import pytest

from tests.gateway.conftest import SERVICES, Gateway, Response, Upstream

ORDER_ID = "3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60"
ROUTES = [
    ("/api/auth/register/", "users"),
    ("/api/auth/token/", "users"),
    ("/api/auth/token/refresh/", "users"),
    ("/api/auth/logout/", "users"),
    ("/api/auth/jwks/", "users"),
    ("/api/users/", "users"),
    ("/api/users/me/", "users"),
    ("/api/users/alice/", "users"),
    ("/api/products/", "products"),
    ("/api/products/7/", "products"),
    ("/api/categories/", "products"),
    ("/api/categories/books/", "products"),
    ("/api/orders/", "orders"),
    (f"/api/orders/{ORDER_ID}/", "orders"),
    (f"/api/orders/{ORDER_ID}/pay/", "orders"),
    (f"/api/orders/{ORDER_ID}/cancel/", "orders"),
    ("/api/inventory/", "inventory"),
    ("/api/inventory/7/", "inventory"),
    ("/api/inventory/7/adjust/", "inventory"),
    ("/api/inventory/7/movements/", "inventory"),
    # Without the trailing slash too: the service redirects (APPEND_SLASH).
    ("/api/products", "products"),
    ("/admin/orders", "orders"),
] + [
    (path.format(service=service), service)
    for service in SERVICES
    for path in (
        "/admin/{service}/",
        "/admin/{service}/login/?next=/admin/{service}/",
        "/api/schema/{service}/",
        "/api/docs/{service}/",
        "/api/browser/{service}/login/",
    )
]
NOT_FOUND = [
    "/nowhere",
    "/api/",
    "/api/shipping/",
    "/api/productsx/",
    "/admin/",
    "/admin/shipping/",
    "/admin/usersx/",
    "/api/docs/",
    "/static/",
    "/static/shipping/app.css",
    # The services' own probes and metrics are for Kubernetes, never through the gateway.
    "/metrics",
    "/metrics/",
    "/readyz",
    "/admin/users/../../metrics",
    "/api/products/%2e%2e/%2e%2e/readyz",
]
REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def assert_json_error(response: Response, status: int) -> None:
    assert response.status == status, response.body
    assert response.content_type == "application/json"
    assert set(response.json()) == {"detail"}
    assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])


def total_requests(upstreams: dict[str, Upstream]) -> int:
    return sum(upstream.count() for upstream in upstreams.values())


# -- routing ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "service"), ROUTES)
def test_every_documented_path_reaches_its_service_unchanged(
    gateway: Gateway, path: str, service: str
) -> None:
    response = gateway.request("GET", path)
    assert response.status == 200, response.body
    seen = response.json()
    assert (seen["service"], seen["path"]) == (service, path)


def test_methods_bodies_and_query_strings_pass_through(gateway: Gateway) -> None:
    body = b'{"items": [{"product_id": 7, "quantity": 2}]}'
    response = gateway.request(
        "POST", "/api/orders/?next=%2Fapi%2F&a=b%20c", body=body, headers={"Idempotency-Key": "k"}
    )
    seen = response.json()
    assert seen["method"] == "POST"
    assert seen["path"] == "/api/orders/?next=%2Fapi%2F&a=b%20c"
    assert seen["body_length"] == len(body)
    for method in ("PUT", "PATCH", "DELETE"):
        assert gateway.request(method, "/api/products/7/").json()["method"] == method


def test_the_service_sees_the_clients_host_and_scheme_over_a_kept_alive_connection(
    gateway: Gateway,
) -> None:
    seen = gateway.request("GET", "/api/orders/", headers={"Host": "shop.test:8000"}).json()
    assert seen["host"] == "shop.test:8000"
    assert seen["x_forwarded_proto"] == "http"
    assert seen["version"] == "HTTP/1.1"
    assert seen["connection"] is None  # not `close`: the connection is kept for reuse


@pytest.mark.parametrize("path", NOT_FOUND)
def test_anything_else_is_a_json_404_from_the_gateway(
    gateway: Gateway, upstreams: dict[str, Upstream], path: str
) -> None:
    before = total_requests(upstreams)
    assert_json_error(gateway.request("GET", path), 404)
    assert gateway.request("GET", path).json() == {"detail": "Not found."}
    assert total_requests(upstreams) == before


# Refused by nginx while it reads the request line, before the request has a URI.
BAD_REQUEST_LINES = [
    ("/%2e%2e/metrics", 400),
    ("/api/products/%2e%2e/%2e%2e/%2e%2e/readyz", 400),
    ("/api/users/a%00b/", 400),
    ("/%00", 400),
    ("/api/orders/" + "a" * 9000, 414),
    # Longer than gunicorn's request line (4094 bytes), which would answer it in HTML.
    ("/api/orders/?q=" + "a" * 5000, 414),
]


@pytest.mark.parametrize(("path", "status"), BAD_REQUEST_LINES, ids=lambda value: str(value)[:30])
def test_a_request_line_nginx_refuses_is_answered_in_json(
    gateway: Gateway, upstreams: dict[str, Upstream], path: str, status: int
) -> None:
    before = total_requests(upstreams)
    for method in ("GET", "POST"):
        response = gateway.request(method, path, body=b"{}" if method == "POST" else None)

        assert_json_error(response, status)
    assert total_requests(upstreams) == before


def test_headers_too_large_are_a_json_431(gateway: Gateway) -> None:
    response = gateway.request("GET", "/api/products/", headers={"X-Big": "a" * 9000})

    assert_json_error(response, 431)


def test_the_gateways_error_pages_are_not_reachable_from_outside(gateway: Gateway) -> None:
    for status in (500, 429, 400):
        assert gateway.request("GET", f"/_shop_error/{status}").json() == {"detail": "Not found."}


def test_the_gateway_answers_its_own_healthz(
    gateway: Gateway, upstreams: dict[str, Upstream]
) -> None:
    before = total_requests(upstreams)
    response = gateway.request("GET", "/healthz")
    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.json() == {"status": "ok"}
    assert total_requests(upstreams) == before


def test_the_root_lists_the_apis_and_their_docs(gateway: Gateway) -> None:
    response = gateway.request("GET", "/")
    assert response.status == 200
    assert response.content_type == "application/json"
    index = response.json()
    assert index["docs"]["orders"] == "/api/docs/orders/"
    assert index["apis"]["inventory"] == "/api/inventory/"


# -- static files ---------------------------------------------------------------------------
def test_static_files_are_served_by_nginx_with_caching_headers(
    gateway: Gateway, upstreams: dict[str, Upstream]
) -> None:
    before = total_requests(upstreams)
    for service in SERVICES:
        response = gateway.request("GET", f"/static/{service}/shop/app.css")
        assert response.status == 200
        assert response.body.decode().startswith(f"/* {service} */")
        assert response.content_type == "text/css"
        assert "max-age=" in response.headers["Cache-Control"]
        assert response.headers["ETag"]
        assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
    assert total_requests(upstreams) == before


@pytest.mark.parametrize("path", ["/static/users/shop/missing.css", "/static/users/shop/"])
def test_a_missing_static_file_or_a_directory_is_a_json_404(gateway: Gateway, path: str) -> None:
    response = gateway.request("GET", path)
    assert_json_error(response, 404)
    assert "Cache-Control" not in response.headers


def test_a_write_to_a_static_file_is_a_json_405(gateway: Gateway) -> None:
    assert_json_error(gateway.request("POST", "/static/users/shop/app.css", body=b"x"), 405)


# -- request ids ----------------------------------------------------------------------------
# On paths the catalog cache never answers, so that every request reaches the stand-in (the
# cache's own request ids: test_catalog_cache.py).
def test_a_sane_request_id_is_kept_passed_on_and_returned(gateway: Gateway) -> None:
    response = gateway.request(
        "GET", "/api/inventory/7/", headers={"X-Request-ID": "client-1234.abc_DEF"}
    )
    assert response.json()["x_request_id"] == ["client-1234.abc_DEF"]
    # Once: the service's own X-Request-ID header is replaced by the gateway's.
    assert response.headers.get_all("X-Request-ID") == ["client-1234.abc_DEF"]


def test_a_request_id_is_generated_when_missing(gateway: Gateway) -> None:
    first = gateway.request("GET", "/api/inventory/7/")
    second = gateway.request("GET", "/api/inventory/7/")
    first_id = first.headers["X-Request-ID"]
    assert REQUEST_ID.fullmatch(first_id)
    assert first.json()["x_request_id"] == [first_id]
    assert second.headers["X-Request-ID"] != first_id


@pytest.mark.parametrize(
    "bad_id", ["two words", "a" * 129, "<script>", "id;drop", "é", "../../etc/passwd"]
)
def test_an_unsafe_request_id_is_replaced(gateway: Gateway, bad_id: str) -> None:
    response = gateway.request(
        "GET", "/api/inventory/7/", headers={"X-Request-ID": bad_id.encode().decode("latin-1")}
    )
    assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.json()["x_request_id"] == [response.headers["X-Request-ID"]]


def test_the_gateways_own_errors_carry_the_request_id(gateway: Gateway) -> None:
    assert_json_error(gateway.request("GET", "/nowhere"), 404)
    response = gateway.request("GET", "/nowhere", headers={"X-Request-ID": "trace-me"})
    assert response.headers["X-Request-ID"] == "trace-me"


def test_the_access_log_is_json_with_the_request_id(gateway: Gateway) -> None:
    gateway.request("GET", "/api/inventory/7/?x=1", headers={"X-Request-ID": "log-me-1"})
    gateway.request("GET", "/nowhere", headers={"X-Request-ID": "log-me-2"})
    proxied = gateway.access_log_entry("log-me-1")
    own = gateway.access_log_entry("log-me-2")
    assert proxied["method"] == "GET"
    assert proxied["uri"] == "/api/inventory/7/?x=1"
    assert proxied["status"] == 200
    assert proxied["upstream"] == gateway.upstreams["inventory"].address
    assert proxied["remote_addr"] == "127.0.0.1"
    assert float(proxied["upstream_response_time"]) >= 0
    assert isinstance(proxied["request_time"], float)
    assert own["status"] == 404 and own["upstream"] == ""
    assert "time" in own


# -- client address -------------------------------------------------------------------------
def test_x_forwarded_for_is_the_client_address_whatever_the_client_says(
    gateway: Gateway,
) -> None:
    assert gateway.request("GET", "/api/users/me/").json()["x_forwarded_for"] == ["127.0.0.1"]
    spoofed = gateway.request(
        "GET", "/api/users/me/", headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
    )
    assert spoofed.json()["x_forwarded_for"] == ["127.0.0.1"]


def test_every_request_is_stamped_with_when_the_gateway_passed_it_on(gateway: Gateway) -> None:
    spoofed = gateway.request("POST", "/api/orders/", headers={"X-Request-Start": "t=1.000"})

    (stamp,) = spoofed.json()["x_request_start"]
    assert stamp.startswith("t=")
    assert abs(float(stamp[2:]) - time.time()) < 5


# -- limits ---------------------------------------------------------------------------------
def test_a_body_over_one_megabyte_is_a_json_413(
    gateway: Gateway, upstreams: dict[str, Upstream]
) -> None:
    before = upstreams["orders"].count()
    ok = gateway.request("POST", "/api/orders/", body=b"x" * 500_000)
    assert ok.json()["body_length"] == 500_000
    response = gateway.request("POST", "/api/orders/", body=b"x" * 2_000_000)
    assert_json_error(response, 413)
    assert upstreams["orders"].count() == before + 1


def test_hammering_the_login_is_a_json_429(
    gateway: Gateway, upstreams: dict[str, Upstream]
) -> None:
    before = upstreams["users"].count("/api/auth/token/")
    body = b'{"username": "alice", "password": "wrong"}'
    statuses = []
    for _ in range(60):
        response = gateway.request("POST", "/api/auth/token/", body=body)
        statuses.append(response.status)
        if response.status == 429:
            assert_json_error(response, 429)
            assert response.headers["Retry-After"] == "1"
    assert statuses[0] == 200
    assert statuses.count(429) >= 30, statuses
    assert upstreams["users"].count("/api/auth/token/") - before == statuses.count(200)
    # The refresh shares the limit; reading is not limited.
    assert gateway.request("POST", "/api/auth/token/refresh/", body=b"{}").status == 429
    assert gateway.request("GET", "/api/auth/token/").status == 200
    assert gateway.request("POST", "/api/auth/register/", body=b"{}").status == 200


def test_placing_orders_faster_than_any_shopper_is_a_json_429(
    fresh_gateway: Gateway, upstreams: dict[str, Upstream]
) -> None:
    orders = upstreams["orders"]
    before = orders.count("/api/orders/")
    # Far faster than the rate: what gets through is the burst (20) and the first request.
    statuses = [fresh_gateway.request("POST", "/api/orders/", body=b"{}").status for _ in range(40)]

    assert statuses[:21] == [200] * 21
    assert statuses.count(429) >= 15, statuses
    assert orders.count("/api/orders/") - before == statuses.count(200)
    limited = fresh_gateway.request("POST", "/api/orders/", body=b"{}")
    assert_json_error(limited, 429)
    assert limited.headers["Retry-After"] == "1"
    # Only placing is limited: reading orders, paying and cancelling are not.
    order = f"/api/orders/{ORDER_ID}"
    assert fresh_gateway.request("GET", "/api/orders/").status == 200
    assert fresh_gateway.request("POST", f"{order}/pay/", body=b"{}").status == 200
    assert fresh_gateway.request("POST", f"{order}/cancel/", body=b"{}").status == 200
    # At 2 a second, the next placement gets through within a second.
    time.sleep(1)
    assert fresh_gateway.request("POST", "/api/orders/", body=b"{}").status == 200


# -- failing services -----------------------------------------------------------------------
def test_a_service_too_slow_to_answer_is_a_json_504(gateway: Gateway) -> None:
    started = time.monotonic()
    response = gateway.request("GET", "/api/products/?sleep=3")
    assert_json_error(response, 504)
    assert time.monotonic() - started < 2.5  # PROXY_READ_TIMEOUT is 1s in these tests


def test_a_service_that_is_down_is_a_json_502(dead_orders_gateway: Gateway) -> None:
    for method in ("GET", "POST"):
        response = dead_orders_gateway.request(method, "/api/orders/", body=b"{}")
        assert_json_error(response, 502)
    # The others are still served.
    assert dead_orders_gateway.request("GET", "/api/products/").status == 200


def test_a_post_is_never_sent_twice(gateway: Gateway, upstreams: dict[str, Upstream]) -> None:
    orders = upstreams["orders"]
    # A GET that fails on a kept-alive connection is tried again on a new one: the stand-in
    # sees it twice, so it would see a retried POST too.
    gateway.request("GET", "/api/orders/")
    assert_json_error(gateway.request("GET", "/api/orders/?drop=get"), 502)
    assert orders.count("/api/orders/?drop=get") == 2
    # A POST that fails is answered 502 at once, never repeated: the order is not placed twice.
    gateway.request("GET", "/api/orders/")
    assert_json_error(gateway.request("POST", "/api/orders/?drop=post", body=b"{}"), 502)
    assert orders.count("/api/orders/?drop=post") == 1
