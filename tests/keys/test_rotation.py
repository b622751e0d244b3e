"""A rotation of the signing key on the real stack, through the gateway, as deploy/README.md
tells an operator to do it: 1) publish the next public key everywhere, 2) switch the users
service to sign with it, 3) retire the old one. Nobody is signed out by steps 1 and 2: tokens
and sign-on cookies of the old key keep working at every service, and refresh tokens of the old
key still refresh; after step 3 everything the old key signed is refused at every service, as
is anything signed by a key no service was given."""

import jwt
import requests

from shop import SERVICES
from shop.auth.keys import key_id_of_pem
from tests.e2e.test_sso_sign_out import COOKIE, admins_opened, copy_of, signed_in_browser
from tests.harness import STAFF, Shop
from tests.keys.conftest import WEBS, KeyedShop, KeyPair

# A read at each service that takes a valid token only (staff's: every service's list).
PROTECTED = {
    "users": "/api/users/",
    "products": "/api/products/",
    "orders": "/api/orders/",
    "inventory": "/api/inventory/",
}


def kid(key: KeyPair) -> str:
    return key_id_of_pem(key.public_pem)


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def answers(shop: Shop, token: str) -> dict[str, int]:
    """What each service answers the token, through the gateway."""
    return {
        service: shop.api.call("GET", service, path, token=token).status_code
        for service, path in PROTECTED.items()
    }


def everywhere(status: int) -> dict[str, int]:
    return dict.fromkeys(SERVICES, status)


def published_kids(shop: Shop) -> list[str]:
    response = shop.api.call("GET", "users", "/api/auth/jwks/")
    assert response.status_code == 200
    return [key["kid"] for key in response.json()["keys"]]


def sign_in(shop: Shop) -> dict[str, str]:
    response = shop.api.call(
        "POST", "users", "/api/auth/token/", json={"username": STAFF[0], "password": STAFF[1]}
    )
    assert response.status_code == 200, response.text
    return response.json()


def refresh(shop: Shop, refresh_token: str) -> requests.Response:
    return shop.api.call(
        "POST", "users", "/api/auth/token/refresh/", json={"refresh": refresh_token}
    )


def resigned(token: str, key: KeyPair) -> str:
    """The same claims, signed by `key` and naming it: what the users service would issue with
    that key."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key.private_pem, algorithm="RS256", headers={"kid": kid(key)})


def admins_opened_directly(shop: Shop, browser: requests.Session) -> set[str]:
    """The admins a browser's cookies open on each service's own port, behind no gateway: the
    service checks the SSO cookie with its own keys."""
    opened = set()
    for service in SERVICES:
        response = requests.get(
            f"{shop.stack.url(service)}/admin/{service}/",
            cookies={COOKIE: browser.cookies[COOKIE]},
            allow_redirects=False,
            timeout=10,
        )
        if response.status_code == 200:
            opened.add(service)
        else:
            assert response.status_code == 302, (service, response.status_code)
    return opened


def test_a_rotation_signs_nobody_out_and_a_retired_key_opens_nothing(
    keyed_shop: KeyedShop, old_key: KeyPair, next_key: KeyPair
):
    shop = keyed_shop.shop
    stranger = KeyPair.generate()

    # given everything signed by the old key: an access token, refresh tokens, a browser
    old_pair = sign_in(shop)
    old_access = old_pair["access"]
    refreshed_during_overlap = old_pair["refresh"]
    refreshed_after_retirement = sign_in(shop)["refresh"]
    old_browser = signed_in_browser(shop, *STAFF)
    assert kid_of(old_access) == kid(old_key)
    assert kid_of(old_browser.cookies[COOKIE]) == kid(old_key)
    assert published_kids(shop) == [kid(old_key)]
    assert answers(shop, old_access) == everywhere(200)
    assert admins_opened(shop, copy_of(old_browser)) == set(SERVICES)
    # a key not yet published verifies nothing, nor one never given to the shop
    assert answers(shop, resigned(old_access, next_key)) == everywhere(401)
    assert answers(shop, resigned(old_access, stranger)) == everywhere(401)

    # when step 1: the next public key is published everywhere, the old one still signs
    keyed_shop.configure(verifying=[old_key, next_key], signing=old_key)
    keyed_shop.restart(*WEBS)

    # then both keys verify, at every service and in the JWKS, and the old one still signs
    assert published_kids(shop) == [kid(old_key), kid(next_key)]
    assert answers(shop, old_access) == everywhere(200)
    assert answers(shop, resigned(old_access, next_key)) == everywhere(200)
    assert kid_of(sign_in(shop)["access"]) == kid(old_key)
    assert admins_opened(shop, copy_of(old_browser)) == set(SERVICES)

    # when step 2: the users service signs with the next key
    keyed_shop.configure(verifying=[old_key, next_key], signing=next_key)
    keyed_shop.restart("users-web")

    # then what it issues names the next key, and what the old key signed still works
    new_pair = sign_in(shop)
    assert kid_of(new_pair["access"]) == kid(next_key)
    assert answers(shop, new_pair["access"]) == everywhere(200)
    assert answers(shop, old_access) == everywhere(200)
    response = refresh(shop, refreshed_during_overlap)
    assert response.status_code == 200, response.text
    refreshed = response.json()
    assert kid_of(refreshed["access"]) == kid_of(refreshed["refresh"]) == kid(next_key)
    assert answers(shop, refreshed["access"]) == everywhere(200)
    assert admins_opened(shop, copy_of(old_browser)) == set(SERVICES)
    assert admins_opened_directly(shop, old_browser) == set(SERVICES)
    new_browser = signed_in_browser(shop, *STAFF)
    assert kid_of(new_browser.cookies[COOKIE]) == kid(next_key)
    assert admins_opened(shop, copy_of(new_browser)) == set(SERVICES)

    # when step 3: the old key is retired everywhere
    keyed_shop.configure(verifying=[next_key], signing=next_key)
    keyed_shop.restart(*WEBS)

    # then nothing it signed opens anything: tokens, refresh tokens, sign-on cookies
    assert published_kids(shop) == [kid(next_key)]
    assert answers(shop, old_access) == everywhere(401)
    assert answers(shop, resigned(old_access, stranger)) == everywhere(401)
    assert refresh(shop, refreshed_after_retirement).status_code == 401
    assert admins_opened(shop, copy_of(old_browser)) == set()
    assert admins_opened_directly(shop, old_browser) == set()
    # and everything the next key signed still works
    assert answers(shop, new_pair["access"]) == everywhere(200)
    assert answers(shop, refreshed["access"]) == everywhere(200)
    assert refresh(shop, refreshed["refresh"]).status_code == 200
    assert admins_opened(shop, copy_of(new_browser)) == set(SERVICES)
    assert admins_opened_directly(shop, new_browser) == set(SERVICES)
