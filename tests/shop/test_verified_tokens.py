"""Each process verifies a given access token's signature once (shop.auth.tokens), and still
refuses it the moment it expires."""

import time

from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from shop.auth.tokens import token_backend
from tests.tokens import access_claims, access_token, encode


def authenticate(token: str):
    request = APIRequestFactory().get("/api/products/", HTTP_AUTHORIZATION=f"Bearer {token}")
    return JWTStatelessUserAuthentication().authenticate(request)


def refusal(token: str) -> str:
    try:
        authenticate(token)
    except InvalidToken as error:
        return str(error.detail["messages"][0]["message"])
    raise AssertionError("the token was accepted")


def test_a_token_seen_before_is_not_verified_again():
    token = access_token(user_id=41, username="ada")
    verified = token_backend()._verified_claims

    before = verified.cache_info()
    first, _ = authenticate(token)
    second, _ = authenticate(token)
    after = verified.cache_info()

    assert (first.user_id, second.user_id) == (41, 41)
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 1


def test_a_remembered_token_is_refused_once_it_expires_as_a_fresh_one_is():
    claims = access_claims(user_id=42, username="bob")
    claims["exp"] = int(time.time()) + 2
    token = encode(claims)
    authenticate(token)  # verified and remembered while valid

    while time.time() < claims["exp"] + 0.05:
        time.sleep(0.1)
    expired_elsewhere = encode({**claims, "jti": "never-seen"})

    assert refusal(token) == refusal(expired_elsewhere)
    assert "expired" in refusal(token)


def test_a_token_altered_after_a_good_one_was_remembered_is_refused():
    token = access_token(user_id=43, username="cy")
    authenticate(token)
    header, _, signature = token.split(".")
    forged_payload = encode(access_claims(user_id=1, username="root", is_staff=True)).split(".")[1]

    assert refusal(f"{header}.{forged_payload}.{signature}")
