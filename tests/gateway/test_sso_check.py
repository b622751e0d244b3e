"""The gateway lets an SSO cookie through to a service only while the users service says its
sign-in stands: an ended one (signed out, the account deactivated or demoted) reaches every
service emptied, as after a sign-out."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.conftest import Gateway, Upstream, free_port, start_gateway

CHECK = "/internal/sso-check"


def checks(upstreams: dict[str, Upstream]) -> int:
    return upstreams["users"].count(CHECK)


@pytest.mark.parametrize("service_path", ["/admin/products/", "/api/orders/", "/admin/users/"])
def test_a_standing_sign_in_passes_with_the_browsers_cookies(gateway, upstreams, service_path):
    cookies = "products_sessionid=abc; shop_sso=live-1; csrftoken=x"

    seen = gateway.request("GET", service_path, headers={"Cookie": cookies}).json()

    assert seen["cookie"] == cookies
    (check,) = [r for r in upstreams["users"].requests if r["path"] == CHECK][-1:]
    # The check gets the token alone, none of the browser's other cookies.
    assert (check["x_shop_sso_token"], check["cookie"]) == ("live-1", None)


@pytest.mark.parametrize(
    ("cookies", "emptied"),
    [
        ("products_sessionid=abc; shop_sso=ended-1", "products_sessionid=abc; shop_sso="),
        ("shop_sso=ended-1; products_sessionid=abc", "shop_sso=; products_sessionid=abc"),
        ("shop_sso=ended-1", "shop_sso="),
    ],
)
def test_an_ended_sign_in_reaches_the_service_emptied(gateway, cookies, emptied):
    seen = gateway.request("GET", "/admin/inventory/", headers={"Cookie": cookies}).json()

    assert seen["cookie"] == emptied


def test_no_check_without_the_cookie_or_for_static_files(gateway, upstreams):
    before = checks(upstreams)

    gateway.request("GET", "/api/products/", headers={"Cookie": "products_sessionid=abc"})
    gateway.request("GET", "/api/orders/")
    gateway.request("GET", "/static/products/shop/app.css", headers={"Cookie": "shop_sso=x"})

    assert checks(upstreams) == before


def test_a_cookie_named_like_it_is_not_the_sign_in(gateway, upstreams):
    before = checks(upstreams)

    seen = gateway.request("GET", "/admin/orders/", headers={"Cookie": "my_shop_sso=1"}).json()

    assert seen["cookie"] == "my_shop_sso=1"
    assert checks(upstreams) == before


def test_clients_cannot_reach_the_check(gateway, upstreams):
    before = checks(upstreams)

    assert gateway.request("GET", CHECK, headers={"Cookie": "shop_sso=live-1"}).status == 404
    assert checks(upstreams) == before


@pytest.fixture
def dead_users_gateway(
    tmp_path: Path, upstreams: dict[str, Upstream], static_root: Path
) -> Iterator[Gateway]:
    gateway = start_gateway(
        tmp_path / "nginx", upstreams, static_root, {"users": f"127.0.0.1:{free_port()}"}
    )
    yield gateway
    gateway.stop()


def test_without_an_answer_from_users_no_cookie_is_vouched_for(dead_users_gateway):
    response = dead_users_gateway.request(
        "GET", "/admin/products/", headers={"Cookie": "a=1; shop_sso=live-1"}
    )

    assert response.status == 200
    assert response.json()["cookie"] == "a=1; shop_sso="
