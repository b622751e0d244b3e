"""The gateway's catalog cache (`shop_catalog` in deploy/nginx/shop.conf.template): anonymous
catalog reads are answered from a 1-second cache, and nothing that depends on who asks is ever
stored or served from it.

Every test asks for paths of its own (a fresh query string), so that no other test's entries
are in its way. The stand-in answers with what it received, its request id among it: a body
with an earlier request's id came from the cache.
"""

import threading
import time
import uuid
from collections.abc import Callable

import pytest

from tests.gateway.conftest import Gateway, Response, Upstream

# proxy_cache_valid is 1s, counted by nginx in whole seconds: an entry is served for 1 to 2 s,
# then fetched again.
VALIDITY_SECONDS = 2.0
# How often a test asks again while a refresh (a background request to the stand-in) runs.
REFRESH_ATTEMPTS = 40


@pytest.fixture
def fresh_path() -> Callable[[str], str]:
    """A catalog path with a query string no earlier request used."""

    def path(base: str = "/api/products/") -> str:
        return f"{base}?test={uuid.uuid4().hex}"

    return path


def served_by(response: Response) -> str:
    """The request id of the request the stand-in answered: the response's own one when the
    answer is fresh, an earlier one when it came from the cache."""
    assert response.status == 200, response.body
    return response.json()["x_request_id"][0]


def assert_fresh(response: Response) -> None:
    assert served_by(response) == response.headers["X-Request-ID"]


def assert_cached(response: Response) -> None:
    assert response.headers["X-Cache-Status"] == "HIT"
    assert served_by(response) != response.headers["X-Request-ID"]


@pytest.mark.parametrize("base", ["/api/products/", "/api/products/7/", "/api/categories/"])
def test_a_second_anonymous_read_is_served_from_the_cache(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path, base: str
) -> None:
    path = fresh_path(base)

    first = gateway.request("GET", path)
    second = gateway.request("GET", path)

    assert first.headers["X-Cache-Status"] == "MISS"
    assert_fresh(first)
    assert_cached(second)
    assert second.body == first.body
    assert upstreams["products"].count(path) == 1
    # The response's own request id, not the cached one, is in its header.
    assert second.headers.get_all("X-Request-ID") == [second.headers["X-Request-ID"]]


def test_a_cached_answer_is_refreshed_once_it_is_two_seconds_old(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path
) -> None:
    path = fresh_path()
    first = gateway.request("GET", path)
    assert_cached(gateway.request("GET", path))

    time.sleep(VALIDITY_SECONDS + 0.2)
    # The first request after expiry gets the old answer and starts a refresh in the background;
    # the refreshed answer is served as soon as the stand-in has given it.
    stale = gateway.request("GET", path)
    refreshed = wait_for_new_answer(gateway, path, old=served_by(first))

    assert stale.headers["X-Cache-Status"] in ("STALE", "EXPIRED")
    assert refreshed.headers["X-Cache-Status"] == "HIT"
    assert upstreams["products"].count(path) == 2


def wait_for_new_answer(gateway: Gateway, path: str, *, old: str) -> Response:
    """The first answer from the gateway that another stand-in request served than `old`."""
    for _ in range(REFRESH_ATTEMPTS):
        response = gateway.request("GET", path)
        if served_by(response) != old:
            return response
        time.sleep(0.05)
    raise AssertionError(f"{path} still answered from the request {old}")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer some.access.token"},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Cookie": "shop_sso=some.sso.token"},
        {"Cookie": "products_csrftoken=abc; products_sessionid=xyz"},
        {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        {"Accept": "application/json; indent=4"},
    ],
    ids=["bearer", "basic", "sso-cookie", "session-cookie", "browser", "json-indented"],
)
def test_a_request_that_depends_on_who_asks_bypasses_the_cache_and_is_not_stored(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path, headers: dict[str, str]
) -> None:
    path = fresh_path()

    first = gateway.request("GET", path, headers=headers)
    second = gateway.request("GET", path, headers=headers)
    anonymous = gateway.request("GET", path)

    for response in (first, second):
        assert response.headers["X-Cache-Status"] == "BYPASS"
        assert_fresh(response)
    # What those requests got was not stored for anyone else either.
    assert anonymous.headers["X-Cache-Status"] == "MISS"
    assert_fresh(anonymous)
    assert upstreams["products"].count(path) == 3


def test_a_signed_in_client_is_not_served_a_cached_anonymous_answer(
    gateway: Gateway, fresh_path
) -> None:
    path = fresh_path()
    gateway.request("GET", path)

    response = gateway.request("GET", path, headers={"Authorization": "Bearer staff.token"})

    assert_fresh(response)
    assert response.json()["authorization"] == "Bearer staff.token"


def test_cookies_of_no_sign_in_do_not_stop_caching(gateway: Gateway, fresh_path) -> None:
    path = fresh_path()
    headers = {"Cookie": "products_csrftoken=abc; theme=dark"}
    gateway.request("GET", path, headers=headers)

    assert_cached(gateway.request("GET", path, headers=headers))


def test_json_clients_share_entries_per_host(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path
) -> None:
    path = fresh_path()
    gateway.request("GET", path, headers={"Accept": "application/json"})

    assert_cached(gateway.request("GET", path, headers={"Accept": "*/*"}))
    assert_cached(gateway.request("GET", path))
    # The list's links are absolute, built from the Host: another host has entries of its own.
    other_host = gateway.request("GET", path, headers={"Host": "shop.test:8000"})
    assert_fresh(other_host)
    assert other_host.json()["host"] == "shop.test:8000"
    assert upstreams["products"].count(path) == 2


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_is_never_cached_nor_answered_from_the_cache(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path, method: str
) -> None:
    path = fresh_path("/api/products/7/")
    gateway.request("GET", path)

    first = gateway.request(method, path, body=b"{}")
    second = gateway.request(method, path, body=b"{}")

    for response in (first, second):
        assert response.json()["method"] == method
        assert_fresh(response)
        assert "X-Cache-Status" not in response.headers
    assert upstreams["products"].count(path) == 3


@pytest.mark.parametrize("query", ["status=404", "status=503", "set_cookie=1"])
def test_only_plain_200_answers_are_stored(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path, query: str
) -> None:
    path = f"{fresh_path()}&{query}"

    gateway.request("GET", path)
    again = gateway.request("GET", path)

    assert again.headers["X-Cache-Status"] == "MISS"
    assert upstreams["products"].count(path) == 2


def test_other_services_are_never_cached(gateway: Gateway, upstreams: dict[str, Upstream]) -> None:
    path = f"/api/inventory/7/?test={uuid.uuid4().hex}"

    for _ in range(2):
        response = gateway.request("GET", path)
        assert_fresh(response)
        assert "X-Cache-Status" not in response.headers
    assert upstreams["inventory"].count(path) == 2


def test_concurrent_misses_of_one_entry_reach_the_service_once(
    gateway: Gateway, upstreams: dict[str, Upstream], fresh_path
) -> None:
    # The stand-in takes 0.5 s to answer: the other clients ask while the first waits.
    path = f"{fresh_path()}&sleep=0.5"
    responses: list[Response] = []

    def read() -> None:
        responses.append(gateway.request("GET", path))

    clients = [threading.Thread(target=read) for _ in range(5)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()

    assert len(responses) == 5
    assert len({served_by(response) for response in responses}) == 1
    assert upstreams["products"].count(path) == 1
