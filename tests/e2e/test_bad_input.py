"""Bad input through the gateway of the real shop is a small, fast 4xx in the contract's JSON,
never a 5xx and never an HTML page (this stack runs with DEBUG on, the development default)."""

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
import requests

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def assert_json_error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert "DEBUG = True" not in response.text
    return response.json()


def post(shop, path: str, body: bytes, token: str | None = None) -> tuple[requests.Response, float]:
    headers = {**JSON_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
    started = time.monotonic()
    response = requests.post(shop.stack.gateway_url + path, data=body, headers=headers, timeout=30)
    return response, time.monotonic() - started


def raw_get(base_url: str, path: str) -> tuple[int, str, bytes]:
    """A GET with the path sent exactly as given (requests would normalise it)."""
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def test_json_nested_ten_thousand_levels_is_a_fast_400_on_public_and_private_endpoints(
    shop, customer
):
    body = b"[" * 10_000 + b"]" * 10_000

    for path, token in (
        ("/api/auth/register/", None),
        ("/api/auth/token/", None),
        ("/api/orders/", customer),
        ("/api/products/", shop.staff_token),
    ):
        response, seconds = post(shop, path, body, token)

        assert set(assert_json_error(response, 400)) == {"detail"}, path
        assert seconds < 1, (path, seconds)


def test_fifty_thousand_empty_lines_are_one_small_immediate_400(shop, customer):
    body = json.dumps({"items": [{}] * 50_000}).encode()

    response, seconds = post(shop, "/api/orders/", body, customer)

    assert assert_json_error(response, 400) == {
        "items": ["Ensure this field has no more than 50 elements."]
    }
    assert len(response.content) < 200
    assert seconds < 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders/not-a-uuid/",
        "/api/users/me/x/",
        "/api/products/x/",
        "/api/inventory/1/x/",
        "/api/auth/",
    ],
)
def test_an_unmatched_path_under_a_service_is_a_json_404(shop, customer, path):
    for headers in ({"Authorization": f"Bearer {customer}"}, {"Accept": "text/html"}):
        response = requests.get(shop.stack.gateway_url + path, headers=headers, timeout=10)

        assert assert_json_error(response, 404) == {"detail": "Not found."}


def test_a_search_of_more_than_ten_terms_is_a_400(shop):
    terms = " ".join(f"word{n}" for n in range(11))

    response = requests.get(
        shop.stack.gateway_url + "/api/products/", params={"search": terms}, timeout=10
    )
    ten = requests.get(
        shop.stack.gateway_url + "/api/products/",
        params={"search": " ".join(terms.split()[:10])},
        timeout=10,
    )

    assert list(assert_json_error(response, 400)) == ["search"]
    assert ten.status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/%2e%2e/metrics", 400),
        ("/api/users/a%00b/", 400),
        ("/api/" + "a" * 9000, 414),
        # Above gunicorn's 4094-byte request line and below nginx's default 8 KB buffer: once
        # passed on, it was gunicorn's own HTML 414 (found by tests/e2e/test_schema_fuzz.py).
        ("/api/products/?search=" + "a" * 5000, 414),
    ],
    ids=["above_the_root", "nul", "too_long", "longer_than_gunicorn_takes"],
)
def test_a_request_line_the_gateway_refuses_is_json(shop, path, status):
    code, content_type, body = raw_get(shop.stack.gateway_url, path)

    assert (code, content_type) == (status, "application/json")
    assert list(json.loads(body)) == ["detail"]


def test_a_nul_in_a_path_parameter_is_a_json_400_from_the_service_itself(shop):
    # Straight to the users service, as a caller inside the network could.
    code, content_type, body = raw_get(shop.stack.url("users"), "/api/users/a%00b/")

    assert (code, content_type) == (400, "application/json")
    assert list(json.loads(body)) == ["detail"]
