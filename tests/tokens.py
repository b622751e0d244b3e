"""Access and SSO tokens for tests, minted with the dev private key as the users service does
(its `kid` in the header).

Contract tests in tests/users prove these claims match what `/api/auth/token/` and the login
pages issue, so the other services' suites test against the real token shapes without running
the users service.
"""

import time
import uuid
from typing import Any

import jwt
from django.conf import settings

from shop.auth.keys import PRIVATE_KEY_FILENAME, key_id_of_pem


def private_key_pem() -> str:
    return (settings.JWT_KEYS_DIR / PRIVATE_KEY_FILENAME).read_text()


def access_claims(*, user_id: int, username: str, is_staff: bool = False) -> dict[str, Any]:
    now = int(time.time())
    return {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
        "username": username,
        "is_staff": is_staff,
        "aud": settings.SIMPLE_JWT["AUDIENCE"],
        "iss": settings.SIMPLE_JWT["ISSUER"],
    }


def encode(
    claims: dict[str, Any],
    *,
    key: str | None = None,
    algorithm: str = "RS256",
    headers: dict[str, Any] | None = None,
) -> str:
    """`claims` signed with `key` (the dev private key), its `kid` in the header unless
    `headers` says otherwise."""
    key = key if key is not None else private_key_pem()
    return jwt.encode(
        claims, key, algorithm=algorithm, headers={"kid": key_id_of_pem(key), **(headers or {})}
    )


def access_token(*, user_id: int, username: str, is_staff: bool = False, **overrides: Any) -> str:
    claims = access_claims(user_id=user_id, username=username, is_staff=is_staff)
    claims.update(overrides)
    return encode(claims)


def sso_claims(
    *, user_id: int, username: str, is_staff: bool = False, is_superuser: bool = False
) -> dict[str, Any]:
    """The claims of the browser's SSO cookie (see shop.auth.sso), as the users service's login
    pages sign them."""
    claims = access_claims(user_id=user_id, username=username, is_staff=is_staff)
    claims.update(token_type="sso", exp=claims["iat"] + 8 * 3600, is_superuser=is_superuser)
    return claims


def sso_token(
    *,
    user_id: int,
    username: str,
    is_staff: bool = False,
    is_superuser: bool = False,
    **overrides: Any,
) -> str:
    claims = sso_claims(
        user_id=user_id, username=username, is_staff=is_staff, is_superuser=is_superuser
    )
    claims.update(overrides)
    return encode(claims)
