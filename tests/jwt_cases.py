"""Forged and broken tokens every service must refuse: for Bearer access tokens (each service's
test_jwt.py) and for the single sign-on cookie (test_sso.py)."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from shop.auth.keys import key_id_of_pem
from tests.tokens import access_claims, encode, private_key_pem

Claims = Callable[[], dict]


def forged_tokens(claims: Claims, *, of_another_type: Claims) -> dict[str, Callable[[], str]]:
    """Ways to get a token wrong, each a function making one. `claims` makes the staff claims
    the forger wants honoured; `of_another_type` the same claims in a token of another kind
    (a refresh token where an access token is expected, say)."""

    def changed(**changes) -> dict:
        return {**claims(), **changes}

    def alg_none() -> str:
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims())}."

    def hs256_signed_with_public_key() -> str:
        # PyJWT refuses to HMAC with a PEM key, so sign by hand as an attacker would, naming
        # the key that verifies.
        public_key = settings.JWT_PUBLIC_KEYS[0]
        header = {"alg": "HS256", "typ": "JWT", "kid": key_id_of_pem(public_key)}
        signing_input = f"{_b64(header)}.{_b64(claims())}"
        key = public_key.encode()
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def tampered_claims() -> str:
        header, _, signature = encode(changed(is_staff=False)).split(".")
        return f"{header}.{_b64(claims())}.{signature}"

    def expired() -> str:
        now = int(time.time())
        return encode(changed(iat=now - 3600, exp=now - 60))

    def signed_by_another_key() -> str:
        # Named by its own kid: a key the shop was never given.
        return encode(claims(), key=_another_private_key())

    def signed_by_another_key_naming_ours() -> str:
        our_key_id = key_id_of_pem(private_key_pem())
        return encode(claims(), key=_another_private_key(), headers={"kid": our_key_id})

    def without_key_id() -> str:
        # Signed by the right key, but not saying which: every token names its key.
        return jwt.encode(claims(), private_key_pem(), algorithm="RS256")

    def naming_an_unknown_key() -> str:
        # Signed by the right key: the kid alone chooses, no key is tried in turn.
        return encode(claims(), headers={"kid": "a-key-no-service-was-given"})

    def rs512_with_our_key() -> str:
        # The right key and kid, but RS256 is the only algorithm accepted.
        return encode(claims(), algorithm="RS512")

    return {
        "alg_none": alg_none,
        "hs256_with_public_key": hs256_signed_with_public_key,
        "tampered_claims": tampered_claims,
        "expired": expired,
        "of_another_type": lambda: encode(of_another_type()),
        "other_issuer": lambda: encode(changed(iss="someone-else")),
        "other_audience": lambda: encode(changed(aud="another-shop")),
        "another_key": signed_by_another_key,
        "another_key_naming_ours": signed_by_another_key_naming_ours,
        "no_kid": without_key_id,
        "unknown_kid": naming_an_unknown_key,
        "rs512": rs512_with_our_key,
        "garbage": lambda: "not.a.token",
    }


def _staff_access_claims() -> dict:
    return access_claims(user_id=1, username="admin", is_staff=True)


BAD_TOKENS = forged_tokens(
    _staff_access_claims,
    of_another_type=lambda: {**_staff_access_claims(), "token_type": "refresh"},
)


def _another_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
