"""Forged and broken tokens every service must refuse with 401 (used by each service's suite)."""

import base64
import json
import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from tests.tokens import access_claims, encode


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _staff_claims() -> dict:
    return access_claims(user_id=1, username="admin", is_staff=True)


def alg_none() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_staff_claims())}."


def hs256_signed_with_public_key() -> str:
    public_pem = settings.SIMPLE_JWT["VERIFYING_KEY"]
    # PyJWT refuses to HMAC with a PEM key, so sign by hand as an attacker would.
    import hashlib
    import hmac

    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_staff_claims())}"
    signature = hmac.new(public_pem.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def tampered_claims() -> str:
    token = encode(access_claims(user_id=1001, username="alice", is_staff=False))
    header, _, signature = token.split(".")
    return f"{header}.{_b64(_staff_claims())}.{signature}"


def expired() -> str:
    claims = _staff_claims()
    claims["iat"] = int(time.time()) - 3600
    claims["exp"] = int(time.time()) - 60
    return encode(claims)


def refresh_used_as_access() -> str:
    claims = _staff_claims()
    claims["token_type"] = "refresh"
    return encode(claims)


def other_issuer() -> str:
    claims = _staff_claims()
    claims["iss"] = "someone-else"
    return encode(claims)


def other_audience() -> str:
    claims = _staff_claims()
    claims["aud"] = "another-shop"
    return encode(claims)


def signed_by_another_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return jwt.encode(_staff_claims(), pem, algorithm="RS256")


def garbage() -> str:
    return "not.a.token"


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "alg_none": alg_none,
    "hs256_with_public_key": hs256_signed_with_public_key,
    "tampered_claims": tampered_claims,
    "expired": expired,
    "refresh_as_access": refresh_used_as_access,
    "other_issuer": other_issuer,
    "other_audience": other_audience,
    "another_key": signed_by_another_key,
    "garbage": garbage,
}
